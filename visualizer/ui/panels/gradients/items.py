"""The gradient diagram's own drawing: lines for -dL/dw (wider when stronger), the neurons' discs and the nudge arrows."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF

from visualizer.core.edges import N_BINS
from visualizer.ui.common.drawing import BinnedLines

HEAD_LENGTH = 0.55  # arrow head, view units
HEAD_HALF_WIDTH = 0.45


def bin_pens(cmap: pg.ColorMap) -> list:
    """One pen per colour bin: the sign's full colour, opacity growing with strength; the two
    strongest bins twice as wide (wider or fractional widths cost several ms a frame to stroke:
    bench stage_transition; see GradientLines)."""
    pens = []
    half = N_BINS // 2
    for b in range(N_BINS):
        strength = (abs(b - (N_BINS - 1) / 2) + 0.5) / half  # 1/8 (weak) .. 1 (strong)
        color = cmap.map(1.0 if b >= half else 0.0, mode="qcolor")
        color.setAlphaF(float(0.06 + 0.94 * strength**1.5))
        pens.append(pg.mkPen(color, width=2 if strength > 0.75 else 1))
    return pens


class GradientLines(BinnedLines):
    """BinnedLines whose 1-pixel bins are antialiased and wider bins are not: a wide antialiased
    translucent stroke cost 5-8 ms a frame for 200-540 segments (bench stage_transition), an
    aliased 2-pixel one about what a 1-pixel antialiased one does."""

    def __init__(self):
        super().__init__(antialias=True)

    def paint(self, painter, *_) -> None:
        for b in self._order:
            if self.counts[b]:
                pen = self._pens[b]
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, self.antialias and pen.widthF() <= 1.0)
                painter.setPen(pen)
                painter.drawPath(self._paths[b])


class _Shapes(pg.GraphicsObject):
    """A graphics object whose bounds are set with its data (no per-frame bounds search)."""

    def __init__(self):
        super().__init__()
        self._rect = QRectF()

    def _set_rect(self, rect: QRectF) -> None:
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect


class Discs(_Shapes):
    """Circles in view units, each with its brush and pen: the neurons of the narrow layers, the rings.

    A plain paint of a few dozen ellipses: pyqtgraph's ScatterPlotItem spent 2-3 ms a frame on
    per-point styles, symbol paths and bounds for the 42 neurons of 784-16-16-10 (bench view_update).
    """

    def __init__(self):
        super().__init__()
        self._discs: list[tuple[float, float, float, object, object]] = []

    def set_discs(self, pos: np.ndarray, size, brushes, pens) -> None:
        """Centres ``pos`` (n, 2), diameters ``size`` (n,), one brush (None: hollow) and one pen each."""
        pos = np.asarray(pos, np.float64).reshape(-1, 2)
        size = np.broadcast_to(np.asarray(size, np.float64), (pos.shape[0],))
        self._discs = [(float(x), float(y), float(d), b if b is not None else Qt.BrushStyle.NoBrush, p)
                       for (x, y), d, b, p in zip(pos, size, brushes, pens, strict=True)]
        if pos.shape[0]:
            r = float(size.max()) / 2 + 0.5
            rect = QRectF(pos[:, 0].min() - r, pos[:, 1].min() - r, np.ptp(pos[:, 0]) + 2 * r, np.ptp(pos[:, 1]) + 2 * r)
        else:
            rect = QRectF()
        self._set_rect(rect)

    def clear(self) -> None:
        self.set_discs(np.empty((0, 2)), np.empty(0), [], [])

    def __len__(self) -> int:
        return len(self._discs)

    def paint(self, painter, *_) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for x, y, d, brush, pen in self._discs:
            painter.setPen(pen)
            painter.setBrush(brush)
            painter.drawEllipse(QPointF(x, y), d / 2, d / 2)


class Arrows(_Shapes):
    """Vertical arrows in view units (the view's y axis points down): what each neuron is asked to do."""

    def __init__(self):
        super().__init__()
        self._arrows: list[tuple[float, float, float, QColor, float]] = []

    def set_arrows(self, arrows: list[tuple[float, float, float, QColor, float]]) -> None:
        """``(x, tail_y, tip_y, colour, pen width)`` each; a tip above the tail (smaller y) points up."""
        self._arrows = list(arrows)
        if arrows:
            a = np.array([(x, t, h) for x, t, h, _c, _w in arrows], dtype=np.float64)
            rect = QRectF(a[:, 0].min() - 1, a[:, 1:].min() - 1, np.ptp(a[:, 0]) + 2, np.ptp(a[:, 1:]) + 2)
        else:
            rect = QRectF()
        self._set_rect(rect)

    def arrows(self) -> list[tuple[float, float, float, QColor, float]]:
        return list(self._arrows)

    def paint(self, painter, *_) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for x, tail, tip, color, width in self._arrows:
            length = abs(tip - tail)
            head = min(HEAD_LENGTH, 0.6 * length)
            direction = 1.0 if tip < tail else -1.0  # +1: pointing up the screen
            base = tip + direction * head
            pen = QPen(color, width)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLine(QPointF(x, tail), QPointF(x, base))
            half = HEAD_HALF_WIDTH * (head / HEAD_LENGTH if HEAD_LENGTH else 1.0)
            painter.setBrush(color)
            painter.drawPolygon(QPolygonF([QPointF(x, tip), QPointF(x - half, base), QPointF(x + half, base)]))
