"""ProbabilityBars: the ten class probabilities as a bar chart, the winner highlighted with its percentage
(or, for a one-neuron network, P(digit) as one bar against the 0.5 threshold)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from visualizer.core.config import answer_text, class_name
from visualizer.ui.common.colormaps import mix, presentation_scale

NO_DIGIT = "no digit"


class ProbabilityBars(QWidget):
    """Draws what it is given: ``set_probabilities(p)`` with 10 values, or None for "no digit".

    One value is a one-neuron network's P(digit): one bar from "not 6" to "6" with the 0.5
    threshold marked, and the verdict "P(6) = 0.93 — yes, a 6".

    A custom paint (not a plot) because it is ten rectangles redrawn up to 60 times a second
    while the user draws, and it must follow the palette in light and dark themes.
    """

    def __init__(self, title: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._title = title
        self._p: np.ndarray | None = None
        self._empty_text = NO_DIGIT
        self._true_label: int | None = None
        self._digit: int | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(180, 110)
        self._least_height: int | None = None  # the minimum height at the application's font

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:
            # The header and digit rows grow with the font (presenter mode): so does the minimum.
            if self._least_height is None:
                self._least_height = self.minimumHeight()
            self.setMinimumHeight(round(self._least_height * presentation_scale(self)))
        super().changeEvent(event)

    # ---- API ----------------------------------------------------------------------------------

    def set_probabilities(self, p: np.ndarray | None, *, true_label: int | None = None,
                          digit: int | None = None) -> None:
        """Show ``p`` (10 probabilities, or one P(``digit``)) or, with None, no bars and the "no digit" message.

        ``true_label`` is the true class (for one P: 1 when the image is the digit, 0 when not).
        """
        self._p = None if p is None else np.asarray(p, dtype=np.float32).reshape(-1).copy()
        self._true_label = true_label
        self._digit = digit
        self.update()

    @property
    def is_binary(self) -> bool:
        """True when it shows one neuron's P(digit)."""
        return self._p is not None and self._p.size == 1

    def set_empty_text(self, text: str) -> None:
        """Message shown instead of bars (default "no digit"; e.g. "no network yet")."""
        self._empty_text = text
        self.update()

    def set_title(self, title: str) -> None:
        self._title = title
        self.update()

    def probabilities(self) -> np.ndarray | None:
        return None if self._p is None else self._p.copy()

    def winner(self) -> int | None:
        """The winning class: a digit, or for one neuron 1 (yes) / 0 (no)."""
        if self._p is None:
            return None
        return int(self._p[0] >= 0.5) if self.is_binary else int(np.argmax(self._p))

    def summary(self) -> str:
        """What the widget says in words: "7 — 93.2%", "P(6) = 0.93 — yes, a 6" or the empty message."""
        if self._p is None:
            return self._empty_text
        if self.is_binary:
            return answer_text(self._p[0], self._digit)
        w = self.winner()
        return f"{w} \N{EM DASH} {100 * float(self._p[w]):.1f}%"

    def verdict_text(self) -> str:
        """The header's right side: "7  93.2%" (empty without probabilities)."""
        if self._p is None:
            return ""
        if self.is_binary:
            return answer_text(self._p[0], self._digit)
        w = self.winner()
        return f"{w}  {100 * float(self._p[w]):.1f}%"

    def title_fits(self) -> bool:
        """True when the title and the verdict both fit the header unshortened."""
        bold = QFont(self.font())
        bold.setBold(True)
        fm = self.fontMetrics()
        verdict = self.verdict_text()
        need = fm.horizontalAdvance(self._title) + (QFontMetrics(bold).horizontalAdvance(verdict)
                                                    + fm.horizontalAdvance("  ") if verdict else 0)
        return need <= self.width() - 8

    def sizeHint(self) -> QSize:
        return QSize(300, 150)

    # ---- painting -----------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        base = pal.color(QPalette.ColorRole.Window)
        accent = pal.color(QPalette.ColorRole.Highlight)
        bar = mix(base, text, 0.35)
        track = mix(base, text, 0.08)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = painter.fontMetrics()
        line = fm.height()
        w, h = self.width(), self.height()

        # Header: title on the left, the verdict on the right (bold).
        painter.setPen(text)
        header = QRectF(4, 2, w - 8, line + 2)
        bold = QFont(painter.font())
        bold.setBold(True)
        # When title and verdict do not both fit ("Without preprocessing" beside "5  45.9%" in a
        # narrow half of the pad), the verdict goes on a second line instead of running into it.
        verdict = self.verdict_text()
        painter.drawText(header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(self._title, Qt.TextElideMode.ElideRight, int(header.width())))
        verdict_box = header if self.title_fits() else header.translated(0, line + 2)

        label_h = line + 4
        chart = QRectF(4, verdict_box.bottom() + 6, w - 8, h - verdict_box.bottom() - 6 - label_h)
        if self._p is None:
            painter.setPen(mix(base, text, 0.6))
            big = QFont(bold)
            big.setPointSizeF(bold.pointSizeF() * 1.3)
            painter.setFont(big)
            painter.drawText(chart, Qt.AlignmentFlag.AlignCenter, self._empty_text)
            painter.end()
            return

        winner = self.winner()
        painter.setFont(bold)
        painter.setPen(accent if self.isEnabled() else text)
        painter.drawText(verdict_box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, verdict)
        if self.is_binary:
            self._paint_one(painter, chart, label_h, (text, accent, bar, track), bold)
            painter.end()
            return

        n = len(self._p)
        slot = chart.width() / n
        gap = max(2.0, slot * 0.18)
        for i, value in enumerate(self._p):
            x = chart.left() + i * slot + gap / 2
            col = QRectF(x, chart.top(), slot - gap, chart.height())
            painter.fillRect(col, track)
            v = float(np.clip(value, 0.0, 1.0))
            bar_h = max(v * chart.height(), 1.0 if v > 0 else 0.0)
            painter.fillRect(QRectF(x, chart.bottom() - bar_h, slot - gap, bar_h), accent if i == winner else bar)
            if self._true_label == i:
                # The true class of a test digit: an outline, so a wrong winner is obvious.
                painter.setPen(QColor(text))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(col.adjusted(0.5, 0.5, -0.5, -0.5))
            painter.setFont(bold if i == winner else self.font())
            painter.setPen(accent if i == winner else text)
            painter.drawText(QRectF(x - gap / 2, chart.bottom() + 2, slot, label_h - 2),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, str(i))
        painter.end()

    def _paint_one(self, painter: QPainter, chart: QRectF, label_h: float, colours, bold: QFont) -> None:
        """One neuron's P(digit): a horizontal bar from 0 ("not 6") to 1 ("6"), the 0.5 threshold marked."""
        text, accent, bar, track = colours
        p = float(np.clip(self._p[0], 0.0, 1.0))
        height = min(chart.height(), max(14.0, chart.height() * 0.45))
        row = QRectF(chart.left(), chart.center().y() - height / 2, chart.width(), height)
        painter.fillRect(row, track)
        painter.fillRect(QRectF(row.left(), row.top(), max(p * row.width(), 1.0 if p > 0 else 0.0), row.height()),
                         accent if p >= 0.5 else bar)
        if self._true_label is not None:  # the true answer of a test digit: its end outlined
            painter.setPen(QColor(text))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            half = QRectF(row.left(), row.top(), row.width() / 2, row.height())
            painter.drawRect((half.translated(row.width() / 2, 0) if self._true_label else half).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.setPen(QColor(text))
        mid = row.center().x()
        painter.drawLine(int(mid), int(row.top() - 3), int(mid), int(row.bottom() + 3))
        labels = QRectF(row.left(), row.bottom() + 2, row.width(), label_h)
        for index, align in ((0, Qt.AlignmentFlag.AlignLeft), (1, Qt.AlignmentFlag.AlignRight)):
            painter.setFont(bold if index == self.winner() else self.font())
            painter.setPen(accent if index == self.winner() else text)
            painter.drawText(labels, align | Qt.AlignmentFlag.AlignTop, class_name(index, self._digit))
        painter.setFont(self.font())
        painter.setPen(QColor(text))
        painter.drawText(labels, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "0.5")
