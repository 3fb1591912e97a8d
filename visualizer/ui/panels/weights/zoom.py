"""Zoom and pan for the weight maps' deeper matrices: the mouse wheel zooms, a drag pans, a double-click resets.

A 1024x1024 matrix is drawn sampled to MATRIX_PIXELS a side (core/mosaic.matrix_strides); zoomed
in, only the visible window is read and sampled, so at 256 or fewer rows and columns every weight
of the window is its own pixel, and the cost per frame stays that of one 256x256 image.
"""

from __future__ import annotations

import math

import pyqtgraph as pg

MIN_SPAN = 4  # the closest zoom: this many rows and columns (each weight a large square)


def enable(vb: pg.ViewBox, shape: tuple[int, int], height: float) -> None:
    """Let the user zoom and pan ``vb`` (a matrix of ``shape`` above its bias strip, ``height``
    view units in all) without leaving it."""
    rows, cols = shape
    vb.setMouseEnabled(x=True, y=True)
    vb.setLimits(xMin=0, xMax=cols, yMin=0, yMax=height,
                 minXRange=min(MIN_SPAN, cols), minYRange=min(MIN_SPAN, rows))


def reset(vb: pg.ViewBox, shape: tuple[int, int], height: float) -> None:
    """The whole matrix and its biases again."""
    vb.setRange(xRange=(0, shape[1]), yRange=(0, height), padding=0.02)


def window(vb: pg.ViewBox, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """``(row_start, row_stop, col_start, col_stop)`` of the matrix visible in ``vb`` (the whole
    matrix when nothing of it is)."""
    rows, cols = shape
    (x0, x1), (y0, y1) = vb.viewRange()
    c0, c1 = max(0, math.floor(x0)), min(cols, math.ceil(x1))
    r0, r1 = max(0, math.floor(y0)), min(rows, math.ceil(y1))
    if c1 <= c0 or r1 <= r0:
        return 0, rows, 0, cols
    return r0, r1, c0, c1


def zoomed(vb: pg.ViewBox, shape: tuple[int, int]) -> bool:
    """True when part of the matrix is out of view."""
    return window(vb, shape) != (0, shape[0], 0, shape[1])
