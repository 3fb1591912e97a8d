"""The timeline bar and the window following the moment it shows (issue 9)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from test_main_window import set_epochs, wait_state

from visualizer.session import RunState
from visualizer.ui.panels.timeline.bar import TimelineBar


@pytest.fixture
def bar(qtbot):
    b = TimelineBar()
    qtbot.addWidget(b)
    b.resize(900, 40)
    b.show()
    qtbot.waitExposed(b)
    return b


def test_clicking_the_strip_asks_for_that_moment_and_keys_move_it(bar, qtbot):
    bar.set_recording(0, 1000, [250, 500, 750], np.arange(1, 1001), np.linspace(2.3, 0.2, 1000))
    strip = bar.strip
    x = int(round(strip.x_of(500)))
    with qtbot.waitSignal(bar.cursor_requested) as blocker:
        QTest.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(x, strip.height() // 2))
    assert abs(blocker.args[0] - 500) <= 2
    bar.set_cursor(blocker.args[0], "batch 500 · epoch 2.0 · earlier")
    assert not bar.live_button.isChecked() and "earlier" in bar.status.text()
    for key, signal, arg in ((Qt.Key.Key_Left, bar.batches_requested, -1), (Qt.Key.Key_Right, bar.batches_requested, 1),
                             (Qt.Key.Key_PageDown, bar.epochs_requested, 1), (Qt.Key.Key_PageUp, bar.epochs_requested, -1)):
        with qtbot.waitSignal(signal) as blocker:
            QTest.keyClick(bar, key)
        assert blocker.args == [arg]
    with qtbot.waitSignal(bar.live_requested):
        QTest.keyClick(bar, Qt.Key.Key_End)
    bar.set_cursor(None, "batch 1,000 · epoch 4.0 · live")
    assert bar.live_button.isChecked()


def test_an_empty_recording_disables_the_controls(bar):
    bar.set_recording(0, 0, [], [], [])
    assert not bar.play_button.isEnabled() and not bar.live_button.isEnabled()


def trained(make_window, qtbot):
    """A window that trained 2 epochs at full speed with test digit 3 as the input."""
    window = make_window()
    window.session.set_pace(None)
    set_epochs(window, 2)
    window.show_test_digit(3)
    window.actions.start.trigger()
    wait_state(qtbot, window, RunState.READY)
    return window


def assert_views_show(window, step):
    """The network view, the pad and the weight maps show the recorded moment at ``step``."""
    moment = window.session.timeline.moment_at(step)
    expected = moment.network.forward(window.session.input.vector)
    np.testing.assert_allclose(window.network_view._acts[-1], expected[-1], rtol=1e-5)
    np.testing.assert_allclose(window.pad.bars.probabilities(), expected[-1], rtol=1e-5)
    np.testing.assert_array_equal(window.weight_maps._snapshot.weights[0], moment.network.weights[0])


def test_every_view_shows_the_moment_under_the_cursor_while_training_goes_on(make_window, qtbot):
    window = trained(make_window, qtbot)
    timeline = window.session.timeline
    assert timeline is not None and timeline.batch_count == 40, "every batch of the run is recorded"
    window.timeline_bar.cursor_requested.emit(7)
    window.render(everything=True)
    assert_views_show(window, 7)
    assert "batch 7" in window.timeline_bar.status.text() and not window.timeline_bar.live_button.isChecked()
    assert window.actions.continue_here.isEnabled()
    window.timeline_bar.live_requested.emit()
    window.render(everything=True)
    assert window.session.cursor.live and window.session.shown is window.latest_snapshot()


def test_starting_again_extends_the_curves_and_continue_from_here_forks(make_window, qtbot, dialogs):
    window = make_window()
    window.session.set_pace(None)
    set_epochs(window, 1)
    window.actions.start.trigger()
    wait_state(qtbot, window, RunState.READY)
    window.actions.start.trigger()
    wait_state(qtbot, window, RunState.READY)
    timeline = window.session.timeline
    assert timeline.batch_count == 40 and window.session.history().train_x.size == 40, "curves never vanish"
    window.session.set_cursor(10)
    window.actions.continue_here.trigger()
    assert dialogs.kinds() == ["question"] and "Continue from here" in dialogs.shown[0][1]
    wait_state(qtbot, window, RunState.READY)
    assert window.session.timeline is timeline and timeline.batch_count == 30, "10 kept, then one more epoch"


def test_the_speed_is_remembered_and_applies_to_the_run(make_window, qtbot):
    window = make_window()
    i = window.controls.pace.findData(30.0)
    window.controls.pace.setCurrentIndex(i)
    assert window.session.pace == 30.0 and window.settings.pace == 30.0


def test_the_weight_maps_can_show_what_a_batch_and_what_training_changed(make_window, qtbot):
    from visualizer.core.mosaic import tile_mosaic
    from visualizer.ui.common.options import WeightView

    window = make_window()
    window.session.set_pace(None)
    set_epochs(window, 1)
    window.actions.start.trigger()
    wait_state(qtbot, window, RunState.READY)
    timeline, maps = window.session.timeline, window.weight_maps
    window.session.set_cursor(12)
    for view, before in ((WeightView.BATCH_CHANGE, timeline.moment_at(11)), (WeightView.TOTAL_CHANGE, timeline.moment_at(0))):
        maps.view_combo.setCurrentIndex(maps.view_combo.findData(view))
        window.render(everything=True)
        now = timeline.moment_at(12).network
        expected = tile_mosaic(now.weights[0] - before.network.weights[0], cols=maps._cols)
        np.testing.assert_allclose(maps._blocks[0].image.image, expected, equal_nan=True, atol=1e-7)
        assert "change" in maps._blocks[0]._title_shown
