"""Clear on the pad is undoable: Backspace/Delete/Clear put the drawing away, Ctrl+Z brings it back."""

from __future__ import annotations

import numpy as np
from pad_strokes import ONE, SEVEN, draw
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from visualizer.ui.panels.pad.drawing_pad import CLEARS_KEPT

CROSSBAR = [(60, 150), (130, 140), (220, 130)]


def focused(panel, qtbot):
    panel.activateWindow()
    qtbot.waitUntil(lambda: panel.isActiveWindow())
    panel.pad.setFocus()
    return panel.pad


def test_backspace_clears_and_ctrl_z_brings_the_drawing_back_exactly(panel, qtbot):
    pad = focused(panel, qtbot)
    draw(pad, SEVEN)
    draw(pad, CROSSBAR)
    drawn = pad.canvas_array()
    QTest.keyClick(pad, Qt.Key.Key_Backspace)
    assert pad.is_empty() and panel.bars.summary() == "no digit"
    assert panel.undo_button.isEnabled(), "Undo stays offered on the cleared canvas"
    with qtbot.waitSignal(panel.input_changed) as blocker:
        QTest.keyClick(pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args[0] is not None and blocker.args[0].name == "Your drawing"
    np.testing.assert_array_equal(pad.canvas_array(), drawn)
    QTest.keyClick(pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # then stroke by stroke
    assert len(pad.strokes) == 1


def test_strokes_after_a_clear_undo_first_then_the_cleared_drawing_returns(panel, qtbot):
    pad = panel.pad
    draw(pad, SEVEN)
    seven = pad.canvas_array()
    panel.clear_button.click()
    draw(pad, ONE)
    draw(pad, CROSSBAR)
    panel.undo_button.click()
    panel.undo_button.click()
    assert pad.is_empty()
    panel.undo_button.click()
    np.testing.assert_array_equal(pad.canvas_array(), seven)
    panel.undo_button.click()
    assert pad.is_empty() and not panel.undo_button.isEnabled(), "nothing left to undo"


def test_clearing_a_test_digit_is_undone_to_that_digit(panel, qtbot):
    digit = np.zeros((28, 28), np.float32)
    digit[5:23, 13:15] = 1.0
    panel.set_digit(digit, 1, name="Test digit #3")
    QTest.keyClick(focused(panel, qtbot), Qt.Key.Key_Delete)
    assert panel.input_name() == "Your drawing" and panel.current_input() is None
    panel.pad.undo()
    assert panel.input_name() == "Test digit #3" and panel.input_label() == 1


def test_only_the_last_clears_are_kept(panel, qtbot):
    pad = panel.pad
    for _ in range(CLEARS_KEPT + 3):
        draw(pad, ONE)
        pad.clear()
    for _ in range(CLEARS_KEPT):
        pad.undo()
        assert len(pad.strokes) == 1
        pad.undo()  # the stroke of that drawing
    assert not pad.can_undo()
