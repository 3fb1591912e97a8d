"""Real mouse strokes on the drawing pad, shared by the pad and window tests."""

from itertools import pairwise

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

SEVEN = [(70, 60), (120, 58), (170, 57), (215, 60), (190, 110), (165, 160), (145, 205), (135, 235)]
ONE = [(150, 50), (148, 100), (146, 150), (144, 200), (143, 240)]


def _pt(pad, x, y) -> QPoint:
    return pad.map_from_canvas(x, y).toPoint()


def draw(pad, points, steps: int = 6) -> None:
    """Draw one stroke with real mouse events, interpolating ``steps`` moves per segment."""
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _pt(pad, *points[0]))
    for (x0, y0), (x1, y1) in pairwise(points):
        for t in np.linspace(0, 1, steps + 1)[1:]:
            QTest.mouseMove(pad, _pt(pad, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _pt(pad, *points[-1]))
