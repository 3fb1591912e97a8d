"""The docked pad and test browser inside the main window: draw, pick, train, import, lay out, keys."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFileDialog

from visualizer.ui import docks
from visualizer.ui.window import MainWindow
from visualizer.ui.settings import Settings

from test_main_window import set_epochs, wait_state
from window_fixtures import tiny_dataset
from pad_strokes import SEVEN, draw
from visualizer.session import RunState


class ViewSpy:
    """Records what the window tells the network view: (predicted, true_label) of each input drawn."""

    def __init__(self, view, monkeypatch):
        self.calls: list[tuple[int | None, int | None]] = []
        real = view.set_activations

        def spy(acts, predicted=None, true_label=None):
            self.calls.append((predicted, true_label))
            real(acts, predicted, true_label)

        monkeypatch.setattr(view, "set_activations", spy)

    @property
    def predicted(self):
        return self.calls[-1][0] if self.calls else None

    @property
    def true_label(self):
        return self.calls[-1][1] if self.calls else None


def settle(window, qtbot) -> None:
    """Let the render timer draw the newest input and weights (idle: everything at once)."""
    qtbot.waitUntil(lambda: not window.render(), timeout=5000)


@pytest.fixture
def window(make_window, qtbot):
    w = make_window()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def view(window, monkeypatch):
    return ViewSpy(window.network_view, monkeypatch)


def test_docks_and_panels_menu(window):
    titles = {d.windowTitle() for d in window.findChildren(QDockWidget)}
    assert {"Training", "Draw", "Test set", "Weights", "Curves"} <= titles
    listed = {a.text() for a in window.menus["panels"].actions()}
    assert {"Training", "Draw", "Test set", "Weights", "Curves"} <= listed
    assert window.actions.reset_layout in window.menus["view"].actions()
    assert window.pad.pad.width() >= 240 and window.pad.pad.height() >= 240, "the pad is big enough to draw on"
    tabbed = window.tabifiedDockWidgets(window.docks["Draw"])
    assert window.docks["Test set"] in tabbed


def test_drawing_on_the_docked_pad_lights_up_the_network(window, view, qtbot):
    window.docks["Draw"].raise_()
    with qtbot.waitSignal(window.pad.input_changed):
        draw(window.pad.pad, SEVEN)
    settle(window, qtbot)
    assert window.pad.bars.winner() is not None
    assert view.predicted == window.pad.bars.winner(), "network view and pad agree"
    assert view.true_label is None
    assert "Your drawing: predicted" in window.controls.input_label.text()
    np.testing.assert_array_equal(window.session.input.vector, window.pad.current_input())
    with qtbot.waitSignal(window.pad.input_changed):
        window.pad.clear_button.click()
    settle(window, qtbot)
    assert "nothing to classify" in window.controls.input_label.text()


def test_browser_digit_goes_to_pad_and_network_with_its_label(window, view, qtbot):
    data = window.dataset
    with qtbot.waitSignal(window.pad.input_changed) as blocker:
        window.browser.show_index(7)
    np.testing.assert_array_equal(blocker.args[0].vector, data.x_test[7])
    assert window.pad.input_label() == int(data.y_test[7]) and window.pad.shows_test_digit()
    settle(window, qtbot)
    assert view.true_label == int(data.y_test[7]), "the view can mark right or wrong"
    assert f"true <b>{int(data.y_test[7])}</b>" in window.controls.input_label.text()
    assert "Test digit #8" in window.controls.input_label.text()
    # N / P step through the browser from anywhere; drawing afterwards replaces the test digit.
    window.actions.next_input.trigger()
    assert window.browser.current_index() == 8 and window.pad.input_label() == int(data.y_test[8])
    draw(window.pad.pad, SEVEN)
    assert window.pad.input_label() is None and window.pad.input_name() == "Your drawing"
    assert window.pad.pad.canvas_array()[:40].max() == 0, "a blank sheet, not ink over the test digit"
    window.pad.undo_button.click()
    assert window.pad.shows_test_digit(), "undo brings the test digit back"


def test_pad_follows_the_weights_during_training_and_matrix_at_epoch_end(window, view, qtbot):
    draw(window.pad.pad, SEVEN)
    settle(window, qtbot)
    drawn = window.pad.current_input()
    before = window.pad.bars.probabilities()
    set_epochs(window, 2)
    evaluated = []
    window.browser.evaluated.connect(evaluated.append)
    window.actions.start.trigger()
    qtbot.waitUntil(lambda: not np.allclose(window.pad.bars.probabilities(), before), timeout=30_000)
    np.testing.assert_array_equal(window.pad.current_input(), drawn)  # the drawing stays
    wait_state(qtbot, window, RunState.READY)
    qtbot.waitUntil(lambda: not window.browser.evaluation_pending(), timeout=10_000)  # a background thread
    assert [r.accuracy for r in evaluated] and len(evaluated) >= 2, "re-evaluated at each epoch end"
    assert window.browser.confusion.matrix().sum() == len(window.dataset.y_test)
    assert "after epoch 2 of 2" in window.browser.eval_label.text()
    settle(window, qtbot)
    final = window.latest_snapshot()

    expected = final.network.forward(drawn)[-1]
    np.testing.assert_allclose(window.pad.bars.probabilities(), expected, rtol=1e-5, atol=1e-6)
    assert view.predicted == int(np.argmax(expected))


def test_import_and_reset_update_pad_and_browser(window, view, qtbot, tmp_path, monkeypatch, dialogs):
    set_epochs(window, 1)
    window.actions.start.trigger()
    wait_state(qtbot, window, RunState.READY)
    trained = window.latest_snapshot()
    target = tmp_path / "net.npz"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.actions.export_weights.trigger()
    qtbot.waitUntil(target.exists, timeout=30_000)
    draw(window.pad.pad, SEVEN)
    window.actions.reset.trigger()
    qtbot.waitUntil(lambda: window.latest_snapshot().run_id > trained.run_id, timeout=30_000)
    wait_state(qtbot, window, RunState.READY)
    settle(window, qtbot)
    qtbot.waitUntil(lambda: not window.browser.evaluation_pending(), timeout=10_000)
    fresh = window.pad.bars.probabilities()
    assert window.browser.evaluation() is not None and "loaded weights" not in window.browser.eval_label.text()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(target), "")))
    with qtbot.waitSignal(window.snapshot_settled, timeout=30_000):
        window.actions.import_weights.trigger()
    wait_state(qtbot, window, RunState.READY)
    settle(window, qtbot)
    qtbot.waitUntil(lambda: not window.browser.evaluation_pending(), timeout=10_000)

    expected = trained.network.forward(window.pad.current_input())[-1]
    np.testing.assert_allclose(window.pad.bars.probabilities(), expected, atol=1e-5)
    assert not np.allclose(fresh, expected)
    assert view.predicted == int(np.argmax(expected))
    assert "with the loaded weights" in window.browser.eval_label.text()
    assert dialogs.shown == []


def test_layout_is_saved_restored_and_reset(make_window, qtbot):
    window = make_window(wait_ready=False, autoload=False)
    window.docks["Curves"].setFloating(True)
    window.docks["Test set"].hide()
    window.close()
    again = make_window(wait_ready=False, autoload=False)
    assert again.docks["Curves"].isFloating() and not again.docks["Test set"].isVisible()
    again.actions.reset_layout.trigger()
    assert not again.docks["Curves"].isFloating()
    assert again.docks["Test set"] in again.tabifiedDockWidgets(again.docks["Draw"])
    assert again.dockWidgetArea(again.docks["Draw"]) == Qt.DockWidgetArea.RightDockWidgetArea
    assert again.dockWidgetArea(again.docks["Curves"]) == Qt.DockWidgetArea.LeftDockWidgetArea


def test_a_layout_saved_before_the_new_docks_is_ignored(qtbot):
    old = MainWindow(dataset=tiny_dataset(), autoload=False)
    qtbot.addWidget(old)
    old.removeDockWidget(old.docks["Draw"])
    old.removeDockWidget(old.docks["Test set"])
    Settings().set_layout(old.saveGeometry(), old.saveState(docks.LAYOUT_VERSION - 1))
    window = MainWindow(dataset=tiny_dataset(), autoload=False)
    qtbot.addWidget(window)
    window.show()
    assert window.dockWidgetArea(window.docks["Draw"]) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.docks["Draw"].isVisibleTo(window)


def test_shortcuts_do_not_fight(window, qtbot):
    set_epochs(window, 10_000)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    draw(window.pad.pad, SEVEN)
    window.pad.pad.setFocus()
    qtbot.keyClick(window.pad.pad, Qt.Key.Key_Space)  # Space starts even while the pad has focus
    assert window.state == RunState.RUNNING
    qtbot.keyClick(window.pad.pad, Qt.Key.Key_Space)
    assert window.state == RunState.PAUSED
    qtbot.keyClick(window.pad.pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the pad's undo
    assert window.pad.shows_test_digit() and window.state == RunState.PAUSED  # the stroke is gone
    qtbot.keyClick(window.pad.pad, Qt.Key.Key_Escape)
    wait_state(qtbot, window, RunState.READY)
    window.controls.hidden.setFocus()
    qtbot.keyClicks(window.controls.hidden, "snpd")  # letters typed into the field fire no shortcut
    assert window.state == RunState.READY and window.browser.current_index() == 0
    window.docks["Test set"].raise_()
    window.browser.next_button.setFocus()
    qtbot.keyClick(window.browser.next_button, Qt.Key.Key_Right)  # the browser's own keys
    assert window.browser.current_index() == 1
    qtbot.keyClick(window.browser.next_button, Qt.Key.Key_N)  # and the window's N still steps it
    assert window.browser.current_index() == 2 and window.pad.input_label() == int(window.dataset.y_test[2])
