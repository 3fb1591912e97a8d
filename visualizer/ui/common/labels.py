"""Labels whose text changes every frame without re-laying out the window around them."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


def hold_size(label: QLabel, widest: str) -> QLabel:
    """Fix ``label``'s size to fit ``widest`` (the longest text it will show), and return it.

    A QLabel asks its parent for a new layout on every setText; a fixed-size one does not (Qt
    skips the request when minimum and maximum size are equal). The frame-rate and ETA labels of
    the status bar and the timeline's moment text changed several times a second, and each change
    re-laid out the status bar or the toolbar and repainted the window around it.
    """
    hint = label.sizeHint()
    label.setFixedSize(max(label.fontMetrics().horizontalAdvance(widest) + 4, hint.width()), hint.height())
    return label


class HeldText(QWidget):
    """A word-wrapped label whose text changes often without re-laying out the window around it.

    A wrapped QLabel's height follows its text, so every setText asks the dock, and through it
    the main window, for a new layout (the Training dock's prediction line did, every frame its
    confidence changed). Here the label sits in a holder without a layout: a new text re-lays out
    nothing unless it needs more lines than the holder has (then the holder grows, once; it
    shrinks only when its width changes). An unchanged text is not set at all.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None, *, lines: int = 2):
        super().__init__(parent)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        # From the top: a label taller than its text (for a moment) keeps the text in view.
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._lines = lines
        self._held = 0  # the height held now (it grows for a longer text, never for a shorter one)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def text(self) -> str:
        return self.label.text()

    def setText(self, text: str) -> None:  # QLabel's names, so callers need not change
        if text == self.label.text():
            return
        self.label.setText(text)
        self._fit_height()

    def setTextFormat(self, fmt) -> None:
        self.label.setTextFormat(fmt)

    def setToolTip(self, tip: str) -> None:
        super().setToolTip(tip)
        self.label.setToolTip(tip)

    def sizeHint(self) -> QSize:
        return QSize(self.label.sizeHint().width(), self.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.label.minimumSizeHint().width(), self.height())

    def resizeEvent(self, event) -> None:
        self.label.setGeometry(self.rect())
        if event.size().width() != event.oldSize().width():  # a layout is under way anyway: fit anew
            self._held = 0
            self._fit_height()
        super().resizeEvent(event)

    def _fit_height(self) -> None:
        # Before the first layout the width is unknown: the floor, until the first resize says.
        need = self.label.fontMetrics().lineSpacing() * self._lines
        if self.width() > 0:
            need = max(need, self.label.heightForWidth(self.width()))
        if need > self._held:
            self._held = need
            self.setFixedHeight(need)
        # The label follows here too, not only in resizeEvent: a holder that refits while hidden
        # (presenter mode hides the Training dock) gets no second resize event for its new height,
        # and the label kept the old one, its text centred below the box's edge.
        self.label.setGeometry(self.rect())
