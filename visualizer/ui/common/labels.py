"""Labels whose text changes every frame without re-laying out the window around them."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


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
