"""A word-wrapped label that keeps the height of the longest text it may show, so what sits above it stays put."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


class ReservedLabel(QLabel):
    """A word-wrapped QLabel at least as high as the longest of its reserved texts at its width.

    The pad's notes come and go with every input ("Test digit #1 (true label 7): already
    28×28 ..." then nothing once a stroke is drawn); in a dock short of height the layout gave
    the freed lines to the drawing pad, which grew and pushed Clear and Undo down. The height
    also never drops below what a text shown at this width needed (a long image name), so a
    note that shrinks back does not move the pad either.
    """

    def __init__(self, reserved: tuple[str, ...] = (), parent: QWidget | None = None, *,
                 rich: bool = False, lines: int = 2):
        super().__init__(parent)
        fmt = Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText
        self.setTextFormat(fmt)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._lines = lines
        self._reserved = tuple(reserved)
        self._width = -1  # the width the reservation was measured at
        self._needed = 0  # the tallest text at that width
        # Measures the reserved texts exactly as this label would lay them out; a hidden child
        # (never in a layout) so it is neither shown nor a top-level window.
        self._probe = QLabel(self)
        self._probe.setTextFormat(fmt)
        self._probe.setWordWrap(True)
        self._probe.hide()
        self._reserve()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._reserve()

    def reserved_height(self) -> int:
        """The height kept for this label at its present width."""
        return self.minimumHeight()

    def _height_of(self, text: str, width: int) -> int:
        self._probe.setFont(self.font())
        self._probe.setText(text)
        return self._probe.heightForWidth(width)

    def _reserve(self) -> None:
        width = self.width()
        if width != self._width:
            self._width, self._needed = width, max((self._height_of(t, width) for t in self._reserved), default=0)
        if self.text():
            self._needed = max(self._needed, self.heightForWidth(width))
        floor = self._lines * self.fontMetrics().lineSpacing() + 2
        self.setMinimumHeight(max(floor, self._needed))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._reserve()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._width = -1
            self._reserve()
