"""The main window: network view in the centre, weight maps, curves and controls in docks.

Training runs in a worker thread (``ui/worker.py``). Snapshots arriving from it are only stored;
one QTimer at the redraw rate draws the newest one (latest wins, bursts collapse). TensorFlow is
never imported here: loading it, building models, importing and exporting weights all happen in
background tasks; the current input's activations come from the numpy forward pass.
"""

from __future__ import annotations

import logging
import re
import time

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QSizePolicy, QVBoxLayout, QWidget

from visualizer import __version__
from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ConfigError, NnvizError, TrainingDiverged
from visualizer.core.forward import forward
from visualizer.ui import actions as menu, theme
from visualizer.ui.settings import Settings
from visualizer.ui.widgets.controls import ControlsPanel
from visualizer.ui.widgets.curves import Curves
from visualizer.ui.widgets.network_view import NetworkView
from visualizer.ui.widgets.status import Banner, FrameCounter, ProgressPanel
from visualizer.ui.widgets.weight_maps import WeightMaps
from visualizer.ui.worker import (
    Task, TrainingWorker, WorkerSet, initial_snapshot, read_dataset, read_weights, startup, write_weights,
)

log = logging.getLogger(__name__)

LOADING, READY, RUNNING, PAUSED, STOPPING, BUSY, NO_DATA = (
    "loading", "ready", "running", "paused", "stopping", "busy", "no data")
# Seconds between redraws, while training runs, of the views whose paint is costly (pyqtgraph
# plots: ~8 and ~15 ms a frame on a 2-core machine); the network view follows the redraw rate.
VIEW_PERIODS = {"weights": 0.25, "curves": 1.0}
MIN_TICK_HZ = 30
STATE_TEXT = {LOADING: "Loading…", READY: "Ready", RUNNING: "Training", PAUSED: "Paused",
              STOPPING: "Stopping…", BUSY: "Working…", NO_DATA: "No dataset"}


def describe_error(exc: BaseException) -> str:
    """One sentence for a dialog: our own errors carry it, anything else gets its type named."""
    if isinstance(exc, NnvizError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class MainWindow(QMainWindow):
    """nnviz's window. Drawing pad and test browser plug in with :meth:`add_dock`, e.g.::

        window.add_dock(pad, "Drawing pad", Qt.DockWidgetArea.RightDockWidgetArea)
        pad.input_changed.connect(window.set_current_input)     # network view shows the drawing
        window.weights_changed.connect(pad.set_snapshot)         # newest drawn weights, <= redraw rate
        window.snapshot_settled.connect(browser.set_snapshot)    # epoch/run ends, reset, import
        window.dataset_changed.connect(lambda d: browser.set_dataset(d.x_test, d.y_test))

    Parameters
    ----------
    data
        Dataset spec for ``load_dataset_or_synthetic`` (None: $NNVIZ_DATA or Keras MNIST).
    dataset
        An already loaded ``Dataset`` (tests, benchmarks); skips loading data.
    settings
        Where preferences are read and saved (default: QSettings org/app "nnviz").
    autoload
        Start :meth:`start_loading` when first shown (False: call it yourself).
    """

    weights_changed = Signal(object)  # the TrainingSnapshot just drawn (at most at the redraw rate)
    # Every snapshot that ends an epoch or a run, and every adopted network (initial, reset,
    # imported), as it arrives: for views that only re-evaluate at those moments (test browser).
    snapshot_settled = Signal(object)
    dataset_changed = Signal(object)  # the Dataset now in use
    state_changed = Signal(str)  # loading / ready / running / paused / stopping / busy

    def __init__(self, data: str | None = None, *, dataset=None, settings: Settings | None = None,
                 autoload: bool = True, parent=None):
        super().__init__(parent)
        self.setWindowTitle("nnviz — watch a neural network learn")
        self.settings = settings or Settings()
        self.dataset = dataset
        self.last_result = None
        self._data_spec = data
        self._state = None
        self._workers = WorkerSet(self)
        self._control = None
        self._latest = None  # newest snapshot received
        self._model_config: TrainingConfig | None = None  # the config the current weights belong to
        self._run_id = 0
        self._after_stop = None  # callable to run once the training thread has finished
        self._input = self._input_label = None
        self._input_index = 0
        self._input_dirty = False
        self._input_source = ""
        self._progress_run = None  # run_id whose snapshots drive the progress bar
        self._shown = {"network": None, "weights": None, "curves": None}  # snapshot each view shows
        self._shown_at = dict.fromkeys(self._shown, -1e9)  # when it was drawn (time.monotonic)
        self._progress_shown = None
        self._snapshot_hook = None  # benchmarks count arrivals here
        self._loading_started = not autoload  # else loading starts once the window is shown
        self._frames = FrameCounter()

        self.actions = a = menu.Actions(self)
        self.controls = ControlsPanel(a)
        self.network_view = NetworkView()
        self.weight_maps = WeightMaps()
        self.curves = Curves()
        self.banner = Banner()
        self.progress = ProgressPanel()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.network_view, 1)
        self.setCentralWidget(central)

        self.menus = menu.build_menus(self, a)
        self.setDockNestingEnabled(True)
        docks = [self.add_dock(self.controls, "Training", Qt.DockWidgetArea.LeftDockWidgetArea),
                 self.add_dock(self.curves, "Curves", Qt.DockWidgetArea.RightDockWidgetArea),
                 self.add_dock(self.weight_maps, "Weights", Qt.DockWidgetArea.BottomDockWidgetArea)]
        # Default proportions (a saved layout overrides them): the network view gets the most room.
        self.resizeDocks(docks[:2], [290, 360], Qt.Orientation.Horizontal)
        self.resizeDocks(docks[2:], [230], Qt.Orientation.Vertical)

        self.data_label = QLabel()
        self.data_label.setToolTip("The dataset in use (File ▸ Open dataset… to change it)")
        self.data_label.setMinimumWidth(120)
        self.data_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.data_label, 1)
        self.statusBar().addPermanentWidget(self.progress)

        self._render_timer = QTimer(self)
        self._render_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._render_timer.timeout.connect(self.render)
        self._connect_actions()
        self._restore_settings()
        self._set_state(LOADING)
        self._render_timer.start()

    # -- public API ---------------------------------------------------------------------------
    def add_dock(self, widget: QWidget, title: str, area=Qt.DockWidgetArea.RightDockWidgetArea,
                 *, tabify_with: QDockWidget | None = None) -> QDockWidget:
        """Put ``widget`` in a dock titled ``title``; it is listed under View ▸ Panels and its
        position is remembered between sessions (the dock's objectName comes from the title)."""
        dock = QDockWidget(title, self)
        dock.setObjectName("dock_" + re.sub(r"\W+", "_", title.lower()).strip("_"))
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        if tabify_with is not None:
            self.tabifyDockWidget(tabify_with, dock)
        self.restoreDockWidget(dock)  # no-op unless a saved layout mentions it
        toggle = dock.toggleViewAction()
        toggle.setToolTip(f"Show or hide the {title} panel")
        self.menus["panels"].addAction(toggle)
        return dock

    def set_current_input(self, vector784, true_label: int | None = None, *, source: str = "Your drawing") -> None:
        """Feed one image (784 values in [0, 1], any shape; None clears it) through the network view.

        Activations come from the numpy forward pass on the latest weights and are redrawn at the
        redraw rate, so calling this on every mouse move is fine. ``true_label`` (if known) lets
        the view mark the prediction right or wrong; ``source`` names the input in the controls
        panel ("Your drawing", "Test digit #12", ...).
        """
        x = None if vector784 is None else np.asarray(vector784, dtype=np.float32).reshape(-1)
        if x is not None and x.size != 784:
            raise ValueError(f"expected 784 values, got {x.size}")
        self._input = x
        self._input_label = None if true_label is None else int(true_label)
        self._input_source = source
        self._input_dirty = True

    def latest_snapshot(self):
        """The newest TrainingSnapshot received (None before the network exists)."""
        return self._latest

    @property
    def state(self) -> str:
        return self._state

    def start_loading(self) -> None:
        """Import TensorFlow, load the dataset and build the first weights, in the background."""
        if self._state != LOADING or len(self._workers):
            return
        self._loading_started = True
        try:
            config = self.controls.config()
        except ConfigError:
            config = TrainingConfig()
            self.controls.set_config(config)
        task = Task(startup, self._data_spec, self.dataset, config, self._run_id, progress=True)
        task.progressed.connect(self.data_label.setText)
        task.succeeded.connect(lambda result, c=config: self._on_loaded(result, c))
        task.errored.connect(self._on_load_failed)
        self._workers.start(task)
        self.banner.show_message("Loading TensorFlow and the dataset… Start becomes available when they are ready.", "info")

    # -- training -------------------------------------------------------------------------------
    def start_training(self, *, paused: bool = False) -> bool:
        """Start a run with the panel's settings, continuing from the current weights when they fit."""
        if self._state != READY:
            return False
        try:
            config = self.controls.config()
        except ConfigError as exc:
            self.controls.show_error(str(exc))
            return False
        initial = self._latest
        old = self._model_config
        if initial is not None and old is not None and not config.same_architecture(old):
            if initial.step > 0 and not self._confirm(
                "Change the network?",
                f"The network is now {self._shape(old)}; you asked for {self._shape(config)}.\n\n"
                "Discard the trained weights and start a new network? (Cancel, then File ▸ Export "
                "weights… to keep them.)",
            ):
                return False
            initial = None
        elif initial is not None and initial.step == 0 and config.seed != old.seed:
            initial = None  # untrained weights: the new seed should give its own initial weights
        if initial is None:
            self._run_id += 1
        from visualizer.training.trainer import TrainingControl  # no TensorFlow at import time

        control = self._control = TrainingControl()
        if paused:
            control.pause()  # now, so a step() issued before the thread starts is not ignored
        dataset, run_id, interval = self.dataset, self._run_id, 1.0 / self.settings.redraw_hz

        def make_trainer():
            from visualizer.training.trainer import Trainer

            return Trainer(config, dataset, initial=initial, run_id=run_id,
                           snapshot_interval=interval, start_paused=paused)

        worker = TrainingWorker(make_trainer, control)
        worker.snapshot_ready.connect(self._on_snapshot_ready)
        worker.errored.connect(self._on_training_errored)
        worker.finished.connect(self._on_training_finished)
        self._model_config = config
        self.last_result = None
        self._progress_run = run_id
        if self.banner.level == "error":
            self.banner.dismiss()  # an old divergence message no longer applies
        self._workers.start(worker)
        self._set_state(PAUSED if paused else RUNNING)
        return True

    def toggle_start_pause(self) -> None:
        if self._state == READY:
            self.start_training()
        elif self._state in (RUNNING, PAUSED):
            self.set_paused(self._state == RUNNING)

    def set_paused(self, paused: bool) -> None:
        if self._control is None or self._state not in (RUNNING, PAUSED):
            return
        self._control.pause() if paused else self._control.resume()
        self._set_state(PAUSED if paused else RUNNING)

    def step(self) -> None:
        """Train one batch, then stay paused (starts a paused run when idle)."""
        if self._state == READY:
            if not self.start_training(paused=True):
                return
        elif self._state == RUNNING:
            self.set_paused(True)
        if self._state == PAUSED:
            self._control.step(1)

    def stop_training(self) -> None:
        if self._control is not None and self._state in (RUNNING, PAUSED):
            self._control.stop()
            self._set_state(STOPPING)

    def reset(self) -> None:
        """Discard the weights and build freshly initialised ones with the panel's settings."""
        if self._state in (RUNNING, PAUSED, STOPPING):
            self._after_stop = self.reset
            self.stop_training()
            return
        if self._state != READY:
            return
        try:
            config = self.controls.config()
        except ConfigError as exc:
            self.controls.show_error(str(exc))
            return
        self._run_id += 1
        self._run_task(initial_snapshot, (config, self.dataset, self._run_id),
                       lambda snap: self._adopt(snap, config, "Weights reset to fresh random values"),
                       "Could not reset the network")

    # -- files ----------------------------------------------------------------------------------
    def load_dataset(self, path: str) -> None:
        """Load a dataset in the background; on failure a dialog, and the current one stays."""
        if self._state not in (READY, NO_DATA):
            return
        self._run_task(read_dataset, (path,), self._on_dataset_loaded, "Could not open the dataset")

    def _on_dataset_loaded(self, dataset) -> None:
        self._set_dataset(dataset)
        if dataset.is_synthetic:
            self.banner.show_message("Training on SYNTHETIC digits, not MNIST.", "warning")
        elif self.banner.level == "warning":
            self.banner.dismiss()
        if self._latest is None:  # first dataset after a failed start: build the network too
            self.reset()

    def import_weights(self, path: str) -> None:
        """Replace the network by the weights in ``path``; a bad file changes nothing."""
        if self._state != READY:
            return
        self._run_task(read_weights, (path,), self._on_weights_imported, "Could not import the weights")

    def _on_weights_imported(self, result) -> None:
        net, path = result
        self._run_id += 1
        self.controls.set_architecture(tuple(net.layer_sizes[1:-1]), net.activation)
        try:
            config = self.controls.config()
        except ConfigError:
            config = TrainingConfig(hidden=tuple(net.layer_sizes[1:-1]), activation=net.activation)
            self.controls.set_config(config)
        self._adopt(net.to_snapshot(run_id=self._run_id), config, f"Imported weights from {path}")

    def export_weights(self, path: str) -> None:
        """Write the newest weights to ``path`` (format from the extension) in the background."""
        snap = self._latest
        if snap is None:
            return
        task = Task(write_weights, snap, path)
        task.succeeded.connect(lambda p: self.statusBar().showMessage(f"Weights saved to {p}", 8000))
        task.errored.connect(lambda exc: self._error_dialog("Could not export the weights", exc))
        self._workers.start(task)

    def save_screenshot(self, path: str) -> bool:
        ok = self.grab().save(path, "PNG")
        if ok:
            self.statusBar().showMessage(f"Screenshot saved to {path}", 8000)
        else:
            QMessageBox.warning(self, "Could not save the screenshot", f"Writing {path} failed.")
        return ok

    # -- slots --------------------------------------------------------------------------------
    def _on_snapshot_ready(self, snap) -> None:
        # Only store: drawing happens on the render timer, so bursts collapse into one frame.
        if self._snapshot_hook is not None:
            self._snapshot_hook()
        if snap.newer_than(self._latest):
            self._latest = snap
        if snap.event in ("epoch_end", "train_end"):
            self.snapshot_settled.emit(snap)

    def _on_training_errored(self, exc) -> None:
        if isinstance(exc, TrainingDiverged):
            text = f"{exc} Try a smaller learning rate, then Start again."
        else:
            text = f"Training stopped with an error: {describe_error(exc)}"
        self.banner.show_message(text, "error")

    def _on_training_finished(self, result) -> None:
        self._control = None
        self.last_result = result
        if result is not None:
            self.statusBar().showMessage(
                f"Run {'stopped' if result.stopped else 'finished'}: test accuracy {result.test_accuracy:.1%}, "
                f"loss {result.test_loss:.3f}, {result.samples_per_second:,.0f} img/s over {result.seconds:.1f} s",
                15000,
            )
        self._set_state(READY)
        after, self._after_stop = self._after_stop, None
        if after is not None:
            after()

    def _on_loaded(self, result, config) -> None:
        dataset, warning, snap = result
        self._set_dataset(dataset)
        if warning:
            self.banner.show_message(warning, "warning")
        elif self.banner.level == "info":
            self.banner.dismiss()
        self._adopt(snap, config, None)

    def _on_load_failed(self, exc) -> None:
        self.data_label.setText("No dataset loaded")
        self.banner.show_message(f"Could not start training: {describe_error(exc)}", "error")
        self._set_state(NO_DATA)  # nothing to train on; File ▸ Open dataset… stays available

    def _adopt(self, snap, config, message) -> None:
        """Make ``snap`` the current network (initial, reset or imported weights)."""
        self._latest = snap
        self.snapshot_settled.emit(snap)
        self._model_config = config
        self._progress_run = None
        self.progress.clear()
        if message:
            self.statusBar().showMessage(message, 8000)
        self._set_state(READY if self.dataset is not None else NO_DATA)

    # -- drawing ------------------------------------------------------------------------------
    def render(self, *, everything: bool = False) -> bool:
        """Bring the views up to date with the newest snapshot and input; True when anything drew.

        While a run goes, each tick of the render timer updates only the view that has waited
        longest among those due: the network view at the redraw rate, the costlier plot
        views (weight maps, curves) at their own slower rates (``VIEW_PERIODS``). A frame then
        costs one view's paint, never all of them, so the event loop stays responsive. Outside a
        run, or with ``everything=True``, all views are updated at once.
        """
        snap = self._latest
        if snap is not None and snap.run_id == self._progress_run and snap is not self._progress_shown:
            self.progress.set_snapshot(snap)  # cheap: a label and a bar
            self._progress_shown = snap
        stale = [name for name, shown in self._shown.items() if snap is not None and shown is not snap]
        if self._input_dirty and snap is not None and "network" not in stale:
            stale.append("network")
        if not stale:
            self._update_fps()
            return False
        now = time.monotonic()
        if not (everything or self._state not in (RUNNING, STOPPING)):
            period = {"network": 1.0 / self.settings.redraw_hz, **VIEW_PERIODS}
            due = [name for name in stale if now - self._shown_at[name] >= period[name] * 0.9
                   or (name == "network" and self._input_dirty)]
            stale = sorted(due, key=lambda name: self._shown_at[name])[:1]
        for name in stale:
            self._draw_view(name, snap)
            self._shown[name], self._shown_at[name] = snap, now
        self._update_fps()
        return bool(stale)

    def _draw_view(self, name: str, snap) -> None:
        if name == "weights":
            self.weight_maps.set_weights(snap)
        elif name == "curves":
            self.curves.set_history(snap.history)
        else:
            new_weights = snap is not self._shown["network"]
            if new_weights:
                self.network_view.set_weights(snap)
            if self._input is not None:
                acts = forward(snap.weights, snap.biases, snap.activation, self._input)
                predicted = int(np.argmax(acts[-1]))
                self.network_view.set_activations(acts, predicted, self._input_label)
                self.controls.set_prediction(self._input_source, self._input_label, predicted, float(acts[-1][predicted]))
            elif self._input_dirty:  # the input was cleared
                self.network_view.set_activations(None)
                self.controls.set_input_text(f"{self._input_source}: nothing to classify" if self._input_source else "–")
            self._input_dirty = False
            self._frames.tick()
            if new_weights:
                self.weights_changed.emit(snap)

    def _update_fps(self) -> None:
        self.progress.set_fps(self._frames.fps())

    def show_test_digit(self, index: int) -> None:
        """Make test image ``index`` (wrapped around) the network view's input."""
        if self.dataset is None or len(self.dataset.x_test) == 0:
            return
        n = len(self.dataset.x_test)
        self._input_index = index % n
        self.set_current_input(self.dataset.x_test[self._input_index], int(self.dataset.y_test[self._input_index]),
                               source=f"Test digit #{self._input_index + 1:,} of {n:,}")

    def _random_digit(self) -> None:
        if self.dataset is not None and len(self.dataset.x_test):
            self.show_test_digit(int(np.random.default_rng().integers(len(self.dataset.x_test))))

    # -- state ----------------------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        self._state = state
        a = self.actions
        idle = state == READY
        active = state in (RUNNING, PAUSED)
        a.start.setEnabled(idle)
        a.start_pause.setEnabled(idle or active)
        a.pause.setEnabled(active)
        a.pause.setChecked(state == PAUSED)
        a.pause.setText("Resume" if state == PAUSED else "Pause")
        a.step.setEnabled(idle or active)
        a.stop.setEnabled(active)
        a.reset.setEnabled(idle or active)
        for action in (a.open_dataset, a.open_dataset_folder):
            action.setEnabled(state in (READY, NO_DATA))
        a.import_weights.setEnabled(idle)
        for action in (a.next_input, a.previous_input, a.random_input):
            action.setEnabled(self.dataset is not None)
        a.export_weights.setEnabled(self._latest is not None and state != LOADING)
        self.controls.set_editable(state in (READY, BUSY, LOADING))
        self.controls.set_state_text(STATE_TEXT[state])
        self.state_changed.emit(state)

    def _confirm(self, title: str, text: str) -> bool:
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel
        answer = QMessageBox.question(self, title, text, buttons, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    @staticmethod
    def _shape(config: TrainingConfig) -> str:
        return "-".join(map(str, config.layer_sizes)) + f" {config.activation}"

    def _set_dataset(self, dataset) -> None:
        self.dataset = dataset
        if dataset.is_synthetic:
            self.data_label.setText(f"<b style='color:#d9534f'>SYNTHETIC digits, not MNIST</b> — {dataset.describe()}")
        else:
            self.data_label.setText(f"Data: {dataset.describe()}")
        self.show_test_digit(0)
        self.dataset_changed.emit(dataset)

    def _run_task(self, fn, args, on_success, failure_title: str) -> None:
        """Run ``fn(*args)`` in a thread; BUSY meanwhile, a dialog on failure, nothing else changes."""
        previous = self._state
        task = Task(fn, *args)
        task.succeeded.connect(on_success)
        task.errored.connect(lambda exc: self._error_dialog(failure_title, exc))
        task.finished.connect(lambda _r: self._set_state(previous) if self._state == BUSY else None)
        self._set_state(BUSY)
        self._workers.start(task)

    def _error_dialog(self, title: str, exc) -> None:
        QMessageBox.warning(self, title, describe_error(exc))

    # -- wiring, settings, closing ------------------------------------------------------------
    def _connect_actions(self) -> None:
        a = self.actions
        a.start.triggered.connect(lambda: self.start_training())
        a.start_pause.triggered.connect(self.toggle_start_pause)
        a.pause.triggered.connect(lambda checked: self.set_paused(checked))
        a.step.triggered.connect(self.step)
        a.stop.triggered.connect(self.stop_training)
        a.reset.triggered.connect(self.reset)
        a.next_input.triggered.connect(lambda: self.show_test_digit(self._input_index + 1))
        a.previous_input.triggered.connect(lambda: self.show_test_digit(self._input_index - 1))
        a.random_input.triggered.connect(self._random_digit)
        a.lock_range.toggled.connect(self.weight_maps.set_range_locked)
        a.theme_group.triggered.connect(lambda act: self.set_theme(act.data()))
        a.rate_group.triggered.connect(lambda act: self.set_redraw_rate(act.data()))
        a.open_dataset.triggered.connect(lambda: menu.open_dataset_dialog(self, folder=False))
        a.open_dataset_folder.triggered.connect(lambda: menu.open_dataset_dialog(self, folder=True))
        a.import_weights.triggered.connect(lambda: menu.import_weights_dialog(self))
        a.export_weights.triggered.connect(lambda: menu.export_weights_dialog(self))
        a.screenshot.triggered.connect(lambda: menu.screenshot_dialog(self))
        a.quit.triggered.connect(self.close)
        a.about.triggered.connect(self._about)
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda _s: self.set_theme(self.settings.theme))

    def set_theme(self, mode: str) -> None:
        self.settings.theme = mode
        self.actions.theme[mode].setChecked(True)
        theme.apply_theme(mode)

    def set_redraw_rate(self, hz: int) -> None:
        self.settings.redraw_hz = hz
        self.actions.redraw[hz].setChecked(True)
        # The timer ticks at least 30 times a second, so the plot views have frames of their own
        # even when the network view is limited to 10 Hz.
        self._render_timer.setInterval(int(1000 / max(hz, MIN_TICK_HZ)))

    def _restore_settings(self) -> None:
        s = self.settings
        self.controls.set_config(s.config())
        self.actions.theme[s.theme].setChecked(True)
        self.set_redraw_rate(s.redraw_hz)
        self.actions.lock_range.setChecked(s.range_locked)
        self.weight_maps.set_range_locked(s.range_locked)
        geometry, state = s.geometry(), s.state()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        if state is not None:
            self.restoreState(state, 1)

    def save_settings(self) -> None:
        s = self.settings
        try:
            s.set_config(self.controls.config())
        except ConfigError:
            pass  # an invalid half-edited field is not worth remembering
        s.range_locked = self.actions.lock_range.isChecked()
        s.set_layout(self.saveGeometry(), self.saveState(1))
        s.sync()

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop training and join every worker thread; True when all ended within the timeout."""
        self._render_timer.stop()
        self._after_stop = None
        if self._control is not None:
            self._control.stop()
        if self._workers.wait_all(timeout_ms):
            return True
        # Still importing TensorFlow or writing a file: that cannot be interrupted, and a QThread
        # destroyed while running aborts the process, so wait for it.
        log.warning("a background task is still running; waiting for it to end")
        return self._workers.wait_all(60_000)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._loading_started:
            QTimer.singleShot(0, self.start_loading)  # after the first paint: the window comes first

    def closeEvent(self, event) -> None:
        self.shutdown()
        self.save_settings()
        super().closeEvent(event)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.banner.update()
        super().changeEvent(event)

    def _about(self) -> None:
        QMessageBox.about(self, "About nnviz", f"<b>nnviz {__version__}</b><p>Watch a small neural network "
                          "(784 inputs, two hidden layers, 10 outputs) learn handwritten digits, live.</p>")
