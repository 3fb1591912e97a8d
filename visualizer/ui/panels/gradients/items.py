"""Two pyqtgraph items of the gradient diagram: connections binned by colour (wider when stronger) and nudge arrows."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF

from visualizer.core.edges import N_BINS

HEAD_LENGTH = 0.55  # arrow head, view units
HEAD_HALF_WIDTH = 0.45


class BinnedLines(pg.GraphicsObject):
    """Many segments as one item: one path per colour bin, weak bins painted first.

    The strongest bins get wider pens (Backprop Explainer's edges widen with their gradient);
    the bounds are the layout's, given with the lines, so no per-update bounds search.
    """

    def __init__(self):
        super().__init__()
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
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for b in self._order:
            if self.counts[b]:
                painter.setPen(self._pens[b])
                painter.drawPath(self._paths[b])


def bin_pens(cmap: pg.ColorMap) -> list:
    """One pen per colour bin: the sign's full colour, opacity and width growing with strength."""
    pens = []
    half = N_BINS // 2
    for b in range(N_BINS):
        strength = (abs(b - (N_BINS - 1) / 2) + 0.5) / half  # 1/8 (weak) .. 1 (strong)
        color = cmap.map(1.0 if b >= half else 0.0, mode="qcolor")
        color.setAlphaF(float(0.06 + 0.94 * strength**1.5))
        pens.append(pg.mkPen(color, width=1.0 + 1.5 * max(0.0, strength - 0.5) * 2))
    return pens


class Arrows(pg.GraphicsObject):
    """Vertical arrows in view units (the view's y axis points down): what each neuron is asked to do."""

    def __init__(self):
        super().__init__()
        self._arrows: list[tuple[float, float, float, QColor, float]] = []
        self._rect = QRectF()

    def set_arrows(self, arrows: list[tuple[float, float, float, QColor, float]]) -> None:
        """``(x, tail_y, tip_y, colour, pen width)`` each; a tip above the tail (smaller y) points up."""
        self._arrows = list(arrows)
        if arrows:
            a = np.array([(x, t, h) for x, t, h, _c, _w in arrows], dtype=np.float64)
            rect = QRectF(a[:, 0].min() - 1, a[:, 1:].min() - 1, np.ptp(a[:, 0]) + 2, np.ptp(a[:, 1:]) + 2)
        else:
            rect = QRectF()
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def arrows(self) -> list[tuple[float, float, float, QColor, float]]:
        return list(self._arrows)

    def boundingRect(self) -> QRectF:
        return self._rect

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
