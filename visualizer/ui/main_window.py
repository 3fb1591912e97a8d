"""The main window: network view in the centre; controls, drawing pad, test set, weights and curves in docks.

Training runs in a worker thread (``ui/worker.py``); the run-state machine is ``ui/runs.py``,
the file commands ``ui/files.py``, the dock layout ``ui/docks.py``.
Snapshots arriving from the worker are only stored; ``ui/render.py`` draws the newest one, one
view per tick while a run goes (latest wins, bursts collapse). TensorFlow is never imported here:
loading it, building models, importing and exporting weights all happen in background tasks; the
current input's activations come from the numpy forward pass.

The network's input is whatever the Draw panel shows: a drawing, an image file, or a test digit
picked in the Test set panel (or with N / P / D), which is put on the pad with its true label.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QSizePolicy, QVBoxLayout, QWidget

from visualizer import __version__
from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ConfigError
from visualizer.core.forward import forward
from visualizer.ui import actions as menu, docks, theme
from visualizer.ui.files import FilesMixin
from visualizer.ui.pad_panel import PadPanel
from visualizer.ui.render import RenderScheduler
from visualizer.ui.runs import BUSY, LOADING, NO_DATA, READY, RUNNING, STOPPING, RunsMixin, describe_error
from visualizer.ui.settings import Settings
from visualizer.ui.test_browser import TestBrowser
from visualizer.ui.widgets.controls import ControlsPanel
from visualizer.ui.widgets.curves import Curves
from visualizer.ui.widgets.network_view import NetworkView
from visualizer.ui.widgets.status import Banner, FrameCounter, ProgressPanel
from visualizer.ui.widgets.weight_maps import WeightMaps
from visualizer.ui.worker import Task, WorkerSet, startup

log = logging.getLogger(__name__)

# Seconds between redraws, while training runs, of the views whose paint is costly (pyqtgraph
# plots: ~8 and ~15 ms a frame on a 2-core machine) and of the pad and test browser (numpy
# forward pass + saliency, ~1 ms: they ride along on another view's tick); the network view
# follows the redraw rate.
VIEW_PERIODS = {"weights": 0.25, "curves": 1.0, "panels": 0.1}
PROGRESS_PERIOD = 0.1  # seconds between progress-bar updates while a run goes


class MainWindow(RunsMixin, FilesMixin, QMainWindow):
    """nnviz's window. More panels plug in with :meth:`add_dock`, e.g.::

        window.add_dock(widget, "Histogram", Qt.DockWidgetArea.RightDockWidgetArea)
        widget.input_changed.connect(window.set_current_input)   # the network view shows it
        window.weights_changed.connect(widget.set_snapshot)       # newest drawn weights, <= redraw rate
        window.snapshot_settled.connect(widget.set_snapshot)      # epoch/run ends, reset, import
        window.dataset_changed.connect(lambda d: widget.set_dataset(d.x_test, d.y_test))

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
        self._data_spec = data
        self._workers = WorkerSet(self)
        self._latest = None  # newest snapshot received
        self._input = self._input_label = None
        self._input_dirty = False
        self._input_source = ""
        self._progress_shown = None
        self._progress_at = -1e9  # time.monotonic() of the last progress-bar update
        self._snapshot_hook = None  # benchmarks count arrivals here
        self._loading_started = not autoload  # else loading starts once the window is shown
        self._frames = FrameCounter()

        self.actions = a = menu.Actions(self)
        self.controls = ControlsPanel(a)
        self.network_view = NetworkView()
        self.weight_maps = WeightMaps()
        self.curves = Curves()
        self.pad = PadPanel()
        self.browser = TestBrowser()
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
        self.docks = {title: docks.make_dock(self, widget, title) for title, widget in (
            ("Training", self.controls), ("Draw", self.pad), ("Test set", self.browser),
            ("Weights", self.weight_maps), ("Curves", self.curves))}
        for dock in self.docks.values():
            self.menus["panels"].addAction(dock.toggleViewAction())
        docks.arrange(self, self.docks)

        self.data_label = QLabel()
        self.data_label.setToolTip("The dataset in use (File ▸ Open dataset… to change it)")
        self.data_label.setMinimumWidth(120)
        self.data_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.data_label, 1)
        self.statusBar().addPermanentWidget(self.progress)

        self._render = RenderScheduler(lambda: self._latest, lambda: self._state in (RUNNING, STOPPING), self)
        self._render.add_view("network", self._draw_network, lambda: 1.0 / self.settings.redraw_hz,
                              urgent=lambda: self._input_dirty)
        self._render.add_view("weights", lambda snap: self.weight_maps.set_weights(snap), VIEW_PERIODS["weights"])
        self._render.add_view("curves", lambda snap: self.curves.set_history(snap.history), VIEW_PERIODS["curves"])
        self._render.add_view("panels", self._draw_panels, VIEW_PERIODS["panels"], rides_along=True)
        self._render.before_frame = self._update_progress
        self._render.after_frame = lambda: self.progress.set_fps(self._frames.fps())
        self._connect_actions()
        self._connect_panels()
        if dataset is not None:
            self.browser.set_dataset(dataset.x_test, dataset.y_test)
        self._restore_settings()
        self._set_state(LOADING)
        self._render.timer.start()

    # -- public API ---------------------------------------------------------------------------
    def add_dock(self, widget: QWidget, title: str, area=Qt.DockWidgetArea.RightDockWidgetArea,
                 *, tabify_with: QDockWidget | None = None) -> QDockWidget:
        """Put ``widget`` in a dock titled ``title``; it is listed under View ▸ Panels and its
        position is remembered between sessions (the dock's objectName comes from the title)."""
        dock = docks.make_dock(self, widget, title)
        self.addDockWidget(area, dock)
        if tabify_with is not None:
            self.tabifyDockWidget(tabify_with, dock)
        self.restoreDockWidget(dock)  # no-op unless a saved layout mentions it
        self.menus["panels"].addAction(dock.toggleViewAction())
        return dock

    def reset_layout(self) -> None:
        """Put the built-in panels back where they start (docks added with add_dock stay put)."""
        docks.arrange(self, self.docks)

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

    def show_test_digit(self, index: int) -> None:
        """Put test image ``index`` (wrapped around) on the pad: the network view shows it, with its label."""
        n = len(self.dataset.x_test) if self.dataset is not None else 0
        if n:
            self.browser.show_index(index % n)

    def latest_snapshot(self):
        """The newest TrainingSnapshot received (None before the network exists)."""
        return self._latest

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

    # -- slots --------------------------------------------------------------------------------
    def _on_snapshot_ready(self, snap) -> None:
        # Only store: drawing happens on the render timer, so bursts collapse into one frame.
        if self._snapshot_hook is not None:
            self._snapshot_hook()
        if snap.newer_than(self._latest):
            self._latest = snap
        if snap.event in ("epoch_end", "train_end"):
            self.snapshot_settled.emit(snap)

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

    def _on_pad_input_changed(self, vector) -> None:
        self.set_current_input(vector, self.pad.input_label(), source=self.pad.input_name())

    def _on_digit_selected(self, image, label) -> None:
        i = self.browser.current_index()
        self.pad.set_digit(image, label, name="Test digit" if i is None else f"Test digit #{i + 1:,}")

    # -- drawing ------------------------------------------------------------------------------
    def render(self, *, everything: bool = False) -> bool:
        """Bring the views up to date with the newest snapshot and input; True when anything drew.

        While a run goes, each tick of the render timer updates only the view that has waited
        longest among those due: the network view at the redraw rate, the costlier plot views
        (weight maps, curves) at their own slower rates (``VIEW_PERIODS``); the cheap pad and test
        browser ride along on those ticks at 10 Hz. Outside a run, or with ``everything=True``,
        all views update at once.
        """
        return self._render.render(everything=everything)

    def _update_progress(self, snap) -> None:
        if snap is None or snap.run_id != self._progress_run or snap is self._progress_shown:
            return
        # QProgressBar.setValue repaints at once (~1 ms): ten times a second is plenty for a bar,
        # except for the snapshots that end an epoch or the run.
        now = time.monotonic()
        if snap.event == "batch" and now - self._progress_at < PROGRESS_PERIOD:
            return
        self.progress.set_snapshot(snap)
        self._progress_shown, self._progress_at = snap, now

    def _draw_network(self, snap) -> None:
        new_weights = snap is not self._render.shown("network")
        if self._input is not None:
            acts = forward(snap.weights, snap.biases, snap.activation, self._input)
            predicted = int(np.argmax(acts[-1]))
            if new_weights:
                self.network_view.set_frame(snap, acts, predicted, self._input_label)
            else:
                self.network_view.set_activations(acts, predicted, self._input_label)
            self.controls.set_prediction(self._input_source, self._input_label, predicted, float(acts[-1][predicted]))
        else:
            if new_weights:
                self.network_view.set_weights(snap)
            if self._input_dirty:  # the input was cleared
                self.network_view.set_activations(None)
                self.controls.set_input_text(f"{self._input_source}: nothing to classify" if self._input_source else "–")
        self._input_dirty = False
        self._frames.tick()
        if new_weights:
            self.weights_changed.emit(snap)

    def _draw_panels(self, snap) -> None:
        self.pad.set_snapshot(snap)
        self.browser.set_snapshot(snap)

    # -- helpers ----------------------------------------------------------------------------------
    def _confirm(self, title: str, text: str) -> bool:
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel
        answer = QMessageBox.question(self, title, text, buttons, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _set_dataset(self, dataset) -> None:
        self.dataset = dataset
        if dataset.is_synthetic:
            self.data_label.setText(f"<b style='color:#d9534f'>SYNTHETIC digits, not MNIST</b> — {dataset.describe()}")
        else:
            self.data_label.setText(f"Data: {dataset.describe()}")
        self.browser.set_dataset(dataset.x_test, dataset.y_test)
        if self.pad.shows_test_digit() or self.pad.is_empty():
            self.show_test_digit(0)  # something lit up from the start; drawing replaces it
        self.dataset_changed.emit(dataset)

    def _run_task(self, fn, args, on_success, failure_title: str, on_finished=None) -> None:
        """Run ``fn(*args)`` in a thread; BUSY meanwhile, a dialog on failure, nothing else changes.
        ``on_finished(result)`` runs after the state is put back."""
        previous = self._state
        task = Task(fn, *args)
        task.succeeded.connect(on_success)
        task.errored.connect(lambda exc: self._error_dialog(failure_title, exc))
        task.finished.connect(lambda _r: self._set_state(previous) if self._state == BUSY else None)
        if on_finished is not None:
            task.finished.connect(on_finished)
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
        a.next_input.triggered.connect(lambda: self.browser.step(+1))
        a.previous_input.triggered.connect(lambda: self.browser.step(-1))
        a.random_input.triggered.connect(self.browser.show_random)
        a.lock_range.toggled.connect(lambda on: self.weight_maps.set_range_mode("lock" if on else "grow"))
        self.weight_maps.range_mode_changed.connect(self._on_range_mode_changed)
        a.theme_group.triggered.connect(lambda act: self.set_theme(act.data()))
        a.rate_group.triggered.connect(lambda act: self.set_redraw_rate(act.data()))
        a.reset_layout.triggered.connect(self.reset_layout)
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

    def _connect_panels(self) -> None:
        # The pad is the one place the network's input comes from; test digits are put on it.
        self.pad.input_changed.connect(self._on_pad_input_changed)
        self.browser.digit_selected.connect(self._on_digit_selected)
        # Settled snapshots reach the browser at once (it re-evaluates the test set on them);
        # every other snapshot reaches pad and browser through the render scheduler.
        self.snapshot_settled.connect(self.browser.set_snapshot)

    def _on_range_mode_changed(self, mode: str) -> None:
        action = self.actions.lock_range
        action.blockSignals(True)  # the menu follows the combo; it must not switch the mode back
        action.setChecked(mode == "lock")
        action.blockSignals(False)

    def set_theme(self, mode: str) -> None:
        self.settings.theme = mode
        self.actions.theme[mode].setChecked(True)
        theme.apply_theme(mode)

    def set_redraw_rate(self, hz: int) -> None:
        self.settings.redraw_hz = hz
        self.actions.redraw[hz].setChecked(True)
        self._render.set_rate(hz)

    def _restore_settings(self) -> None:
        s = self.settings
        self.controls.set_config(s.config())
        self.actions.theme[s.theme].setChecked(True)
        self.set_redraw_rate(s.redraw_hz)
        self.weight_maps.set_range_mode(s.weight_range)
        self._on_range_mode_changed(s.weight_range)
        geometry, state = s.geometry(), s.state()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        self._layout_restored = state is not None and self.restoreState(state, docks.LAYOUT_VERSION)

    def save_settings(self) -> None:
        s = self.settings
        try:
            s.set_config(self.controls.config())
        except ConfigError:
            pass  # an invalid half-edited field is not worth remembering
        s.weight_range = self.weight_maps.range_mode()
        s.set_layout(self.saveGeometry(), self.saveState(docks.LAYOUT_VERSION))
        s.sync()

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop training and join every worker thread; True when all ended within the timeout."""
        self._render.timer.stop()
        self._after_stop = None
        if self._control is not None:
            self._control.stop()
        self.browser.shutdown(timeout_ms / 1000)
        if self._workers.wait_all(timeout_ms):
            return True
        # Still importing TensorFlow or writing a file: that cannot be interrupted, and a QThread
        # destroyed while running aborts the process, so wait for it.
        log.warning("a background task is still running; waiting for it to end")
        return self._workers.wait_all(60_000)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._layout_restored and not event.spontaneous():
            self._layout_restored = True  # once: later the user's own sizes stay
            QTimer.singleShot(0, lambda: docks.resize_defaults(self, self.docks))
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
