"""ConfusionView: a clickable 10x10 (or, for one digit vs the rest, 2x2) confusion-matrix heatmap with counts
(rows true, columns predicted)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from visualizer.core.confusion import balanced_accuracy
from visualizer.core.config import class_name
from visualizer.ui.common.colormaps import is_dark, mix

_CORRECT = {False: QColor("#2e8b57"), True: QColor("#4cc38a")}  # green on light / dark
_WRONG = {False: QColor("#c0392b"), True: QColor("#f0604d")}
MIN_COUNT_PT = 5.0  # smaller counts are not drawn (hover a cell for its tooltip)


def _ink_on(fill: QColor) -> QColor:
    """Near-black or white, whichever reads better on ``fill`` (by its relative luminance)."""
    r, g, b = (c / 255 for c in (fill.red(), fill.green(), fill.blue()))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    # Contrast against white is (1.05)/(L+0.05), against black (L+0.05)/0.05: equal at L ~ 0.18.
    return QColor("#111111") if luminance > 0.18 else QColor("#ffffff")


class ConfusionView(QWidget):
    """Draws ``set_confusion(matrix, accuracy)``; clicking a cell emits ``cell_clicked(true, predicted)``.

    Diagonal cells are green, mistakes red; the strength is the fraction of that row (of that
    true digit), square-rooted so that a handful of mistakes is still visible next to ~1000
    correct ones. Every non-zero cell shows its count, in a font shrunk to fit the cell and in
    black or white, whichever reads better on its fill.
    """

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._m: np.ndarray | None = None
        self._accuracy: float | None = None
        self._selected: tuple[int, int] | None = None
        self._digit: int | None = None  # a 2x2 matrix: the digit of "is it a 6?" (rows "not 6", "6")
        self._empty_text = "not evaluated yet"
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # Every count must fit its cell ("1120" included): ten cells of four digits at the
        # smallest count font, plus the room for the axis labels.
        small = QFont(self.font())
        small.setPointSizeF(MIN_COUNT_PT + 1)
        metrics = QFontMetricsF(small)
        least_cell = max(metrics.horizontalAdvance("8888") + 4, metrics.height() + 2)
        line = self.fontMetrics().height()
        self.setMinimumSize(int(line * 2.6 + 10 * least_cell + 8), int(line * 3.4 + 10 * least_cell + 8))
        self.setToolTip("Rows: the true digit. Columns: what the network predicted. Click a cell to list its digits.")

    # ---- API ----------------------------------------------------------------------------------

    def set_confusion(self, matrix: np.ndarray | None, accuracy: float | None = None, *,
                      digit: int | None = None) -> None:
        """Show ``matrix`` (10x10 digits, or 2x2 "not ``digit``" / "``digit``" for one neuron)."""
        self._m = None if matrix is None else np.asarray(matrix, dtype=np.int64).copy()
        self._accuracy = accuracy
        self._digit = digit
        self.update()

    @property
    def is_binary(self) -> bool:
        return self._m is not None and self._m.shape == (2, 2)

    def label(self, index: int) -> str:
        """A row's or column's name: the digit, or for a 2x2 matrix "not 6" / "6"."""
        return class_name(index, self._digit) if self.is_binary else str(index)

    def set_empty_text(self, text: str) -> None:
        self._empty_text = text
        self.update()

    def set_selected(self, cell: tuple[int, int] | None) -> None:
        self._selected = cell
        self.update()

    def matrix(self) -> np.ndarray | None:
        return None if self._m is None else self._m.copy()

    def title(self) -> str:
        if self._m is None:
            return "Confusion matrix"
        total = int(self._m.sum())
        if self.is_binary:  # "no" for every image scores 90%: the balanced figure is the honest one
            return f"Balanced accuracy {100 * balanced_accuracy(self._m):.1f}%  ({total:,} digits)"
        acc = self._accuracy if self._accuracy is not None else (np.trace(self._m) / total if total else 0.0)
        return f"Test accuracy {100 * acc:.1f}%  ({total:,} digits)"

    def cell_rect(self, true_label: int, pred_label: int) -> QRectF:
        """Where a cell is drawn, in widget coordinates (tests click its center)."""
        grid, cell = self._grid()
        return QRectF(grid.x() + pred_label * cell, grid.y() + true_label * cell, cell, cell)

    def sizeHint(self) -> QSize:
        return QSize(360, 380)

    # ---- geometry and painting ----------------------------------------------------------------

    def _n(self) -> int:
        return 10 if self._m is None else self._m.shape[0]

    def _grid(self) -> tuple[QRectF, float]:
        line = self.fontMetrics().height()
        left, top = line * 2.6, line * 3.4  # room for the axis titles and digit labels
        if self.is_binary:  # "not 6" is wider than a digit
            left = line * 1.6 + self.fontMetrics().horizontalAdvance(self.label(0)) + 6
        side = max(10.0, min(self.width() - left - 6, self.height() - top - 6))
        cell = side / self._n()
        return QRectF(left, top, cell * self._n(), cell * self._n()), cell

    def _cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        grid, cell = self._grid()
        if self._m is None or not grid.contains(pos):
            return None
        n = self._n()
        return min(int((pos.y() - grid.y()) / cell), n - 1), min(int((pos.x() - grid.x()) / cell), n - 1)

    def paintEvent(self, event) -> None:
        pal = self.palette()
        dark = is_dark(pal)
        text = pal.color(QPalette.ColorRole.WindowText)
        base = pal.color(QPalette.ColorRole.Base)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        line = self.fontMetrics().height()
        grid, cell = self._grid()
        n = self._n()
        bold = QFont(self.font())
        bold.setBold(True)

        painter.setFont(bold)
        painter.setPen(text)
        painter.drawText(QRectF(0, 0, self.width(), line + 4), Qt.AlignmentFlag.AlignCenter, self.title())
        painter.setFont(self.font())
        painter.drawText(QRectF(grid.x(), line * 1.1, grid.width(), line), Qt.AlignmentFlag.AlignCenter,
                         "predicted \N{RIGHTWARDS ARROW}")
        painter.save()
        painter.translate(line * 0.9, grid.center().y())
        painter.rotate(-90)
        painter.drawText(QRectF(-grid.height() / 2, -line, grid.height(), line * 1.2),
                         Qt.AlignmentFlag.AlignCenter, "true \N{RIGHTWARDS ARROW}")
        painter.restore()
        for i in range(n):
            painter.drawText(QRectF(grid.x() + i * cell, grid.y() - line - 2, cell, line),
                             Qt.AlignmentFlag.AlignCenter, self.label(i))
            if self.is_binary:
                painter.drawText(QRectF(line * 1.4, grid.y() + i * cell, grid.x() - line * 1.4 - 4, cell),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.label(i))
            else:
                painter.drawText(QRectF(grid.x() - line * 1.1, grid.y() + i * cell, line, cell),
                                 Qt.AlignmentFlag.AlignCenter, str(i))

        painter.fillRect(grid, base)
        if self._m is None:
            painter.setPen(mix(base, text, 0.6))
            painter.drawText(grid, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._empty_text)
        else:
            self._paint_cells(painter, grid, cell, base, text, dark)
        painter.setPen(QPen(mix(base, text, 0.25), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(grid)
        if self._selected is not None and self._m is not None:
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2.5))
            painter.drawRect(self.cell_rect(*self._selected).adjusted(1, 1, -1, -1))
        painter.end()

    def _paint_cells(self, painter: QPainter, grid: QRectF, cell: float, base: QColor, text: QColor,
                     dark: bool) -> None:
        m = self._m
        rows = np.maximum(m.sum(axis=1, keepdims=True), 1)
        strength = np.sqrt(m / rows)
        fonts = {}  # digits -> the largest font (up to the widget's) whose count fits a cell
        for t in range(m.shape[0]):
            for p in range(m.shape[1]):
                rect = self.cell_rect(t, p)
                hue = (_CORRECT if t == p else _WRONG)[dark]
                fill = mix(base, hue, 0.9 * float(strength[t, p])) if m[t, p] else base
                painter.fillRect(rect, fill)
                if not m[t, p]:
                    continue
                label = str(int(m[t, p]))
                if len(label) not in fonts:
                    fonts[len(label)] = self._count_font(label, cell)
                font = fonts[len(label)]
                if font is None:
                    continue  # too small to read: the tooltip still tells
                painter.setFont(font)
                painter.setPen(_ink_on(fill))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

    def _count_font(self, label: str, cell: float) -> QFont | None:
        """The widget's font, shrunk until ``label`` fits inside a ``cell``-pixel square (None below 5 pt)."""
        font = QFont(self.font())
        size = min(font.pointSizeF(), cell * 0.4)
        while size >= MIN_COUNT_PT:
            font.setPointSizeF(size)
            metrics = QFontMetricsF(font)
            if metrics.horizontalAdvance(label) <= cell - 3 and metrics.height() <= cell - 1:
                return font
            size -= 0.5
        return None

    # ---- events -------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        hit = self._cell_at(event.position())
        if hit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.set_selected(hit)
            self.cell_clicked.emit(*hit)
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        hit = self._cell_at(event.position())
        if hit is not None:
            t, p = hit
            count = int(self._m[t, p])
            what = "correctly classified" if t == p else f"predicted as {self.label(p)}"
            QToolTip.showText(event.globalPosition().toPoint(),
                              f"{count:,} test digit{'s' if count != 1 else ''} of {self.label(t)} {what}", self)
        super().mouseMoveEvent(event)
