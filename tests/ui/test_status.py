"""The progress bar says where a run is (preparing, running, done, where it stopped); the status bar's messages are never cut."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMainWindow, QSizePolicy

from visualizer.core.snapshot import SnapshotEvent
from visualizer.ui.status import ElidedLabel, ProgressPanel, StatusBar

DATA_LINE = "Data: MNIST (IDX files in a folder with a long name/): 60,000 training / 10,000 test"


def test_the_progress_bar_says_where_a_stopped_run_stopped(qtbot, make_snapshot):
    panel = ProgressPanel()
    qtbot.addWidget(panel)
    panel.set_preparing()
    assert "Preparing" in panel.bar.format()
    panel.set_snapshot(make_snapshot(epochs=5, epoch=0, batch=0, batches_per_epoch=100, event=SnapshotEvent.START))
    assert "preparing the first batch" in panel.bar.format()
    panel.set_snapshot(make_snapshot(epochs=5, epoch=2, batch=40, batches_per_epoch=100, event=SnapshotEvent.TRAIN_END))
    assert panel.bar.format() == "Stopped at epoch 3/5 · batch 40/100" and panel.bar.value() == 480
    panel.set_snapshot(make_snapshot(epochs=5, epoch=5, batch=0, batches_per_epoch=100, event=SnapshotEvent.TRAIN_END))
    assert panel.bar.format() == "Done: 5 epochs"


def test_a_paced_run_shows_the_pace_it_follows_not_the_compute_rate(qtbot, make_snapshot):
    now = [0.0]
    panel = ProgressPanel(clock=lambda: now[0])
    qtbot.addWidget(panel)

    def run(batches_per_second: float, seconds: float = 3.0, start: int = 0) -> None:
        for tick in range(int(seconds * 10) + 1):  # snapshots at 10 Hz, as the window shows them
            now[0] += 0.1 if tick else 0.0
            panel.set_snapshot(make_snapshot(step=start + int(tick * batches_per_second / 10), epochs=5, epoch=0,
                                             batch=1, batches_per_epoch=1000, metrics={"samples_per_second": 4057.0}))

    panel.set_pace(None)
    run(300.0)
    assert panel.speed.text() == "4,057 img/s"
    panel.set_pace(100.0)
    run(100.0, start=1000)
    assert panel.speed.text() == "100 batches/s (paced)"
    assert "it computes 4,057 img/s" in panel.speed.toolTip()
    run(40.0, start=2000)  # a big network that cannot keep up with its pace
    assert panel.speed.text() == "40 of 100 batches/s"
    panel.set_pace(1.0)
    assert panel.speed.text() == "1 batch/s (paced)", "a new pace shows at once"
    run(1.0, start=3000)
    assert panel.speed.text() == "1 batch/s (paced)"


def test_the_window_shows_the_pace_a_run_follows(make_window, qtbot):
    from test_main_window import wait_state

    from visualizer.session import RunState

    window = make_window()
    window.session.set_pace(5.0)
    window.start_training()
    qtbot.waitUntil(lambda: window.progress.speed.text() == "5 batches/s (paced)", timeout=30_000)
    window.session.set_pace(None)
    assert window.progress.speed.text() == "– img/s", "full speed: the compute rate, once measured"
    window.stop_training()
    wait_state(window=window, qtbot=qtbot, state=RunState.READY)


def test_the_progress_bar_is_painted_with_the_frame_not_at_once(qtbot, make_snapshot):
    from PySide6.QtCore import QEvent, QObject

    class Paints(QObject):
        count = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                Paints.count += 1
            return False

    panel = ProgressPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    paints = Paints()
    panel.bar.installEventFilter(paints)
    panel.set_snapshot(make_snapshot(epochs=5, epoch=1, batch=50, batches_per_epoch=100))
    assert Paints.count == 0 and panel.bar.value() == 300  # no repaint inside the call ...
    qtbot.waitUntil(lambda: Paints.count > 0)  # ... but on the next pass of the event loop


@pytest.fixture
def status_bar(qtbot):
    """A 1024-pixel window's status bar: the dataset line, then the progress panel."""
    window = QMainWindow()
    qtbot.addWidget(window)
    bar = StatusBar()
    window.setStatusBar(bar)
    bar.data_line = ElidedLabel("The dataset in use")
    bar.data_line.setText(DATA_LINE)
    bar.data_line.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    bar.addWidget(bar.data_line, 1)
    progress = ProgressPanel()
    bar.addPermanentWidget(progress)
    bar.set_spare(progress.spare_fields())
    window.resize(1024, 768)
    window.show()
    qtbot.waitExposed(window)
    yield bar  # (the window lives as long as the fixture)


def _settled(qtbot, bar) -> None:
    qtbot.wait(20)  # the fields hidden or shown, the bar laid out again


def test_a_long_status_message_takes_the_room_of_eta_speed_and_fps(status_bar, qtbot):
    bar = status_bar
    fm = bar.fontMetrics()
    bar.showMessage("Screenshot saved")
    _settled(qtbot, bar)
    assert bar.spare_shown() and bar.shown_message() == "Screenshot saved" and bar.toolTip() == ""
    room_with_fields = bar.message_rect().width()
    long = "Preset One neuron: is it a 6?: the single-neuron article, one sigmoid neuron answers yes or no"
    assert room_with_fields < fm.horizontalAdvance(long) < bar.width() - 400  # cut, were the fields kept
    bar.showMessage(long)
    _settled(qtbot, bar)
    assert not bar.spare_shown()
    assert bar.shown_message() == long and bar.toolTip() == ""
    assert fm.horizontalAdvance(long) <= bar.message_rect().width()
    bar.clearMessage()
    _settled(qtbot, bar)
    assert bar.spare_shown()


def test_a_message_too_long_even_then_is_elided_whole_in_the_tooltip(status_bar, qtbot):
    bar = status_bar
    longest = "Opened the run lesson.nnviz-run: " + "every moment's weights and every batch's loss, " * 4
    bar.showMessage(longest)
    _settled(qtbot, bar)
    assert not bar.spare_shown()
    shown = bar.shown_message()
    assert shown != longest and shown.endswith("…") and longest.startswith(shown[:-1])
    assert bar.toolTip() == longest and bar.currentMessage() == longest
    assert bar.fontMetrics().horizontalAdvance(shown) <= bar.message_rect().width()
    bar.showMessage("Saved")  # a short one after it: the fields come back, no tooltip
    _settled(qtbot, bar)
    assert bar.spare_shown() and bar.toolTip() == ""


def test_a_message_that_came_while_the_bar_was_hidden_does_not_cover_the_data_line(status_bar, qtbot):
    bar = status_bar
    data = bar.data_line
    bar.hide()  # presenter mode
    bar.showMessage("Training finished: 5 epochs, test accuracy 94.1%")
    bar.show()
    _settled(qtbot, bar)
    assert not data.isVisible()
    bar.clearMessage()
    _settled(qtbot, bar)
    assert data.isVisible()


def test_the_dataset_line_is_elided_beside_the_progress_bar_never_cut(status_bar, qtbot):
    line = status_bar.data_line
    _settled(qtbot, status_bar)
    assert line.text() == DATA_LINE  # the whole text, as set
    shown = super(ElidedLabel, line).text()
    assert shown != DATA_LINE and shown.endswith("…")
    assert line.fontMetrics().horizontalAdvance(shown) <= line.contentsRect().width()
    assert DATA_LINE in line.toolTip() and "The dataset in use" in line.toolTip()
    line.setText("Data: MNIST")
    assert super(ElidedLabel, line).text() == "Data: MNIST" and line.toolTip() == "The dataset in use"


def test_a_resize_never_re_lays_the_bar_out_from_within_its_own_layout_pass(status_bar, qtbot):
    """Fitting hides fields and re-lays the bar out (with reformat(), which deleted its layouts): from inside the
    resize's layout pass (a permanent widget's Move event) that freed the layout being iterated, a
    segmentation fault in the UI suite. The fit now comes on the next pass of the event loop."""
    bar, window = status_bar, status_bar.window()
    room_narrow = bar.message_rect().width()  # at 1024 pixels, with the fields
    message, word = "", "weights "
    while bar.fontMetrics().horizontalAdvance(message) <= room_narrow + 20:
        message += word
    assert bar.fontMetrics().horizontalAdvance(message) < room_narrow + bar._spare_width() - 20
    window.resize(1600, 768)
    bar.showMessage(message)
    _settled(qtbot, bar)
    assert bar.spare_shown(), "it fits beside the fields at 1600 pixels"
    calls = []
    resizing = [False]
    original = bar._relayout  # where a fit re-lays the bar out (it used reformat(), which rebuilt its rows)

    def relayout():
        calls.append(resizing[0])
        original()

    bar._relayout = relayout
    resizing[0] = True
    window.resize(1024, 768)  # now it needs the fields' room
    resizing[0] = False
    _settled(qtbot, bar)
    assert True not in calls, "the bar was re-laid out inside the resize"
    assert calls and not bar.spare_shown() and bar.shown_message() == message


def test_a_long_message_hides_the_dataset_line_while_it_is_shown(status_bar, qtbot):
    """Making room for a long message re-lays the bar out; reformat() did that by re-adding every
    widget, which showed the dataset line again under the message (both drawn on one line)."""
    bar, data = status_bar, status_bar.data_line
    bar.showMessage("Training the network on the left from its random weights, on 24,345 training images, "
                    "5 epochs")
    _settled(qtbot, bar)
    assert not bar.spare_shown(), "the message took the fields' room"
    assert not data.isVisible(), "the dataset line is hidden while the message shows"
    bar.clearMessage()
    _settled(qtbot, bar)
    assert data.isVisible() and bar.spare_shown()


def test_a_paused_run_says_paused_not_the_rate_before_the_pause(qtbot, make_snapshot):
    now = [0.0]
    panel = ProgressPanel(clock=lambda: now[0])
    qtbot.addWidget(panel)
    snap = lambda step: make_snapshot(step=step, epochs=5, epoch=0, batch=1, batches_per_epoch=1000,  # noqa: E731
                                      metrics={"samples_per_second": 4057.0})
    panel.set_snapshot(snap(10))
    assert panel.speed.text() == "4,057 img/s"
    panel.set_paused(True)
    assert panel.speed.text() == "Paused"
    panel.set_snapshot(snap(11))  # the snapshot that shows where it paused, and a Step's
    assert panel.speed.text() == "Paused"
    panel.set_paused(False)
    panel.set_snapshot(snap(12))
    assert panel.speed.text() == "4,057 img/s"
    # A paced run measures its rate afresh after a pause: 20 s paused are not "0 of 100 batches/s".
    panel.set_pace(100.0)
    for tick in range(11):
        now[0] += 0.1
        panel.set_snapshot(snap(100 + 10 * tick))
    panel.set_paused(True)
    now[0] += 20.0
    panel.set_paused(False)
    for tick in range(11):
        now[0] += 0.1
        panel.set_snapshot(snap(300 + 10 * tick))
    assert panel.speed.text() == "100 batches/s (paced)"


def test_the_window_says_paused_while_a_run_is_paused(make_window, qtbot):
    from test_main_window import wait_state

    from visualizer.session import RunState

    window = make_window()
    window.start_training(paused=True)
    wait_state(window=window, qtbot=qtbot, state=RunState.PAUSED)
    qtbot.waitUntil(lambda: window.progress.speed.text() == "Paused", timeout=30_000)
    window.set_paused(False)
    qtbot.waitUntil(lambda: window.progress.speed.text() != "Paused", timeout=30_000)
    window.stop_training()
    wait_state(window=window, qtbot=qtbot, state=RunState.READY)
