"""Files dropped on the window: weights import (asking first, as the menu does), runs open, images go to the pad,
anything else gets one line in the status bar."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from test_main_window import wait_state
from test_window_import import network

from visualizer.core import runfile
from visualizer.core.config import TrainingConfig
from visualizer.core.timeline import Batches, Timeline, flatten_network
from visualizer.session import RunState
from visualizer.training.export import export_weights
from visualizer.ui.drops import DropKind, kind_of


@pytest.fixture
def window(make_window):
    return make_window()


def drop(target, *paths) -> bool:
    """Drag ``paths`` over ``target`` (any widget of the window) and drop them, as a file manager does;
    True when a widget took the drag."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(target, QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, buttons, keys))
    return True


def settle(window, qtbot):
    qtbot.waitUntil(lambda: window.state is RunState.READY, timeout=30_000)


def test_dropped_weights_import_and_another_architecture_asks_first(window, qtbot, dialogs, tmp_path):
    first = export_weights(network((12,), "relu"), tmp_path / "first.npz")
    other = export_weights(network((8, 8), "tanh", seed=1), tmp_path / "other.keras")
    assert drop(window.network_view._canvas.viewport(), first)  # over the network view: it reaches the window
    qtbot.waitUntil(lambda: window.latest_snapshot().layer_sizes == (784, 12, 10), timeout=30_000)
    settle(window, qtbot)
    assert dialogs.shown == [], "fresh weights are replaced without a question"
    before = window.latest_snapshot()
    dialogs.answer = QMessageBox.StandardButton.Cancel
    assert drop(window.data_label, other)
    qtbot.waitUntil(lambda: bool(dialogs.shown), timeout=30_000)
    settle(window, qtbot)
    (kind, title, text), = dialogs.shown
    assert (kind, title) == ("question", "Replace the network?")
    assert "(imported from first.npz); other.keras holds 784-8-8-10 tanh" in text
    assert window.latest_snapshot() is before and window.controls.config().hidden == (12,)
    assert "cancelled; the network is unchanged" in window.statusBar().currentMessage()
    dialogs.answer = QMessageBox.StandardButton.Yes
    drop(window.network_view._canvas.viewport(), other)
    qtbot.waitUntil(lambda: window.latest_snapshot().layer_sizes == (784, 8, 8, 10), timeout=30_000)


def test_a_dropped_run_file_opens_for_replay(window, qtbot, dialogs, tmp_path):
    net = network((16, 16), "relu")
    timeline = Timeline()
    timeline.extend(net, 0)
    timeline.append(Batches(first_step=1, epoch=0, first_batch=1, batches_per_epoch=2, loss=np.array([2.0]),
                            accuracy=np.array([0.1]), weight_steps=[1], weights=[flatten_network(net)]))
    path = runfile.save_run(tmp_path / "lesson.nnviz-run", timeline, TrainingConfig(), dataset_name="tiny")
    assert drop(window.network_view._canvas.viewport(), path)
    qtbot.waitUntil(lambda: window.session.timeline is not None and window.session.timeline.batch_count == 1,
                    timeout=30_000)
    assert "Opened the run lesson.nnviz-run" in window.statusBar().currentMessage() and dialogs.shown == []


def test_a_dropped_image_goes_to_the_pad_wherever_it_lands(window, qtbot, tmp_path):
    img = np.zeros((60, 40), np.uint8)
    img[10:50, 18:24] = 255  # a "1"
    path = tmp_path / "one.png"
    Image.fromarray(img).save(path)
    assert drop(window.network_view._canvas.viewport(), path)
    qtbot.waitUntil(lambda: window.pad.input_name() == "Image one.png", timeout=30_000)
    assert window.session.input.name == "Image one.png"


def test_a_dropped_file_nnviz_cannot_use_says_so(window, qtbot, dialogs, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    before = window.latest_snapshot()
    assert drop(window.pad.pad, notes), "the pad takes images only; anything else reaches the window"
    message = window.statusBar().currentMessage()
    assert message.startswith("Cannot open notes.txt: nnviz opens weights (.keras")
    assert window.latest_snapshot() is before and dialogs.shown == []


def test_weights_dropped_during_a_run_say_to_stop_first(window, qtbot, tmp_path):
    path = export_weights(network((12,), "relu"), tmp_path / "w.npz")
    window.session.set_pace(5.0)
    window.start_training()
    wait_state(window=window, qtbot=qtbot, state=RunState.RUNNING)
    before = window.latest_snapshot().layer_sizes
    drop(window.network_view._canvas.viewport(), path)
    assert "Cannot import weights now (training): stop training first, then drop w.npz again" in (
        window.statusBar().currentMessage())
    window.stop_training()
    wait_state(window=window, qtbot=qtbot, state=RunState.READY)
    assert window.latest_snapshot().layer_sizes == before


def test_what_each_dropped_name_is_taken_for(tmp_path):
    dataset = tmp_path / "mnist.npz"
    np.savez(dataset, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8))
    weights = export_weights(network((4,), "relu"), tmp_path / "tiny.npz")
    assert kind_of(dataset) is DropKind.DATASET and kind_of(weights) is DropKind.WEIGHTS
    assert kind_of(tmp_path) is DropKind.DATASET_FOLDER
    expected = {"a.keras": DropKind.WEIGHTS, "b.weights.h5": DropKind.WEIGHTS, "c.H5": DropKind.WEIGHTS,
                "d.json": DropKind.WEIGHTS, "e.nnviz-run": DropKind.RUN, "f.PNG": DropKind.IMAGE,
                "t10k-images-idx3-ubyte.gz": DropKind.DATASET, "g.csv": DropKind.DATASET,
                "h.tflite": DropKind.UNSUPPORTED, "i.txt": DropKind.UNSUPPORTED}
    assert {name: kind_of(tmp_path / name) for name in expected} == expected
    assert kind_of(tmp_path / "missing.npz") is DropKind.WEIGHTS, "unreadable: the import says why"
