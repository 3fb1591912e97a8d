"""The pad and its buttons stay put while the texts under them change (a test digit's note, a drawing)."""

from __future__ import annotations

import numpy as np
import pytest
from pad_strokes import SEVEN, draw
from PySide6.QtWidgets import QWidget

from visualizer.ui.panels.pad.panel import PadPanel


def _geometry(p: PadPanel):
    return (p.pad.geometry(), p.clear_button.geometry(), p.undo_button.geometry(), p.open_button.geometry())


@pytest.mark.parametrize("size", [(430, 560), (430, 640), (430, 760), (900, 560)],
                         ids=["short dock", "dock", "tall dock", "wide"])
@pytest.mark.parametrize("name", ["Test digit #1", "Test digit #10,000", "Test digit #4 fooled into 5"])
def test_pad_and_buttons_do_not_jump_when_the_test_digit_note_goes(qtbot, make_snapshot, size, name):
    """The reviewer's s11 -> s12 at 1024x700: the "Test digit #1 ..." note went when a stroke was
    drawn and the pad grew from 159 to 192 px, Clear and Undo moving down 33 px."""
    # A dock holds the panel: it may be narrower than the panel's layout would ask for.
    dock = QWidget()
    qtbot.addWidget(dock)
    dock.resize(*size)
    p = PadPanel(dock)
    font = p.font()
    font.setPointSize(12)  # the desktop's font is larger than the offscreen one: the note wraps
    p.setFont(font)
    p.setGeometry(0, 0, *size)
    dock.show()
    qtbot.waitExposed(dock)
    p.set_snapshot(make_snapshot(seed=3))
    digit = np.zeros((28, 28), np.float32)
    digit[6:22, 12:16] = 1.0
    p.set_digit(digit, 4, name=name)
    qtbot.wait(20)
    assert p.status.text().startswith(name)
    lines = p.status.heightForWidth(p.status.width()) // p.status.fontMetrics().lineSpacing()
    assert lines >= 3 or size[0] > 800  # the note is longer than the two lines kept for any text
    before = _geometry(p)
    draw(p.pad, SEVEN)
    qtbot.wait(20)
    assert not p.shows_test_digit() and p.status.text() == ""
    assert _geometry(p) == before
    p.pad.clear()  # no digit: the "Why?" text changes too
    qtbot.wait(20)
    assert _geometry(p) == before
    p.pad.undo()
    p.pad.undo()  # the test digit again
    qtbot.wait(20)
    assert p.shows_test_digit()
    assert _geometry(p) == before
