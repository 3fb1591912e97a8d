"""ResponseMatrix: one hidden layer's mean activation per true digit (rows) and neuron (columns), clickable.

A custom paint rather than a plot: at most 10 x 1024 cells, redrawn only when an analysis
arrives, the pin moves or the mouse crosses a cell; it follows the palette in both themes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QLinearGradient, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from visualizer.core.neurons import LayerResponses
from visualizer.ui.common import colormaps as cm
from visualizer.ui.common.images import rgba_to_qimage

# Viridis' ends and quartiles: perceptually even, readable on light and dark backgrounds alike.
SEQUENTIAL = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")
DEAD_COLOR = {False: QColor("#c0392b"), True: QColor("#ff6b5c")}  # on light / dark
ROWS = 10


def sequential_colormap():
    """The response colours, dark (weak) to bright (strong)."""
    return pg.ColorMap(np.linspace(0.0, 1.0, len(SEQUENTIAL)), [QColor(c) for c in SEQUENTIAL])


def response_levels(responses: LayerResponses) -> tuple[float, float]:
    """The colour range of one layer's matrix: 0 to its largest mean for relu and sigmoid, symmetric for
    activations that go negative (tanh)."""
    m = responses.mean_by_class
    finite = m[np.isfinite(m)]
    if not finite.size:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if lo < 0:
        top = max(abs(lo), abs(hi), 1e-6)
        return -top, top
    return 0.0, max(hi, 1e-6)


class ResponseMatrix(QWidget):
    """Draws ``set_responses(layer)``; hovering or clicking a cell says which (digit, neuron) it is.

    The pinned neuron's column is outlined in the highlight colour, the clicked cell inside it
    too; dead neurons' columns are hatched and their numbers marked with a cross.

    Signals
    -------
    cell_clicked(int, int)
        ``(digit, neuron)`` clicked.
    cell_hovered(object)
        ``(digit, neuron)`` under the mouse, or None when it leaves the cells.
    """

    cell_clicked = Signal(int, int)
    cell_hovered = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._r: LayerResponses | None = None
        self._image: QImage | None = None
        self._levels = (0.0, 1.0)
        self._pinned: int | None = None
        self._cell: tuple[int, int] | None = None  # (digit, neuron) clicked
        self._hover: tuple[int, int] | None = None
        self._empty_text = "not analysed yet"
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(200)

    # ---- API ----------------------------------------------------------------------------------

    def set_responses(self, responses: LayerResponses | None) -> None:
        self._r = responses
        self._image = None
        if responses is not None:
            self._levels = response_levels(responses)
            self._image = self._render(responses.mean_by_class)
            if self._pinned is not None and self._pinned >= responses.units:
                self._pinned = None
        self.updateGeometry()
        self.update()

    def set_pinned(self, neuron: int | None, digit: int | None = None) -> None:
        """Outline ``neuron``'s column (and the cell of ``digit`` in it); None clears both."""
        self._pinned = neuron
        self._cell = None if neuron is None or digit is None else (digit, neuron)
        self.update()

    def set_empty_text(self, text: str) -> None:
        self._empty_text = text
        self.update()

    def pinned(self) -> tuple[int | None, int | None]:
        """(neuron, digit) outlined now."""
        return self._pinned, None if self._cell is None else self._cell[0]

    def responses(self) -> LayerResponses | None:
        return self._r

    def levels(self) -> tuple[float, float]:
        return self._levels

    def cell_rect(self, digit: int, neuron: int) -> QRectF:
        """Where a cell is drawn, in widget coordinates (tests click its center)."""
        grid, w, h = self._grid()
        return QRectF(grid.x() + neuron * w, grid.y() + digit * h, w, h)

    def column_rect(self, neuron: int) -> QRectF:
        grid, w, _ = self._grid()
        return QRectF(grid.x() + neuron * w, grid.y(), w, grid.height())

    def pixel_color(self, digit: int, neuron: int) -> QColor:
        """The colour the cell is painted (tests compare it with the value)."""
        return QColor(self._image.pixel(neuron, digit)) if self._image is not None else QColor()

    def sizeHint(self) -> QSize:
        return QSize(360, self._height())

    def minimumSizeHint(self) -> QSize:
        return QSize(200, self._height())

    # ---- geometry -----------------------------------------------------------------------------

    def _units(self) -> int:
        return 16 if self._r is None else self._r.units

    def _row_height(self) -> float:
        return max(11.0, self.fontMetrics().height() * 0.8)

    def _height(self) -> int:
        line = self.fontMetrics().height()
        return int(self._row_height() * ROWS + 3 * line + 10)  # legend, neuron numbers, axis title

    def _grid(self) -> tuple[QRectF, float, float]:
        line = self.fontMetrics().height()
        left = self.fontMetrics().horizontalAdvance("digit") + 8
        top = line + 4  # the legend
        width = max(10.0, self.width() - left - 4)
        h = self._row_height()
        return QRectF(left, top, width, h * ROWS), width / self._units(), h

    def _cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        grid, w, h = self._grid()
        if self._r is None or not grid.contains(pos):
            return None
        return min(int((pos.y() - grid.y()) / h), ROWS - 1), min(int((pos.x() - grid.x()) / w), self._r.units - 1)

    def _render(self, values: np.ndarray) -> QImage:
        """(10, units) means as an RGBA image, one pixel per cell (scaled up without smoothing)."""
        lo, hi = self._levels
        if lo < 0:
            cmap = cm.diverging_colormap(self.palette())
        else:
            cmap = sequential_colormap()
        lut = cm.lookup_table(cmap)
        t = np.nan_to_num((values - lo) / (hi - lo), nan=0.0)
        rgba = lut[np.clip(np.rint(t * (len(lut) - 1)), 0, len(lut) - 1).astype(np.intp)]
        rgba[~np.isfinite(values)] = (0, 0, 0, 0)  # a digit with no images: nothing to show
        return rgba_to_qimage(rgba)

    # ---- painting -----------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        base = pal.color(QPalette.ColorRole.Base)
        painter = QPainter(self)
        grid, w, h = self._grid()
        painter.fillRect(grid, base)
        painter.setPen(text)
        painter.drawText(QRectF(0, 0, grid.x() - 4, grid.y()), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                         "digit")
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.85)  # fits the rows, which are 0.8 lines high
        painter.setFont(small)
        for d in range(ROWS):
            painter.drawText(QRectF(0, grid.y() + d * h, grid.x() - 4, h),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(d))
        painter.setFont(self.font())
        if self._r is None or self._image is None:
            painter.setPen(cm.mix(base, text, 0.6))
            painter.drawText(grid, Qt.AlignmentFlag.AlignCenter, self._empty_text)
            painter.end()
            return
        painter.drawImage(grid, self._image)
        self._paint_legend(painter, grid, text)
        self._paint_columns(painter, grid, w, h, text, base)
        painter.end()

    def _paint_legend(self, painter: QPainter, grid: QRectF, text: QColor) -> None:
        fm = self.fontMetrics()
        lo, hi = self._levels
        m = self._r.mean_by_class
        top = float(np.nanmax(m)) if np.isfinite(m).any() else hi
        right = f"{hi if lo < 0 else top:.3g}"  # the largest mean itself (0 for a layer that is all dead)
        left = f"{lo:.3g}"
        bar_w = min(90.0, grid.width() / 3)
        x1 = grid.right() - fm.horizontalAdvance(right) - 4
        bar = QRectF(x1 - bar_w, 3, bar_w, fm.height() - 6)
        gradient = QLinearGradient(bar.left(), 0, bar.right(), 0)
        cmap = cm.diverging_colormap(self.palette()) if lo < 0 else sequential_colormap()
        for pos, color in zip(cmap.pos, cmap.getColors(mode="qcolor"), strict=True):
            gradient.setColorAt(float(pos), color)
        painter.fillRect(bar, gradient)
        painter.setPen(text)
        painter.drawText(QRectF(x1, 0, grid.right() - x1, fm.height()), Qt.AlignmentFlag.AlignRight, right)
        label = f"mean activation  {left}"
        painter.drawText(QRectF(grid.x(), 0, bar.left() - grid.x() - 4, fm.height()),
                         Qt.AlignmentFlag.AlignRight, fm.elidedText(label, Qt.TextElideMode.ElideLeft,
                                                                    int(bar.left() - grid.x() - 4)))

    def _paint_columns(self, painter: QPainter, grid: QRectF, w: float, h: float, text: QColor, base: QColor) -> None:
        r = self._r
        dark = cm.is_dark(self.palette())
        dead = DEAD_COLOR[dark]
        fm = self.fontMetrics()
        # Every k-th neuron number, so the labels never overlap.
        widest = fm.horizontalAdvance(str(r.units - 1)) + 4
        step = max(1, int(np.ceil(widest / max(w, 1e-6))))
        # Light stripes: a dead neuron's cells are all at the dark end of the scale.
        hatch = QBrush(QColor(255, 255, 255, 150), Qt.BrushStyle.BDiagPattern)
        small = QFont(self.font())
        for j in range(r.units):
            col = QRectF(grid.x() + j * w, grid.y(), w, grid.height())
            if r.dead[j]:
                painter.fillRect(col, hatch)
            label_rect = QRectF(col.x() - 20, grid.bottom() + 1, w + 40, fm.height())
            if r.dead[j]:
                painter.setPen(dead)
                bold = QFont(small)
                bold.setBold(True)
                painter.setFont(bold)
                painter.drawText(label_rect, Qt.AlignmentFlag.AlignHCenter,
                                 f"{j}\N{MULTIPLICATION X}" if w >= fm.horizontalAdvance(f"{j}\N{MULTIPLICATION X}") + 2
                                 else "\N{MULTIPLICATION X}")
                painter.setFont(small)
            elif j % step == 0:
                painter.setPen(text)
                painter.drawText(label_rect, Qt.AlignmentFlag.AlignHCenter, str(j))
        painter.setPen(cm.mix(base, text, 0.6))
        painter.drawText(QRectF(grid.x(), grid.bottom() + fm.height() + 1, grid.width(), fm.height()),
                         Qt.AlignmentFlag.AlignHCenter, "neuron \N{RIGHTWARDS ARROW}")
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(cm.mix(base, text, 0.3), 1))
        painter.drawRect(grid)
        if self._hover is not None:
            painter.setPen(QPen(text, 1, Qt.PenStyle.DotLine))
            painter.drawRect(self.column_rect(self._hover[1]).adjusted(0.5, 0.5, -0.5, -0.5))
        accent = self.palette().color(QPalette.ColorRole.Highlight)
        if self._pinned is not None and self._pinned < r.units:
            painter.setPen(QPen(accent, 2.5))
            painter.drawRect(self.column_rect(self._pinned).adjusted(1, 1, -1, -1))
        if self._cell is not None:
            painter.setPen(QPen(text, 2))
            painter.drawRect(self.cell_rect(*self._cell).adjusted(2, 2, -2, -2))

    # ---- events -------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        hit = self._cell_at(event.position())
        if hit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.cell_clicked.emit(*hit)
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        self._set_hover(self._cell_at(event.position()))
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        self._set_hover(None)
        super().leaveEvent(event)

    def _set_hover(self, hit) -> None:
        if hit != self._hover:
            self._hover = hit
            self.update()
            self.cell_hovered.emit(hit)

    def changeEvent(self, event) -> None:
        if event.type() == event.Type.PaletteChange and self._r is not None:
            self._image = self._render(self._r.mean_by_class)  # tanh's diverging map follows the theme
        super().changeEvent(event)
