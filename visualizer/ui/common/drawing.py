"""Drawing helpers shared by the panels that draw networks: a still view box, and many lines binned by colour."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsScene

from visualizer.core.edges import N_BINS

ANTIALIAS = False  # dense crossing lines: antialiasing costs ~1 ms a frame for little gain


def neuron_at(x: float, y: float, grid_y: float, layer_x, spots, positions) -> tuple[int, int] | None:
    """``(layer, index)`` of the input pixel or neuron under view point (x, y) of a network drawing.

    The input is a 28x28 grid with its top-left at (0, ``grid_y``), one unit per pixel (layer
    0, index row * 28 + column); layer k >= 1 is a column of discs at ``layer_x[k]`` with
    diameter ``spots[k]`` and centres ``positions[k]`` (n, 2).
    """
    if 0 <= x < 28 and grid_y <= y < grid_y + 28:
        return 0, int(y - grid_y) * 28 + int(x)
    for layer in range(1, len(layer_x)):
        reach = max(spots[layer] * 0.7, 0.5)
        if abs(x - layer_x[layer]) <= reach:
            d = np.abs(positions[layer][:, 1] - y)
            i = int(np.argmin(d))
            if d[i] <= reach:
                return layer, i
    return None


def still_view(margins: int = 2) -> tuple[pg.GraphicsLayoutWidget, pg.ViewBox]:
    """A canvas with one view box that only shows: no mouse pan/zoom, no menu, y pointing down,
    square units, a range the caller sets."""
    canvas = pg.GraphicsLayoutWidget()
    canvas.ci.setContentsMargins(margins, margins, margins, margins)
    # Items move and change bounds every frame; a BSP index would be rebuilt each time.
    canvas.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
    vb = canvas.addViewBox(row=0, col=0)
    vb.setMouseEnabled(False, False)
    vb.setMenuEnabled(False)
    vb.invertY(True)
    vb.setAspectLocked(True)
    vb.disableAutoRange()
    return canvas, vb


class BinnedLines(pg.GraphicsObject):
    """Many segments as one item: one path per colour bin, weak bins painted first (strong on top).

    One item instead of a curve per bin saves pyqtgraph's per-curve bounds searches on every
    update; the bounds are the layout's, given with the lines. The pens say how each bin looks
    (the network view: opacity by strength; the gradient view: wider when stronger too).
    """

    def __init__(self, *, antialias: bool = ANTIALIAS):
        super().__init__()
        self.antialias = antialias
        self._paths = [QPainterPath() for _ in range(N_BINS)]
        self._pens = [pg.mkPen(None)] * N_BINS
        self.counts = np.zeros(N_BINS, np.int64)
        self._rect = QRectF()
        self._order = sorted(range(N_BINS), key=lambda b: -abs(b - (N_BINS - 1) / 2))

    def set_pens(self, pens) -> None:
        self._pens = list(pens)
        self.update()

    def set_lines(self, x: np.ndarray, y: np.ndarray, bounds: np.ndarray, rect: QRectF) -> None:
        """Segments (x[2i], y[2i]) -> (x[2i+1], y[2i+1]); bin b holds segments bounds[b]..bounds[b+1]."""
        for b in range(N_BINS):
            lo, hi = 2 * bounds[b], 2 * bounds[b + 1]
            self._paths[b] = pg.arrayToQPath(x[lo:hi], y[lo:hi], connect="pairs") if hi > lo else QPainterPath()
        self.counts = np.diff(bounds)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = QRectF(rect)
        self.update()

    def clear(self) -> None:
        self.set_lines(np.empty(0), np.empty(0), np.zeros(N_BINS + 1, np.int64), self._rect)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter, *_) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, self.antialias)
        for b in self._order:
            if self.counts[b]:
                painter.setPen(self._pens[b])
                painter.drawPath(self._paths[b])
