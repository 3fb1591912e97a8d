"""The main window as a user meets it: views update, runs start/pause/step/stop, files round-trip."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QLabel, QMessageBox

from window_fixtures import tiny_dataset

from visualizer.data.dataset import Dataset
from visualizer.ui import theme
from visualizer.ui.window import MainWindow
from visualizer.ui.settings import Settings
from visualizer.session import RunState
from visualizer.ui.common.options import Theme
from visualizer.ui.workers import Backend
from visualizer.core.snapshot import SnapshotEvent

# Copies of the screenshots go here too when set (to look at them outside pytest's tmp folders).
SCREENSHOT_DIR_ENV = "NNVIZ_SCREENSHOT_DIR"


def wait_state(qtbot, window, state, timeout=30_000):
    qtbot.waitUntil(lambda: window.state == state, timeout=timeout)


def set_epochs(window, epochs, batch=10):
    window.controls.epochs.setValue(epochs)
    window.controls.batch_size.setValue(batch)


# -- building and drawing ------------------------------------------------------------------------
def test_window_builds_with_docks_menus_and_shortcuts(make_window):
    window = make_window(wait_ready=False, autoload=False)
    titles = {d.windowTitle() for d in window.findChildren(QDockWidget)}
    assert {"Training", "Curves", "Weights"} <= titles
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Training", "&View", "&Help"]
    a = window.actions
    keys = {name: getattr(a, name).shortcut().toString() for name in
            ("start_pause", "export_weights", "open_dataset", "import_weights", "step", "stop", "reset")}
    assert keys == {"start_pause": "Space", "export_weights": "Ctrl+E", "open_dataset": "Ctrl+O",
                    "import_weights": "Ctrl+I", "step": "S", "stop": "Esc", "reset": "Ctrl+R"}
    assert all(action.toolTip() for action in window.actions.__dict__.values() if hasattr(action, "toolTip"))
    assert not a.start.isEnabled(), "Start must wait until TensorFlow and the data are ready"
    assert window.state == RunState.LOADING


def test_add_dock_lists_the_panel_and_feeds_input(make_window, make_snapshot):
    window = make_window(wait_ready=False, autoload=False)
    dock = window.add_dock(QLabel("pad"), "Drawing pad")
    assert dock.objectName() == "dock_drawing_pad"
    assert dock.toggleViewAction() in window.menus["panels"].actions()
    window.session.on_snapshot(make_snapshot())
    x = np.zeros(784, np.float32)
    x[100:200] = 1
    window.set_current_input(x.reshape(28, 28), true_label=3)
    assert window.render()
    assert "Your drawing" in window.controls.input_label.text() and "true <b>3</b>" in window.controls.input_label.text()
    with pytest.raises(ValueError):
        window.set_current_input(np.zeros(10))
    window.set_current_input(None)  # e.g. the pad was cleared
    assert window.render() and "nothing to classify" in window.controls.input_label.text()


def test_snapshot_updates_every_view_latest_wins(make_window, make_snapshot, make_history, monkeypatch):
    window = make_window(wait_ready=False, autoload=False)
    calls = []
    for view, method in ((window.network_view, "set_weights"), (window.network_view, "set_activations"),
                         (window.weight_maps, "set_weights"), (window.curves, "set_history")):
        real = getattr(view, method)
        monkeypatch.setattr(view, method, lambda *a, _m=method, _v=view, _r=real, **k: (calls.append((_v, _m, a)), _r(*a, **k)))
    window.show_test_digit(5)
    window.session.progress_run = 1  # as if run 1 had been started from the window
    history = make_history()
    snaps = [make_snapshot(seed=i, run_id=1, step=i, epochs=3, batches_per_epoch=50, batch=i, history=history)
             for i in range(1, 40)]
    for snap in snaps:  # a burst between two frames...
        window.session.on_snapshot(snap)
    window.session.on_snapshot(make_snapshot(seed=99, run_id=1, step=3))  # ...and a stale straggler
    assert window.render()
    drawn = [a[0] for v, m, a in calls if m == "set_weights"]
    assert drawn == [snaps[-1], snaps[-1]], "one frame, both weight views, with the newest snapshot only"
    assert [m for _, m, _ in calls].count("set_history") == 1
    acts = [a for _, m, a in calls if m == "set_activations"][0]
    assert len(acts[0]) == 4 and acts[2] == int(window.dataset.y_test[5])
    assert "Epoch 1/3" in window.progress.bar.format()
    assert not window.render(), "nothing new: no redraw"


# -- training ----------------------------------------------------------------------------------------
def test_step_pause_resume_stop_with_real_training(make_window, qtbot):
    window = make_window()
    set_epochs(window, 200)
    first = window.latest_snapshot()
    window.actions.step.trigger()
    wait_state(qtbot, window, RunState.PAUSED)
    assert window.curves.x_range()[1] == pytest.approx(200, rel=0.03), "the epoch axis spans the run"
    qtbot.waitUntil(lambda: window.latest_snapshot().step == first.step + 1, timeout=30_000)
    window.actions.step.trigger()
    qtbot.waitUntil(lambda: window.latest_snapshot().step == first.step + 2, timeout=10_000)
    assert window.state == RunState.PAUSED and window.actions.pause.text() == "Resume"
    assert not window.controls.hidden.isEnabled(), "settings are locked during a run"
    window.actions.start_pause.trigger()  # Space: resume
    assert window.state == RunState.RUNNING
    qtbot.waitUntil(lambda: window.latest_snapshot().step > first.step + 20, timeout=30_000)
    window.actions.start_pause.trigger()  # Space: pause
    assert window.state == RunState.PAUSED
    window.actions.stop.trigger()
    wait_state(qtbot, window, RunState.READY)
    assert window.last_result is not None and window.last_result.stopped
    assert window.actions.start.isEnabled() and window.controls.hidden.isEnabled()


def test_keyboard_shortcuts_drive_training_but_not_while_typing(make_window, qtbot):
    window = make_window()
    set_epochs(window, 10_000)
    qtbot.keyClick(window.network_view, Qt.Key.Key_S)  # step: a paused run, one batch
    wait_state(qtbot, window, RunState.PAUSED)
    qtbot.keyClick(window.network_view, Qt.Key.Key_Escape)  # stop
    wait_state(qtbot, window, RunState.READY)
    window.controls.hidden.setFocus()
    qtbot.keyClicks(window.controls.hidden, " s")  # typed into the field, no shortcut fires
    assert window.state == RunState.READY
    qtbot.keyClick(window.network_view, Qt.Key.Key_Space)  # start
    assert window.state == RunState.RUNNING
    qtbot.keyClick(window.network_view, Qt.Key.Key_Space)  # pause
    assert window.state == RunState.PAUSED


def test_run_finishes_and_next_run_continues_from_the_weights(make_window, qtbot):
    window = make_window()
    set_epochs(window, 3)
    window.actions.start.trigger()
    wait_state(qtbot, window, RunState.RUNNING, 5000)
    wait_state(qtbot, window, RunState.READY)
    first = window.last_result
    assert not first.stopped and first.batches == 60
    settled = []
    window.snapshot_settled.connect(settled.append)
    window.controls.learning_rate.setValue(0.0005)
    window.actions.start.trigger()
    wait_state(qtbot, window, RunState.READY)
    assert window.latest_snapshot().step == 120, "the second run continued the step count (same weights)"
    assert [snap.event for snap in settled] == [SnapshotEvent.EPOCH_END] * 3 + [SnapshotEvent.TRAIN_END]
    window.render()
    assert "Done" in window.progress.bar.format()


def test_architecture_change_asks_before_discarding(make_window, qtbot, dialogs):
    window = make_window()
    set_epochs(window, 1)
    window.actions.start.trigger()
    wait_state(qtbot, window, RunState.READY)
    trained = window.latest_snapshot()
    window.controls.hidden.setText("8")
    dialogs.answer = QMessageBox.StandardButton.Cancel
    window.actions.start.trigger()
    assert dialogs.kinds() == ["question"] and window.state == RunState.READY
    assert window.latest_snapshot() is trained, "cancel keeps the trained network"
    dialogs.answer = QMessageBox.StandardButton.Yes
    window.actions.start.trigger()
    wait_state(qtbot, window, RunState.READY)
    snap = window.latest_snapshot()
    assert snap.layer_sizes == (784, 8, 10) and snap.run_id > trained.run_id


def test_reset_mid_run_stops_then_builds_fresh_weights(make_window, qtbot):
    window = make_window()
    set_epochs(window, 10_000)
    window.actions.start.trigger()
    qtbot.waitUntil(lambda: window.latest_snapshot().step > 5, timeout=30_000)
    trained = window.latest_snapshot()
    window.actions.reset.trigger()
    qtbot.waitUntil(lambda: window.latest_snapshot().run_id > trained.run_id, timeout=30_000)
    wait_state(qtbot, window, RunState.READY)
    assert window.latest_snapshot().step == 0


# -- files -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".npz", ".json", ".keras", ".weights.h5"])
def test_export_then_import_round_trips(make_window, qtbot, tmp_path, monkeypatch, dialogs, suffix):
    window = make_window()
    set_epochs(window, 1)
    window.actions.start.trigger()
    wait_state(qtbot, window, RunState.READY)
    trained = window.latest_snapshot()
    target = tmp_path / f"net{suffix}"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.actions.export_weights.trigger()
    qtbot.waitUntil(target.exists, timeout=30_000)
    qtbot.waitUntil(lambda: "saved" in window.statusBar().currentMessage(), timeout=30_000)
    window.actions.reset.trigger()
    qtbot.waitUntil(lambda: window.latest_snapshot().run_id > trained.run_id, timeout=30_000)
    wait_state(qtbot, window, RunState.READY)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.actions.import_weights.trigger()
    qtbot.waitUntil(lambda: "Imported" in window.statusBar().currentMessage(), timeout=30_000)
    wait_state(qtbot, window, RunState.READY)
    assert dialogs.shown == []
    imported = window.latest_snapshot()
    for a, b in zip((*imported.weights, *imported.biases), (*trained.weights, *trained.biases), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_tflite_export_writes_a_file(make_window, qtbot, tmp_path, monkeypatch, dialogs):
    window = make_window()
    target = tmp_path / "net"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "TensorFlow Lite (export only) (*.tflite)")))
    window.actions.export_weights.trigger()
    qtbot.waitUntil(lambda: bool(dialogs.shown) or tmp_path.joinpath("net.tflite").exists(), timeout=60_000)
    assert dialogs.shown == [] and tmp_path.joinpath("net.tflite").stat().st_size > 1000


def test_bad_weights_file_shows_error_and_keeps_model(make_window, qtbot, tmp_path, monkeypatch, dialogs):
    window = make_window()
    before = window.latest_snapshot()
    config_before = window.controls.config()
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"this is not a numpy archive")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bad), "")))
    window.actions.import_weights.trigger()
    qtbot.waitUntil(lambda: bool(dialogs.shown), timeout=30_000)
    wait_state(qtbot, window, RunState.READY)
    kind, title, text = dialogs.shown[0]
    assert kind == "warning" and "import" in title.lower() and "broken.npz" in text
    assert window.latest_snapshot() is before and window.controls.config() == config_before


def test_bad_dataset_shows_error_and_keeps_data(make_window, qtbot, tmp_path, monkeypatch, dialogs):
    window = make_window()
    data = window.dataset
    bad = tmp_path / "nothing-here"
    bad.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(bad)))
    window.actions.open_dataset_folder.trigger()
    qtbot.waitUntil(lambda: bool(dialogs.shown), timeout=30_000)
    wait_state(qtbot, window, RunState.READY)
    assert dialogs.kinds() == ["warning"] and window.dataset is data


def test_open_dataset_file_switches_data(make_window, qtbot, tmp_path, monkeypatch, dialogs):
    window = make_window()
    rng = np.random.default_rng(1)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=rng.integers(0, 255, (120, 28, 28), dtype=np.uint8), y_train=rng.integers(0, 10, 120).astype(np.uint8),
             x_test=rng.integers(0, 255, (30, 28, 28), dtype=np.uint8), y_test=rng.integers(0, 10, 30).astype(np.uint8))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    with qtbot.waitSignal(window.dataset_changed, timeout=30_000):
        window.actions.open_dataset.trigger()
    assert len(window.dataset.x_train) == 120 and dialogs.shown == []
    assert "120 training" in window.data_label.text()


def test_opening_a_dataset_after_a_failed_start_builds_the_network(qtbot, tmp_path, monkeypatch, dialogs):
    def failing_startup(*args, report):
        raise RuntimeError("TensorFlow could not start")

    monkeypatch.setattr(Backend, "startup", staticmethod(failing_startup))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    wait_state(qtbot, window, RunState.NO_DATA)
    rng = np.random.default_rng(2)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=rng.integers(0, 255, (120, 28, 28), dtype=np.uint8), y_train=rng.integers(0, 10, 120).astype(np.uint8),
             x_test=rng.integers(0, 255, (30, 28, 28), dtype=np.uint8), y_test=rng.integers(0, 10, 30).astype(np.uint8))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    with qtbot.waitSignal(window.snapshot_settled, timeout=30_000):  # the fresh network
        window.actions.open_dataset.trigger()
    wait_state(qtbot, window, RunState.READY)
    assert window.latest_snapshot() is not None and window.actions.start.isEnabled() and dialogs.shown == []


@pytest.mark.mnist
def test_open_real_mnist_folder_and_train_one_epoch(make_window, qtbot, monkeypatch, dialogs, mnist_dir):
    window = make_window()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(mnist_dir)))
    with qtbot.waitSignal(window.dataset_changed, timeout=60_000):
        window.actions.open_dataset_folder.trigger()
    wait_state(qtbot, window, RunState.READY)
    assert not window.dataset.is_synthetic and "MNIST" in window.data_label.text() and dialogs.shown == []
    set_epochs(window, 1, batch=32)
    window.actions.start.trigger()
    wait_state(qtbot, window, RunState.READY, 120_000)
    assert window.last_result.test_accuracy > 0.85


def test_divergence_shows_banner_and_keeps_running_app(make_window, qtbot):
    data = tiny_dataset()
    x = data.x_train.copy()
    x[::2, 0] = np.inf
    window = make_window(Dataset(x, data.y_train, data.x_test, data.y_test, "poisoned", "synthetic"))
    set_epochs(window, 2, batch=1)
    window.actions.start.trigger()
    wait_state(qtbot, window, RunState.READY)
    assert window.banner.isVisible() and "diverged" in window.banner.text()
    assert all(np.isfinite(w).all() for w in window.latest_snapshot().weights)


def test_message_parts_join_as_sentences():
    from visualizer.session.messages import join_sentences

    assert join_sentences("nowhere: no such file or folder", "Using synthetic digits instead.") == \
        "Nowhere: no such file or folder. Using synthetic digits instead."
    assert join_sentences("Diverged!", "", "try again") == "Diverged! Try again."


def test_a_bad_data_path_says_it_failed_and_how_to_open_another(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("NNVIZ_DATA", raising=False)
    missing = tmp_path / "nonexistent"
    window = MainWindow(data=str(missing))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.state == RunState.READY, timeout=60_000)  # synthetic digits keep it usable
    text = window.banner.text()
    assert window.banner.isVisible() and window.banner.level == "warning"
    assert text.startswith("Could not open the dataset given with --data \N{EM DASH} ")
    assert "nonexistent: no such file or folder. Training on synthetic digits instead; " in text
    assert text.endswith("open another dataset with File ▸ Open dataset…")
    assert window.dataset.is_synthetic


def test_screenshot_action_saves_png(make_window, tmp_path, monkeypatch):
    window = make_window(wait_ready=False, autoload=False)
    target = tmp_path / "shot"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.actions.screenshot.trigger()
    image = QImage(str(target) + ".png")
    assert image.width() >= 1000 and image.height() >= 600


# -- closing, settings --------------------------------------------------------------------------------
@pytest.mark.parametrize("paused", [False, True])
def test_close_mid_training_is_fast_and_saves_settings(make_window, qtbot, paused):
    window = make_window()
    set_epochs(window, 10_000)
    window.controls.hidden.setText("32,16")
    window.actions.start.trigger()
    qtbot.waitUntil(lambda: window.latest_snapshot().step > 10, timeout=30_000)
    if paused:
        window.set_paused(True)
        qtbot.wait(50)
    started = time.perf_counter()
    window.close()
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"closing took {elapsed:.2f} s"
    assert len(window._workers) == 0
    assert Settings().config().hidden == (32, 16)
    assert Settings().geometry() is not None


def test_settings_are_restored(make_window, qtbot):
    window = make_window(wait_ready=False, autoload=False)
    window.controls.batch_size.setValue(64)
    window.set_redraw_rate(10)
    window.close()
    again = make_window(wait_ready=False, autoload=False)
    assert again.controls.batch_size.value() == 64
    assert again.actions.redraw[10].isChecked() and again.settings.redraw_hz == 10


@pytest.fixture
def restore_theme(qapp):
    palette, style = QApplication.palette(), qapp.style().name()
    yield
    qapp.setStyle(style)
    QApplication.setPalette(palette)


def test_dark_and_light_themes(make_window, restore_theme):
    window = make_window(wait_ready=False, autoload=False)
    window.set_theme("dark")
    QApplication.processEvents()  # palette changes reach widgets as posted events
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 80
    bg = window.curves.findChildren(pg.GraphicsView)[0].backgroundBrush().color()
    assert bg.lightness() < 80, "plots follow the dark palette"
    window.set_theme("light")
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 200
    assert Settings().theme is Theme.LIGHT


# -- screenshots: saved before, during and after training, light and dark, to look at -------------
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_screenshots_before_during_after(make_window, qtbot, tmp_path, restore_theme, mode):
    theme.apply_theme(mode)
    window = make_window()
    set_epochs(window, 30)
    window.render()  # the redraw timer would do this within one frame
    qtbot.wait(50)  # and the layout settles (wrapped labels)
    shots = {"before": window.grab().toImage()}
    window.actions.start.trigger()
    qtbot.waitUntil(lambda: window.latest_snapshot().step > 40, timeout=30_000)
    window.set_paused(True)
    qtbot.wait(100)
    window.render()
    qtbot.wait(50)
    shots["during"] = window.grab().toImage()
    window.set_paused(False)
    wait_state(qtbot, window, RunState.READY)
    window.render()
    qtbot.wait(50)
    shots["after"] = window.grab().toImage()
    copy_dir = os.environ.get(SCREENSHOT_DIR_ENV)
    for name, image in shots.items():
        path = tmp_path / f"window-{mode}-{name}.png"
        assert image.save(str(path))
        assert image.width() >= 1000
        if copy_dir:
            Path(copy_dir).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, copy_dir)
    # The window is not blank and differs once trained (weights, curves and progress changed).
    assert shots["before"] != shots["during"] != shots["after"]
    bg = shots["after"].pixelColor(5, shots["after"].height() // 2)
    assert (bg.lightness() < 100) == (mode == "dark")


def test_the_title_and_about_box_say_what_nnviz_does(make_window, dialogs):
    window = make_window(wait_ready=False)
    assert window.windowTitle() == "nnviz — Watch a neural network learn"
    window.actions.about.trigger()
    (kind, title, text), = dialogs.shown
    assert kind == "about" and title == "About nnviz"
    for feature in ("Presets", "Pace", "Timeline and replay", "Gradients", "Presenter mode"):
        assert feature in text
