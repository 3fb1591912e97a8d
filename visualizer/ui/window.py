"""The main window: builds the panels and wires the session's events to them.

The application's state lives in :class:`visualizer.session.Session` (run state, dataset,
network, snapshots, current input); this window only shows it. Training runs behind the
session's Runner on a worker thread (``ui/workers.py``); snapshots are only stored, and
``ui/render.py`` draws the newest one, one view per tick while a run goes (latest wins, bursts
collapse). TensorFlow is never imported here.

The network's input is the session's current input: a drawing or an image on the Draw panel, a
test digit picked in the Test set panel (or with N / P / D), or an image sent from the Neurons
panel (a dream, noise, a fooled digit); the Draw panel shows whatever it is.

A neuron pinned in the network view or the Neurons panel is the session's selection; the window
hands it to every view (its connections, its weight tile, its response column).
"""

from __future__ import annotations

import logging
import time

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDockWidget,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from visualizer import __version__
from visualizer.core.errors import ConfigError
from visualizer.core.snapshot import SnapshotEvent
from visualizer.session import CurrentInput, InputSource, NeuronRef, RunState, Session
from visualizer.session.batches import TrainingBatches
from visualizer.session.explanations import NETWORK
from visualizer.session.gradients import Gradients, chosen_config
from visualizer.session.stepper import StepExplainer
from visualizer.ui import actions as menu, docks, drops, settings_reset, theme
from visualizer.ui.help import HelpButton
from visualizer.ui.help_tour import HelpTour
from visualizer.ui.panels.curves.view import Curves
from visualizer.ui.panels.gradients.explain import ExplainDialog
from visualizer.ui.panels.gradients.panel import GradientsPanel
from visualizer.ui.panels.network.view import NetworkView
from visualizer.ui.panels.neurons.panel import IDEAS, RESPONSES, NeuronsPanel
from visualizer.ui.panels.pad.panel import PadPanel
from visualizer.ui.panels.testset.panel import TestSetPanel
from visualizer.ui.panels.timeline.bar import TimelineBar, moment_text
from visualizer.ui.panels.training.panel import ControlsPanel
from visualizer.ui.common.options import RangeMode, Theme, WeightView
from visualizer.ui.panels.weights.view import WeightMaps
from visualizer.ui.presenter import PresenterMode
from visualizer.ui.render import RenderScheduler
from visualizer.ui.settings import Settings
from visualizer.ui.status import Banner, ElidedLabel, FrameCounter, ProgressPanel, StatusBar
from visualizer.ui.workers import Backend, QtJobs, QtRunner, WorkerSet

log = logging.getLogger(__name__)

# Seconds between redraws, while training runs, of the views whose paint is costly (pyqtgraph
# plots: ~8 and ~15 ms a frame on a 2-core machine) and of the pad and test browser (numpy
# forward pass + saliency, ~1 ms: they ride along on another view's tick); the network view
# follows the redraw rate.
VIEW_PERIODS = {"weights": 0.25, "curves": 1.0, "panels": 0.1, "gradients": 0.25}
PROGRESS_PERIOD = 0.1  # seconds between progress-bar updates while a run goes
TIMELINE_PERIOD = 0.25  # seconds between timeline-bar updates while the recording grows


TITLE = "nnviz — Watch a neural network learn"
ABOUT = (
    "<p>Watch a small neural network learn to read handwritten digits (MNIST), live: every weight, every "
    "neuron's activation and the network's answer, batch by batch.</p><ul>"
    "<li><b>Presets</b> (Training ▸ Presets): the tutorials' networks — the Keras 784-16-16-10, "
    "3Blue1Brown's sigmoid network, one neuron asking “is it a 6?” — and failures worth showing.</li>"
    "<li><b>Pace</b>: from one batch a second to full speed; Step trains a single batch.</li>"
    "<li><b>Timeline and replay</b>: every batch is recorded; go back to any moment, replay the run, "
    "continue training from there, save it and open it again.</li>"
    "<li><b>Gradients</b>: the error flowing back through the network, a batch's gradient, and one step "
    "of backpropagation in slow motion (Training ▸ Explain one step).</li>"
    "<li>Draw your own digit, browse the test set, see what each neuron responds to.</li>"
    "<li><b>Presenter mode</b> (View ▸ Presenter mode, F5): full screen, large type, the network and one "
    "panel, for showing it to a room.</li></ul>"
    "<p>Help ▸ What am I looking at? (F1) explains each panel in turn.</p>"
)


def _ref(info) -> NeuronRef | None:
    """The network view's NeuronInfo as the session's NeuronRef."""
    return None if info is None else NeuronRef(info.layer, info.index)


class MainWindow(QMainWindow):
    """nnviz's window. More panels plug in with :meth:`add_dock`, e.g.::

        window.add_dock(widget, "Histogram", Qt.DockWidgetArea.RightDockWidgetArea)
        window.weights_changed.connect(widget.set_snapshot)       # newest drawn weights, <= redraw rate
        window.session.snapshot_settled.connect(widget.set_snapshot)  # epoch/run ends, reset, import
        window.session.input_changed.connect(widget.set_input)    # the network's current input

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
    state_changed = Signal(object)  # RunState

    def __init__(self, data: str | None = None, *, dataset=None, settings: Settings | None = None,
                 autoload: bool = True, open_run: str | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.settings = settings or Settings()
        self._data_spec = data
        self._initial_dataset = dataset
        self._open_run = open_run  # a run file to open once the window is ready
        self._workers = WorkerSet(self)
        self._runner = runner = QtRunner(self._workers, self)
        self.session = Session(runner, QtJobs(self._workers), Backend(),
                               config_source=lambda: self.controls.config(), confirm=self._confirm,
                               choose=self._choose,
                               snapshot_interval=lambda: 1.0 / self.settings.redraw_hz)
        runner.session = self.session
        self._input_dirty = False
        self._progress_shown = None
        self._progress_at = -1e9  # time.monotonic() of the last progress-bar update
        self._loading_started = not autoload  # else loading starts once the window is shown
        self._frames = FrameCounter()

        self.actions = a = menu.Actions(self)
        self.controls = ControlsPanel(a)
        self.network_view = NetworkView()
        self.weight_maps = WeightMaps()
        self.curves = Curves()
        self.pad = PadPanel(analyze=self.session.analyze, submit=self.session.jobs.submit)  # a big network's saliency off the GUI thread
        self.browser = TestSetPanel(analyze=self.session.analyze)
        self.neurons = NeuronsPanel()
        self.gradients = Gradients(self.session)  # the input's target and gradient, once per (network, input, target)
        self.batches = TrainingBatches(self.session)
        self.gradients_panel = GradientsPanel(explain_action=a.explain_step)
        self._gradients_dirty = False  # needs drawing (new input, target or batch): on the next tick it is in front
        self._explain: ExplainDialog | None = None  # made on first use
        self.banner = Banner()
        self.settings_notice = settings_reset.SettingsNotice()  # restored settings that could trap a new session
        self.progress = ProgressPanel()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.settings_notice)
        layout.addWidget(self.network_view, 1)
        self.setCentralWidget(central)
        # The timeline spans the whole window, above the status bar.
        self.timeline_bar = TimelineBar()
        self.timeline_toolbar = QToolBar("Timeline")
        self.timeline_toolbar.setObjectName("toolbar_timeline")
        self.timeline_toolbar.setMovable(False)
        self.timeline_toolbar.addWidget(self.timeline_bar)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.timeline_toolbar)
        self._replay_timer = QTimer(self)
        self._replay_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._replay_timer.setInterval(16)  # display rate
        self._replay_timer.timeout.connect(self._on_replay_tick)
        self._bar_version = None
        self._bar_at = -1e9

        self.menus = menu.build_menus(self, a)
        self.setDockNestingEnabled(True)
        self.docks = {title: docks.make_dock(self, widget, title) for title, widget in (
            ("Training", self.controls), ("Draw", self.pad), ("Test set", self.browser),
            ("Neurons", self.neurons), ("Gradients", self.gradients_panel), ("Weights", self.weight_maps), ("Curves", self.curves))}
        for dock in self.docks.values():
            self.menus["panels"].addAction(dock.toggleViewAction())
        self.menus["panels"].addAction(self.timeline_toolbar.toggleViewAction())
        docks.arrange(self, self.docks)
        self._add_teaching()

        self.setStatusBar(StatusBar())
        self.data_label = ElidedLabel("The dataset in use (File ▸ Open dataset… to change it)")
        self.data_label.setMinimumWidth(120)
        self.data_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.data_label, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().set_spare(self.progress.spare_fields())  # a long message takes their room

        # A replay redraws at display rate like a run: one costly view per tick then too.
        self._render = RenderScheduler(lambda: self.session.shown,
                                       lambda: self.session.state.is_training or self.session.replay.playing, self)
        self._render.add_view("network", self._draw_network, lambda: 1.0 / self.settings.redraw_hz,
                              urgent=lambda: self._input_dirty)
        # A dock behind another tab (or closed) is drawn when it comes to the front, not per frame.
        showing = {title: (lambda d=dock: docks.showing(d)) for title, dock in self.docks.items()}
        self._render.add_view("weights", self._draw_weights, VIEW_PERIODS["weights"], urgent=lambda: self._weights_dirty,
                              visible=showing["Weights"])
        self._weights_dirty = False  # the user chose another weight view: redraw now
        self._render.add_view("curves", self._draw_curves, VIEW_PERIODS["curves"], urgent=lambda: self._curves_dirty,
                              visible=showing["Curves"])
        self._curves_history = None  # the history the curves show (set again only when it changes)
        self._curves_dirty = False  # the recording grew while the cursor shows the past
        self._curves_sizes = None  # the gradient sizes the curves show
        self._render.add_view("pad", self.pad.set_snapshot, VIEW_PERIODS["panels"], rides_along=True,
                              visible=showing["Draw"])
        self._render.add_view("browser", self.browser.set_snapshot, VIEW_PERIODS["panels"], rides_along=True,
                              visible=showing["Test set"])
        self._render.add_view("gradients", self._draw_gradients, VIEW_PERIODS["gradients"],
                              urgent=lambda: self._gradients_dirty, visible=showing["Gradients"])
        for title, view in (("Weights", "weights"), ("Curves", "curves"), ("Draw", "pad"),
                            ("Test set", "browser"), ("Gradients", "gradients")):
            self.docks[title].visibilityChanged.connect(lambda visible, v=view: self._on_dock_shown(v, visible))
        self._render.before_frame = self._before_frame
        self._render.after_frame = lambda: self.progress.set_fps(self._frames.fps())
        self._connect_actions()
        self._connect_session()
        self._connect_panels()
        if dataset is not None:
            self.session.dataset = dataset  # given ready-made (tests, benchmarks): loading skips the data
            self.browser.set_dataset(dataset.x_test, dataset.y_test)
        self._restore_settings()
        settings_reset.show_notice(self)
        self._set_state_view(RunState.LOADING)
        self._render.timer.start()
        self.setAcceptDrops(True)  # weights, runs, images and datasets dropped anywhere (ui/drops.py)

    def _add_teaching(self) -> None:
        """The "?" of the network view, Help ▸ What am I looking at? and View ▸ Presenter mode."""
        # In the view's footer, at the bottom of the screen: its text opens upward. It says what the
        # outputs of the network shown do (ten digits, or one "is it a 6?" neuron).
        self.network_help = HelpButton(NETWORK, self.network_view, upward=True, network=lambda: self.session.network)
        self.network_view.add_to_footer(self.network_help)
        self.tour = HelpTour(self)
        self.presenter = PresenterMode(self)

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
        """Put the built-in panels back where they start (docks added with add_dock stay put);
        a short window (under ``docks.COMPACT_HEIGHT``) gets the compact arrangement."""
        docks.arrange(self, self.docks, compact=self.height() < docks.COMPACT_HEIGHT)

    @property
    def state(self) -> RunState:
        return self.session.state

    @property
    def dataset(self):
        return self.session.dataset

    @property
    def last_result(self):
        return self.session.last_result

    def set_current_input(self, vector784, true_label: int | None = None, *, source: str = "Your drawing") -> None:
        """Feed one image (784 values in [0, 1], any shape; None clears it) through the network.

        ``true_label`` (if known) lets the views mark the prediction right or wrong; ``source``
        names the input in the controls panel ("Your drawing", "Test digit #12", ...).
        """
        if vector784 is None:
            self.session.set_input(None)
            return
        kind = InputSource.TEST_DIGIT if true_label is not None else InputSource.DRAWING
        self.session.set_input(CurrentInput(np.asarray(vector784, np.float32), kind, true_label, source))

    def show_test_digit(self, index: int) -> None:
        """Make test image ``index`` (wrapped around) the input: pad, network view and browser show it."""
        self.session.show_test_digit(index)

    def latest_snapshot(self):
        """The newest TrainingSnapshot received (None before the network exists)."""
        return self.session.latest

    def start_loading(self) -> None:
        """Import TensorFlow, load the dataset and build the first weights, in the background."""
        if self.session.state is not RunState.LOADING or len(self._workers):
            return
        self._loading_started = True
        self.session.start_loading(self._data_spec, self._initial_dataset)

    # The run and file commands, as the menus and buttons call them (the session decides).
    def start_training(self, *, paused: bool = False) -> bool:
        return self.session.start(paused=paused)

    def toggle_start_pause(self) -> None:
        self.session.toggle_start_pause()

    def set_paused(self, paused: bool) -> None:
        self.session.set_paused(paused)

    def step(self) -> None:
        """Train one batch and open "This batch" on it."""
        self.session.step()
        self.show_gradients(batch=True)

    def stop_training(self) -> None:
        self.session.stop()

    def reset(self) -> None:
        self.session.reset()

    def load_dataset(self, path: str) -> None:
        self.session.load_dataset(path)

    def import_weights(self, path: str) -> None:
        self.session.import_weights(path)

    def export_weights(self, path: str) -> None:
        self.session.export_weights(path)

    def save_screenshot(self, path: str) -> bool:
        ok = self.grab().save(path, "PNG")
        if ok:
            self.statusBar().showMessage(f"Screenshot saved to {path}", 8000)
        else:
            QMessageBox.warning(self, "Could not save the screenshot", f"Writing {path} failed.")
        return ok

    def render(self, *, everything: bool = False) -> bool:
        """Bring the views up to date with the newest snapshot and input; True when anything drew.

        While a run goes, each tick of the render timer updates only the view furthest behind its
        own rate among those due: the network view at the redraw rate, the costlier plot views
        (weight maps, curves) at their own slower rates (``VIEW_PERIODS``); the cheap pad and test
        browser ride along on those ticks at 10 Hz. Outside a run, or with ``everything=True``,
        all views update at once.
        """
        return self._render.render(everything=everything)

    # -- session events -------------------------------------------------------------------------
    def _connect_session(self) -> None:
        s = self.session
        s.state_changed.connect(self._set_state_view)
        s.dataset_changed.connect(self._on_dataset_changed)
        s.network_adopted.connect(lambda _snap: self.progress.clear())
        s.snapshot_settled.connect(self._on_snapshot_settled)
        s.config_adopted.connect(self.controls.set_config)
        s.config_refused.connect(self.controls.show_error)
        s.input_changed.connect(self._on_input_changed)
        s.run_started.connect(self._on_run_started)
        s.banner_changed.connect(self._on_banner_changed)
        s.status_message.connect(lambda text: self.statusBar().showMessage(text, 15000))
        s.error_raised.connect(lambda title, text: QMessageBox.warning(self, title, text))
        s.progress_text.connect(self.data_label.setText)
        s.image_loaded.connect(self.pad.show_image)
        s.cursor_changed.connect(self._on_cursor_changed)
        s.timeline_changed.connect(lambda _t: self._update_timeline_bar(force=True))
        s.pace_changed.connect(self.controls.set_pace)
        s.pace_changed.connect(self.progress.set_pace)  # a paced run shows its pace, not its compute rate
        s.state_changed.connect(self._open_run_when_ready)
        self.banner.dismissed.connect(self.session.dismiss_banner)
        # What the network has learned: analysis, selection, ideas and hints, all computed by the session.
        s.neurons.result_changed.connect(self._on_neurons_analysed)
        s.neurons.busy_changed.connect(self.neurons.set_busy)
        s.neurons.failed.connect(self.neurons.show_failure)
        s.selection.changed.connect(self._on_selection_changed)
        s.hints.changed.connect(self.neurons.set_hints)
        s.ideas.ready.connect(self._on_idea)
        s.ideas.busy_changed.connect(self.neurons.set_idea_busy)
        s.ideas.failed.connect(self.neurons.show_idea_failure)

    def _on_run_started(self, config) -> None:
        self.curves.set_epochs(config.epochs)  # the epoch axis spans the run
        # Building the model and tracing its graph takes a second or two before the first batch.
        self.progress.set_preparing()

    def _set_state_view(self, state: RunState) -> None:
        self.actions.set_state(state, has_data=self.session.dataset is not None, has_weights=self.session.has_weights)
        self.controls.set_editable(state.config_editable)
        self.controls.set_state_text(state.text)
        self.progress.set_paused(state is RunState.PAUSED)
        if state is RunState.NO_DATA and self.session.dataset is None:
            self.data_label.setText("No dataset loaded")
        self.state_changed.emit(state)

    def _on_banner_changed(self, text: str, level: str) -> None:
        if text:
            self.banner.show_message(text, level)
        else:
            self.banner.hide()

    def _on_dataset_changed(self, dataset) -> None:
        if dataset.is_synthetic:
            self.data_label.setText(f"<b style='color:#d9534f'>SYNTHETIC digits, not MNIST</b> — {dataset.describe()}")
        else:
            self.data_label.setText(f"Data: {dataset.describe()}")
        self.browser.set_dataset(dataset.x_test, dataset.y_test)
        self.dataset_changed.emit(dataset)

    def _on_snapshot_settled(self, snap) -> None:
        self.browser.set_snapshot(snap)  # it re-evaluates the test set on settled snapshots at once
        self.neurons.set_network(snap)
        self.snapshot_settled.emit(snap)

    def _on_neurons_analysed(self, result) -> None:
        self.neurons.set_result(result)
        self.network_view.set_dead(None if result is None else result.dead_masks())

    def _on_selection_changed(self, selection) -> None:
        pinned = selection.pinned
        key = None if pinned is None else (pinned.layer, pinned.index)
        self.network_view.set_pinned(key)
        self.weight_maps.set_highlight(key)
        self.neurons.set_selection(pinned, selection.hovered)

    def _on_idea(self, idea) -> None:
        self.neurons.show_idea(idea)
        self.show_neurons_panel(IDEAS)

    def show_neurons_panel(self, tab: int = RESPONSES) -> None:
        """Bring the Neurons dock to the front on one of its tabs (RESPONSES or IDEAS)."""
        dock = self.docks["Neurons"]
        dock.show()
        dock.raise_()
        self.neurons.show_tab(tab)

    def _ask(self, tab: int, question) -> None:
        """A menu command about the neurons: show the panel's tab, then ask the session."""
        self.show_neurons_panel(tab)
        question()

    def _on_input_changed(self, current) -> None:
        # Whatever the input, the pad shows it (a drawing or image it made itself already does).
        if current is not None and not self.pad.shows(current):
            self.pad.show_input(current)
        if current is not None and current.source is InputSource.TEST_DIGIT and current.test_index is not None:
            self.browser.show_index(current.test_index, emit=False)
        self.neurons.set_input_name(None if current is None else current.name)
        # The pad showed its own input's prediction at once (a stroke must not wait for a tick);
        # the network view follows on the next tick, sharing the same analysis.
        self._input_dirty = True

    # -- drawing ------------------------------------------------------------------------------
    def _before_frame(self, _shown) -> None:
        # Cheap updates on every tick: the progress of the live run, the timeline bar (<= 4 Hz).
        self._update_progress(self.session.latest)
        self._update_timeline_bar()
        self.session.settle_cursor()  # a cursor at rest: the neuron analysis of its moment starts

    def _update_progress(self, snap) -> None:
        if snap is None or snap.run_id != self.session.progress_run or snap is self._progress_shown:
            return
        # QProgressBar.setValue repaints at once (~1 ms): ten times a second is plenty for a bar,
        # except for the snapshots that end an epoch or the run.
        now = time.monotonic()
        if snap.event is SnapshotEvent.BATCH and now - self._progress_at < PROGRESS_PERIOD:
            return
        self.progress.set_snapshot(snap)
        self._progress_shown, self._progress_at = snap, now

    def _draw_network(self, snap) -> None:
        new_weights = snap is not self._render.shown("network")
        current = self.session.input
        analysis = self.session.analysis(snap)
        if analysis is not None:
            acts, predicted = analysis.activations, analysis.predicted
            if new_weights:
                self.network_view.set_frame(snap, acts, predicted, current.label)
            else:
                self.network_view.set_activations(acts, predicted, current.label)
            self.controls.set_prediction(current.name, current.label, predicted, analysis.confidence,
                                         network=analysis.network)
        else:
            if new_weights:
                self.network_view.set_weights(snap)
            if self._input_dirty:  # the input was cleared
                self.network_view.set_activations(None)
                name = self.pad.input_name()
                self.controls.set_input_text(f"{name}: nothing to classify" if name else "–")
        self._input_dirty = False
        self._frames.tick()
        if new_weights:
            self.weights_changed.emit(snap)

    def _draw_weights(self, snap) -> None:
        self._weights_dirty = False
        self.weight_maps.set_weights(snap, self._weight_reference(snap))

    def _weight_reference(self, snap):
        """The network the weight maps subtract (None: they draw the weights themselves)."""
        view, timeline = self.weight_maps.view(), self.session.timeline
        if view is WeightView.WEIGHTS or timeline is None or not len(timeline):
            return None
        first = timeline.bounds()[0]
        if view is WeightView.TOTAL_CHANGE:
            return timeline.moment_at(first).network
        return timeline.moment_at(snap.step - 1).network if snap.step > first else None

    def _draw_curves(self, snap) -> None:
        self._curves_dirty = False
        history = self.session.history()
        if history is not self._curves_history:  # a scrub changes the cursor line, not the curves
            self._curves_history = history
            self.curves.set_history(history)
        sizes = self.session.gradient_sizes.view()  # the same object until a snapshot adds a point
        if sizes is None or sizes is not self._curves_sizes:
            self._curves_sizes = sizes
            self.curves.set_gradient_sizes(sizes)
        self.curves.set_cursor(None if self.session.cursor.live else snap.epoch_float)

    def _update_timeline_bar(self, force: bool = False) -> None:
        timeline = self.session.timeline
        version = None if timeline is None else (id(timeline), timeline.version)
        now = time.monotonic()
        if not force and (version == self._bar_version or now - self._bar_at < TIMELINE_PERIOD):
            return
        if not force and timeline is not None and timeline.busy:
            return  # the recorder is copying a call's batches in: next frame, rather than wait here
        self._bar_version, self._bar_at = version, now
        if timeline is None or not len(timeline):
            self.timeline_bar.set_recording(0, 0, np.zeros(0), np.zeros(0), np.zeros(0))
        else:
            (first, last), m = timeline.bounds(), timeline.metrics()
            self.timeline_bar.set_recording(first, last, timeline.epoch_end_steps(), m.step, m.loss)
        self._show_cursor()
        if not self.session.cursor.live and self.session.state.is_training:
            self._curves_dirty = True  # the past is shown, but the run goes on: the curves grow

    def _show_cursor(self) -> None:
        s = self.session
        shown = s.shown
        live = s.cursor.live
        text = "" if shown is None or s.timeline is None else moment_text(
            shown.step, shown.epoch_float if shown.batches_per_epoch or shown.replayed else None, live, s.replay.playing)
        self.timeline_bar.set_cursor(None if live else s.cursor.step, text)
        self.timeline_bar.set_playing(s.replay.playing)
        self.actions.continue_here.setEnabled(not live and s.state is RunState.READY)
        self.actions.go_live.setEnabled(not live)

    def _on_cursor_changed(self, _step) -> None:
        self._input_dirty = True  # every view follows the moment shown on the next tick
        self._show_cursor()

    def _on_play_toggled(self, on: bool) -> None:
        if on:
            self.session.play(self.timeline_bar.replay_pace())
            self._replay_timer.start()
        else:
            self.session.replay.stop()
        self._show_cursor()

    def _on_replay_tick(self) -> None:
        self.session.tick_replay()
        if not self.session.replay.playing:
            self._replay_timer.stop()
            self._show_cursor()

    def _open_run_when_ready(self, state) -> None:
        if self._open_run is not None and state in (RunState.READY, RunState.NO_DATA):
            path, self._open_run = self._open_run, None
            self.session.open_run(path)

    def _draw_gradients(self, snap) -> None:
        """The Gradients dock (the scheduler calls this only when it is in front)."""
        self._gradients_dirty = False
        panel = self.gradients_panel
        if panel.showing_batch():
            panel.set_batch(self.batches.batch(snap), self.batches.chosen, self.batches.example_gradient(snap),
                            self.batches.describe())
        else:
            panel.set_moment(self.gradients.moment(snap))

    def _on_dock_shown(self, view: str, visible: bool) -> None:
        # A tab that comes to the front catches up with the moment shown, once its layout is done.
        if visible:
            QTimer.singleShot(0, lambda: self._render.refresh(view))

    def _mark_gradients(self, *_args) -> None:
        # Drawn on the next tick when in front; a hidden dock waits until it is shown.
        self._gradients_dirty = True

    def explain_step(self) -> ExplainDialog | None:
        """Open "Explain one step" on the current input (None, with a status message, when it has no target)."""
        moment = self.gradients.moment(wait=True)  # one click: a big network's gradient is computed now
        if moment is None or moment.needs_target:
            self.show_gradients()
            self.statusBar().showMessage(moment.reason if moment is not None else
                                         "Pick a test digit or draw one to explain a step on it", 10000)
            return None
        if self._explain is None:
            self._explain = ExplainDialog(self)
        self._explain.set_explainer(StepExplainer(self.session, moment, chosen_config(self.session)))
        self._explain.show()
        self._explain.raise_()
        self._explain.activateWindow()
        return self._explain

    def show_gradients(self, *, batch: bool = False) -> None:
        """Bring the Gradients dock to the front (on its "This batch" tab with ``batch``)."""
        dock = self.docks["Gradients"]
        dock.show()
        dock.raise_()
        if batch:
            self.gradients_panel.show_batch_tab()

    # -- helpers ----------------------------------------------------------------------------------
    def _confirm(self, title: str, text: str) -> bool:
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel
        answer = QMessageBox.question(self, title, text, buttons, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _choose(self, title: str, text: str, options) -> str | None:
        item, ok = QInputDialog.getItem(self, title, text, list(options), 0, False)
        return item if ok else None

    # -- wiring, settings, closing ------------------------------------------------------------
    def _connect_actions(self) -> None:
        a, s = self.actions, self.session
        a.start.triggered.connect(lambda: s.start())
        a.start_pause.triggered.connect(s.toggle_start_pause)
        a.pause.triggered.connect(lambda checked: s.set_paused(checked))
        a.step.triggered.connect(self.step)  # and "This batch" shows the batch it trained on
        a.stop.triggered.connect(s.stop)
        a.reset.triggered.connect(s.reset)
        a.next_input.triggered.connect(lambda: self.browser.step(+1))
        a.previous_input.triggered.connect(lambda: self.browser.step(-1))
        a.random_input.triggered.connect(self.browser.show_random)
        a.explain_step.triggered.connect(self.explain_step)
        a.show_batch.triggered.connect(lambda: self.show_gradients(batch=True))
        a.lock_range.toggled.connect(lambda on: self.weight_maps.set_range_mode(RangeMode.LOCK if on else RangeMode.GROW))
        self.weight_maps.range_mode_changed.connect(self._on_range_mode_changed)
        self.weight_maps.view_changed.connect(lambda _view: setattr(self, "_weights_dirty", True))
        a.theme_group.triggered.connect(lambda act: self.set_theme(act.data()))
        a.rate_group.triggered.connect(lambda act: self.set_redraw_rate(act.data()))
        a.reset_layout.triggered.connect(self.reset_layout)
        a.reset_settings.triggered.connect(lambda: settings_reset.reset_settings(self))
        self.settings_notice.reset_button.clicked.connect(lambda: settings_reset.reset_settings(self))
        a.analyse_neurons.triggered.connect(lambda: self._ask(RESPONSES, s.neurons.analyse_now))
        a.feed_noise.triggered.connect(lambda: self._ask(IDEAS, s.ideas.feed_noise))
        a.fool_it.triggered.connect(lambda: self._ask(IDEAS, lambda: s.ideas.fool(self.neurons.fool_target())))
        a.unpin_neuron.triggered.connect(lambda: s.selection.pin(None))
        for digit, action in a.dream.items():
            action.triggered.connect(lambda _=False, d=digit: self._ask(IDEAS, lambda: s.ideas.dream_digit(d)))
        a.open_dataset.triggered.connect(lambda: menu.open_dataset_dialog(self, folder=False))
        a.open_dataset_folder.triggered.connect(lambda: menu.open_dataset_dialog(self, folder=True))
        a.import_weights.triggered.connect(lambda: menu.import_weights_dialog(self))
        a.export_weights.triggered.connect(lambda: menu.export_weights_dialog(self))
        a.screenshot.triggered.connect(lambda: menu.screenshot_dialog(self))
        a.save_run.triggered.connect(lambda: menu.save_run_dialog(self))
        a.open_run.triggered.connect(lambda: menu.open_run_dialog(self))
        a.export_metrics.triggered.connect(lambda: menu.export_metrics_dialog(self))
        a.continue_here.triggered.connect(self.session.continue_from_cursor)
        a.go_live.triggered.connect(self.session.go_live)
        a.quit.triggered.connect(self.close)
        a.about.triggered.connect(self._about)
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda _s: self.set_theme(self.settings.theme))

    def _connect_panels(self) -> None:
        # The pad says what the user drew or opened; the session decides what the input is.
        self.pad.input_changed.connect(self.session.set_input)
        self.pad.image_requested.connect(self.session.open_image)
        self.browser.digit_requested.connect(self.session.show_test_digit)
        g = self.gradients_panel
        g.target_chosen.connect(self.gradients.choose_target)
        g.batch_step_requested.connect(self.batches.step)
        g.image_chosen.connect(self.batches.choose)
        g.tab_changed.connect(lambda _i: (self._mark_gradients(), self._render.refresh("gradients")))
        self.gradients.target_changed.connect(self._mark_gradients)
        self.gradients.ready.connect(self._mark_gradients)  # a big network's gradient, computed in the background
        self.batches.changed.connect(self._mark_gradients)
        self.session.input_changed.connect(self._mark_gradients)
        s, n = self.session, self.neurons
        # A neuron pinned or hovered anywhere is the session's selection; the views follow it.
        self.network_view.neuron_pinned.connect(lambda info: s.selection.pin(_ref(info)))
        self.network_view.neuron_hovered.connect(lambda info: s.selection.hover(_ref(info)))
        n.neuron_pinned.connect(s.selection.pin)
        n.analyse_requested.connect(s.neurons.analyse_now)
        n.digit_requested.connect(s.show_test_digit)
        n.dream_requested.connect(s.ideas.dream)
        n.noise_requested.connect(s.ideas.feed_noise)
        n.fool_requested.connect(s.ideas.fool)
        n.send_requested.connect(s.ideas.send_to_pad)
        self.controls.pace_chosen.connect(self._on_pace_chosen)
        bar, s = self.timeline_bar, self.session
        bar.cursor_requested.connect(s.set_cursor)
        bar.batches_requested.connect(s.move_cursor)
        bar.epochs_requested.connect(s.move_cursor_epochs)
        bar.home_requested.connect(s.cursor_home)
        bar.live_requested.connect(s.go_live)
        bar.play_toggled.connect(self._on_play_toggled)
        bar.replay_pace_chosen.connect(s.replay.set_pace)
        bar.loop_toggled.connect(lambda on: setattr(s.replay, "loop", on))

    def _on_pace_chosen(self, pace) -> None:
        self.settings.pace = pace
        self.session.set_pace(pace)

    def _on_range_mode_changed(self, mode: RangeMode) -> None:
        action = self.actions.lock_range
        action.blockSignals(True)  # the menu follows the combo; it must not switch the mode back
        action.setChecked(mode is RangeMode.LOCK)
        action.blockSignals(False)

    def set_theme(self, mode: Theme | str) -> None:
        mode = Theme.parse(mode)
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
        self.session.set_pace(s.pace)
        self.actions.theme[s.theme].setChecked(True)
        self.set_redraw_rate(s.redraw_hz)
        self.weight_maps.set_range_mode(s.weight_range)
        self._on_range_mode_changed(s.weight_range)
        geometry, state = s.geometry(), s.state()
        if geometry is None or not self.restoreGeometry(geometry):
            self._default_size()
        self._layout_restored = state is not None and self.restoreState(state, docks.LAYOUT_VERSION)

    def _default_size(self) -> None:
        """1280x800, or the screen's free area when it is smaller (a 1024x768 projector)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        free = screen.availableGeometry() if screen is not None else None
        if free is None or (free.width() >= 1280 and free.height() >= 800):
            self.resize(1280, 800)
        else:
            self.resize(min(1280, free.width()), min(800, free.height()))

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
        if self._explain is not None:
            self._explain.release()
        self.session.cancel_after_stop()
        self.session.close_analyses()  # their answers would arrive after the panels are gone
        self._runner.abandon()  # no final test-set pass: nobody will see it
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
            QTimer.singleShot(0, self._first_layout)
        if not self._loading_started:
            QTimer.singleShot(0, self.start_loading)  # after the first paint: the window comes first

    def _first_layout(self) -> None:
        if self.height() < docks.COMPACT_HEIGHT:
            self.reset_layout()
        else:
            docks.resize_defaults(self, self.docks)

    def closeEvent(self, event) -> None:
        self.shutdown()
        self.save_settings()
        super().closeEvent(event)

    def dragEnterEvent(self, event) -> None:
        if drops.dropped_paths(event.mimeData()):
            event.acceptProposedAction()  # any local file: one nnviz cannot use still gets a message

    def dropEvent(self, event) -> None:
        paths = drops.dropped_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            drops.open_dropped(self, paths)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.banner.update()
        super().changeEvent(event)

    def _about(self) -> None:
        QMessageBox.about(self, "About nnviz", f"<b>nnviz {__version__}</b>{ABOUT}")
