"""Session: the application model — run state machine, dataset, network, snapshots, current input, file jobs.

Qt-free and TensorFlow-free: training runs behind a :class:`Runner`, one-off work (loading
TensorFlow and data, building fresh weights, reading and writing files) behind :class:`Jobs`
calling a :class:`Backend`. The ui implements all three with threads (``ui/workers.py``); the
tests implement them with plain synchronous fakes. Views listen to the events and call the
methods; they never hold this state themselves.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from visualizer.core import runfile
from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ActivationRequired, ConfigError, TrainingDiverged
from visualizer.core.network import Network
from visualizer.core.safeio import one_line
from visualizer.core.snapshot import SnapshotEvent, TrainingSnapshot
from visualizer.core.timeline import DEFAULT_BUDGET, Batches, Timeline, flatten_network
from visualizer.core.weights_format import ImportedNetwork
from visualizer.session.architecture import change_text, config_for, nearest_config, trains_as
from visualizer.session.events import Event
from visualizer.session.gradient_sizes import GradientSizes
from visualizer.session.hints import HintWatcher
from visualizer.session.ideas import IdeasModel
from visualizer.session.inputs import AnalysisCache, CurrentInput, InputAnalysis, InputSource
from visualizer.session.messages import describe_error, join_sentences
from visualizer.session.moments import DEFAULT_PACE, Cursor, Replay, Rest, snapshot_of
from visualizer.session.neurons import NeuronsModel
from visualizer.session.replacing import import_question, open_run_question, saved_mark
from visualizer.session.selection import Selection
from visualizer.session.state import RunState, can_move


@dataclass(frozen=True)
class RunRequest:
    """What a Runner is asked to train: ``initial`` None means fresh weights for ``config``."""

    config: TrainingConfig
    dataset: object
    initial: TrainingSnapshot | None
    run_id: int
    snapshot_interval: float
    paused: bool
    timeline: Timeline | None = None  # record the run into it
    pace: float | None = None  # batches per second; None: full speed


class Runner(Protocol):
    """Runs training in the background and reports to the session, in the session's thread, through
    :meth:`Session.on_snapshot`, :meth:`Session.on_run_error` and :meth:`Session.on_run_finished`."""

    def start(self, request: RunRequest) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def step(self, n: int = 1) -> None: ...
    def stop(self) -> None: ...
    def set_pace(self, pace: float | None) -> None: ...


class Jobs(Protocol):
    """Runs ``fn(*args)`` in the background; calls back in the session's thread.

    ``on_success(result)`` or ``on_error(exception)``, then ``on_finished(result or None)``;
    ``report``, when given, is passed to ``fn`` as ``report=`` and receives progress texts.
    """

    def submit(self, fn: Callable, *args, on_success: Callable, on_error: Callable,
               on_finished: Callable | None = None, report: Callable[[str], None] | None = None) -> None: ...


class Backend(Protocol):
    """The work that needs TensorFlow or the data layer (called through :class:`Jobs`)."""

    def startup(self, data_spec, dataset, config: TrainingConfig, run_id: int, report): ...
    def initial_snapshot(self, config: TrainingConfig, dataset, run_id: int) -> TrainingSnapshot: ...
    def read_dataset(self, path: str): ...
    def read_weights(self, path: str, activation: str | None = None) -> ImportedNetwork: ...
    def write_weights(self, snapshot: TrainingSnapshot, path: str) -> str: ...
    def read_image(self, path: str): ...


class Session:
    """The application's state and its transitions.

    Parameters
    ----------
    runner, jobs, backend
        Background training, one-off background work, and the operations it runs.
    config_source
        Returns the settings the user has entered (raises ConfigError for invalid ones).
    confirm
        Asks the user a yes/no question ``(title, text)``; True means go ahead.
    choose
        Asks the user to pick one of ``options`` ``(title, text, options)``; returns the choice,
        or None when the user cancels.
    snapshot_interval
        Returns the seconds between snapshots a run should send (the redraw period).
    """

    def __init__(self, runner: Runner, jobs: Jobs, backend: Backend, *,
                 config_source: Callable[[], TrainingConfig] = TrainingConfig,
                 confirm: Callable[[str, str], bool] = lambda title, text: True,
                 choose: Callable[[str, str, Sequence[str]], str | None] = lambda title, text, options: None,
                 snapshot_interval: Callable[[], float] = lambda: 1 / 30,
                 clock: Callable[[], float] = time.monotonic):
        self.runner, self.jobs, self.backend = runner, jobs, backend
        self.config_source = config_source
        self.confirm = confirm
        self.choose = choose
        self.snapshot_interval = snapshot_interval
        self.state = RunState.LOADING
        self.dataset = None
        self.model_config: TrainingConfig | None = None  # the config the current weights belong to
        self.imported_from: str | None = None  # the file the current weights came from, if imported
        self.latest: TrainingSnapshot | None = None  # newest snapshot received
        self.run_id = 0
        self.last_result = None
        self.snapshots_received = 0  # every snapshot the Runner delivered (the bench's rate)
        self.progress_run: int | None = None  # run_id whose snapshots drive the progress bar
        self.banner: tuple[str, str] = ("", "")  # (text, level) of the message shown above the network
        self.input: CurrentInput | None = None
        self.analyses = AnalysisCache()
        self.pace: float | None = DEFAULT_PACE  # batches per second while training; None: full speed
        self.timeline_budget = DEFAULT_BUDGET  # bytes of recorded weights per run
        self.cursor = Cursor()  # which recorded moment the views show (live by default)
        self.replay = Replay(clock)
        self.cursor_rest = Rest(clock)  # when a moving cursor stops: costly analyses wait for it
        self._after_stop: Callable[[], None] | None = None
        self._busy_from: RunState | None = None
        self._saved_run: tuple[int, int] | None = None  # saved_mark of the recording last saved or opened

        self.state_changed = Event("state_changed")  # (RunState)
        self.dataset_changed = Event("dataset_changed")  # (dataset)
        self.network_adopted = Event("network_adopted")  # (snapshot): initial, reset, imported weights
        self.snapshot_settled = Event("snapshot_settled")  # (snapshot): epoch and run ends, adopted networks
        self.config_adopted = Event("config_adopted")  # (TrainingConfig): imported architecture for the controls
        self.config_refused = Event("config_refused")  # (message): the entered settings are invalid
        self.input_changed = Event("input_changed")  # (CurrentInput or None)
        self.run_started = Event("run_started")  # (TrainingConfig)
        self.run_finished = Event("run_finished")  # (TrainResult or None)
        self.banner_changed = Event("banner_changed")  # (text, level); text "" hides it
        self.status_message = Event("status_message")  # (text): a transient line in the status bar
        self.error_raised = Event("error_raised")  # (title, text): a dialog
        self.progress_text = Event("progress_text")  # (text): what loading is doing
        self.image_loaded = Event("image_loaded")  # (image, name): an image file to show on the pad
        self.cursor_changed = Event("cursor_changed")  # (step or None): the moment shown (None: live)
        # (step or None): the cursor stopped moving (see settle_cursor): analyses of the moment shown start
        self.cursor_rested = Event("cursor_rested")
        self.cursor_changed.connect(lambda _step: self.cursor_rest.moved())
        self.timeline_changed = Event("timeline_changed")  # (Timeline or None): a new recording, opened or reset
        self.pace_changed = Event("pace_changed")  # (batches per second or None)
        # (snapshot): it names the training images of the batch a Step ran or training runs next.
        self.batch_reported = Event("batch_reported")
        self.gradient_sizes = GradientSizes()  # per-layer ‖∂L/∂W‖ from the snapshots, for the curves
        self.network_adopted.connect(lambda _snap: self.gradient_sizes.clear())

        # What the network has learned: the pinned neuron every view lights, the neuron analysis,
        # dreams / noise / fooling, and the hints (each listens to the events above).
        self.selection = Selection()
        self.network_adopted.connect(lambda snap: self.selection.fit(snap.layer_sizes))
        self.neurons = NeuronsModel(self)
        self.ideas = IdeasModel(self)
        self.hints = HintWatcher(self, self.neurons)

    # -- state ---------------------------------------------------------------------------------
    def _set_state(self, state: RunState) -> None:
        if not can_move(self.state, state):
            raise RuntimeError(f"run state cannot go from {self.state} to {state}")
        self.state = state
        self.state_changed.emit(state)

    def _show_banner(self, text: str, level: str) -> None:
        self.banner = (text, level) if text else ("", "")
        self.banner_changed.emit(*self.banner)

    def show_hint(self, text: str) -> bool:
        """Show a teaching hint (what was measured, what to try) in the banner as a warning.

        An error message stays in front (the hint is not shown: False); anything else gives way.
        """
        if self.banner[0] and self.banner[1] == "error":
            return False
        self._show_banner(one_line(text), "warning")
        return True

    def dismiss_banner(self, level: str | None = None) -> None:
        """Hide the banner (only when it shows ``level``, if given)."""
        if self.banner[0] and (level is None or self.banner[1] == level):
            self._show_banner("", "")

    @property
    def has_weights(self) -> bool:
        return self.latest is not None

    @property
    def network(self) -> Network | None:
        """The network of the moment shown."""
        shown = self.shown
        return None if shown is None else shown.network

    @property
    def shown(self) -> TrainingSnapshot | None:
        """The moment every view shows: the newest snapshot, or the recorded moment under the cursor."""
        return self.cursor.shown(self.latest, self.run_id)

    @property
    def timeline(self) -> Timeline | None:
        """The recording of the current network's runs (None until its first run starts)."""
        return self.cursor.timeline

    def history(self):
        """The curves to draw: the whole recording (runs that continued it included), else the latest's."""
        return self.cursor.history(None if self.latest is None else self.latest.history)

    # -- start-up ------------------------------------------------------------------------------
    def start_loading(self, data_spec=None, dataset=None) -> None:
        """Load TensorFlow, the dataset (``dataset`` if given, else ``data_spec``) and the first weights."""
        if self.state is not RunState.LOADING:
            return
        try:
            config = self.config_source()
        except ConfigError:
            config = TrainingConfig()
            self.config_adopted.emit(config)
        self._show_banner("Loading TensorFlow and the dataset… Start becomes available when they are ready.", "info")
        self.jobs.submit(self.backend.startup, data_spec, dataset, config, self.run_id,
                         on_success=lambda result: self._on_loaded(result, config),
                         on_error=self._on_load_failed, report=self.progress_text.emit)

    def _on_loaded(self, result, config: TrainingConfig) -> None:
        dataset, warning, snap = result
        self._set_dataset(dataset)
        if warning:
            self._show_banner(warning, "warning")
        else:
            self.dismiss_banner("info")
        self._adopt(snap, config)

    def _on_load_failed(self, exc: BaseException) -> None:
        self._show_banner(f"Could not start training: {describe_error(exc)}", "error")
        self._set_state(RunState.NO_DATA)  # nothing to train on; File ▸ Open dataset… stays available

    def _adopt(self, snap: TrainingSnapshot, config: TrainingConfig | None, message: str = "",
               imported_from: str | None = None, keep_timeline: bool = False) -> None:
        """Make ``snap`` the current network (initial, reset or imported weights; a step by hand
        keeps the recording, which it extends or shortens)."""
        self.latest = snap
        self.model_config = config
        self.imported_from = imported_from
        self.progress_run = None
        if not keep_timeline:
            self._set_timeline(None)
        self.network_adopted.emit(snap)
        self.snapshot_settled.emit(snap)
        if message:
            self.status_message.emit(message)
        self._set_state(RunState.READY if self.dataset is not None else RunState.NO_DATA)

    def _set_dataset(self, dataset) -> None:
        self.dataset = dataset
        self.dataset_changed.emit(dataset)
        if self.input is None or self.input.source is InputSource.TEST_DIGIT:
            self.show_test_digit(0)  # something lit up from the start; drawing replaces it

    # -- runs ----------------------------------------------------------------------------------
    def _config_or_refuse(self) -> TrainingConfig | None:
        try:
            return self.config_source()
        except ConfigError as exc:
            self.config_refused.emit(str(exc))
            return None

    def start(self, *, paused: bool = False) -> bool:
        """Start a run with the entered settings, continuing from the current weights when they fit."""
        if self.state is not RunState.READY:
            return False
        config = self._config_or_refuse()
        if config is None:
            return False
        initial, old = self.latest, self.model_config
        if initial is not None and not trains_as(initial.network, config):
            if (initial.step > 0 or self.imported_from) and not self.confirm(
                    "Change the network?", change_text(initial.network, config, self.imported_from)):
                return False
            initial = None
        elif (initial is not None and initial.step == 0 and old is not None and config.seed != old.seed
              and not self.imported_from):
            initial = None  # untrained weights: the new seed should give its own initial weights
        if initial is None:
            self.run_id += 1
        timeline = self.timeline
        if initial is None or timeline is None or timeline.last_step != initial.step:
            # A new network, or weights the recording does not end with: a new recording.
            timeline = Timeline(self.timeline_budget)
            self._set_timeline(timeline)
        self.model_config = config
        self.last_result = None
        self.progress_run = self.run_id
        self.dismiss_banner("error")  # an old divergence message no longer applies
        self.runner.start(RunRequest(config, self.dataset, initial, self.run_id, self.snapshot_interval(), paused,
                                     timeline, self.pace))
        self.run_started.emit(config)
        self._set_state(RunState.PAUSED if paused else RunState.RUNNING)
        return True

    def toggle_start_pause(self) -> None:
        if self.state is RunState.READY:
            self.start()
        elif self.state in (RunState.RUNNING, RunState.PAUSED):
            self.set_paused(self.state is RunState.RUNNING)

    def set_paused(self, paused: bool) -> None:
        if not (self.state is not None and self.state.is_active):
            return
        self.runner.pause() if paused else self.runner.resume()
        self._set_state(RunState.PAUSED if paused else RunState.RUNNING)

    def step(self) -> None:
        """Train one batch, then stay paused (starts a paused run when idle)."""
        if self.state is RunState.READY:
            if not self.start(paused=True):
                return
        elif self.state is RunState.RUNNING:
            self.set_paused(True)
        if self.state is RunState.PAUSED:
            self.runner.step(1)

    def stop(self) -> None:
        if self.state is not None and self.state.is_active:
            self.runner.stop()
            self._set_state(RunState.STOPPING)

    def reset(self) -> None:
        """Discard the weights and build freshly initialised ones with the entered settings."""
        if self.state is not None and (self.state.is_active or self.state is RunState.STOPPING):
            self._after_stop = self.reset
            self.stop()
            return
        if self.state is not RunState.READY:
            return
        config = self._config_or_refuse()
        if config is None:
            return
        self.run_id += 1
        self._run_job(self.backend.initial_snapshot, (config, self.dataset, self.run_id),
                      lambda snap: self._adopt(snap, config, "Weights reset to fresh random values"),
                      "Could not reset the network")

    # Called by the Runner, in the session's thread.
    def on_snapshot(self, snap: TrainingSnapshot) -> None:
        """Store the newest snapshot (drawing happens on the render timer: bursts collapse)."""
        self.snapshots_received += 1
        if snap.newer_than(self.latest):
            self.latest = snap
            self.gradient_sizes.add(snap)
            if snap.batch_indices is not None or snap.next_batch_indices is not None:
                self.batch_reported.emit(snap)
        if snap.event in (SnapshotEvent.EPOCH_END, SnapshotEvent.TRAIN_END):
            self.snapshot_settled.emit(snap)

    def on_run_error(self, exc: BaseException) -> None:
        if isinstance(exc, TrainingDiverged):
            text = join_sentences(str(exc), "Try a smaller learning rate, then Start again")
        else:
            text = f"Training stopped with an error: {describe_error(exc)}"
        self._show_banner(text, "error")

    def on_run_finished(self, result) -> None:
        self.last_result = result
        if result is not None:
            self.status_message.emit(
                f"Run {'stopped' if result.stopped else 'finished'}: {_test_text(result)}, "
                f"{result.samples_per_second:,.0f} img/s over {result.seconds:.1f} s")
        self._set_state(RunState.READY)
        self.run_finished.emit(result)
        after, self._after_stop = self._after_stop, None
        if after is not None:
            after()

    def set_pace(self, pace: float | None) -> None:
        """Train at ``pace`` batches per second (None: full speed); applies to a run going now too."""
        self.pace = None if pace is None else float(pace)
        if self.state is not None and (self.state.is_active or self.state is RunState.STOPPING):
            self.runner.set_pace(self.pace)
        self.pace_changed.emit(self.pace)

    # -- the moment shown ------------------------------------------------------------------------
    def _set_timeline(self, timeline: Timeline | None) -> None:
        was_live = self.cursor.live
        self.replay.stop()
        self.cursor.reset(timeline)
        self.timeline_changed.emit(timeline)
        if not was_live:
            self.cursor_changed.emit(None)

    def set_cursor(self, step: int | None) -> None:
        """Show the recorded moment at ``step`` (or the nearest before it) everywhere; None or the
        newest step: live. Training goes on either way."""
        step = self.cursor.clamp(step)
        if step == self.cursor.step:
            return
        self.cursor.step = step
        self.cursor_changed.emit(step)

    def settle_cursor(self) -> bool:
        """Emit ``cursor_rested`` if the cursor has come to rest since it last moved (the window
        calls this on every frame); True when it did. A drag or a replay thus starts one neuron
        analysis per rest (or per second while it keeps moving), not one per move."""
        if not self.cursor_rest.due():
            return False
        self.cursor_rested.emit(self.cursor.step)
        return True

    def go_live(self) -> None:
        self.replay.stop()
        self.set_cursor(None)

    def cursor_step(self) -> int | None:
        """The step shown (the newest recorded one when live), None before any recording."""
        if not self.cursor.live:
            return self.cursor.step
        b = self.cursor.bounds()
        return None if b is None else b[1]

    def move_cursor(self, batches: int) -> None:
        """Move the cursor by ``batches`` (arrow keys: ±1)."""
        at = self.cursor_step()
        if at is not None:
            self.set_cursor(at + int(batches))

    def move_cursor_epochs(self, epochs: int) -> None:
        """Move the cursor to the epoch end ``epochs`` away (Page keys: ±1)."""
        at = self.cursor_step()
        if at is not None:
            self.set_cursor(self.cursor.epoch_step(at, int(epochs)))

    def cursor_home(self) -> None:
        b = self.cursor.bounds()
        if b is not None:
            self.set_cursor(b[0])

    def play(self, pace: float | None = None) -> None:
        """Replay the recording from the cursor (from the start when live) at ``pace`` batches/s."""
        b = self.cursor.bounds()
        if b is None:
            return
        if pace is not None:
            self.replay.set_pace(pace)
        start = self.cursor.step if not self.cursor.live else b[0]
        self.replay.start(start)
        self.set_cursor(start)

    def tick_replay(self) -> None:
        """Advance a playing replay (a display-rate timer calls this)."""
        step = self.replay.tick(self.cursor.bounds())
        if step is not None:
            b = self.cursor.bounds()
            # The end of the recording while it is still growing is a moment too, not "live".
            self.cursor.step = min(step, b[1]) if b is not None else None
            self.cursor_changed.emit(self.cursor.step)

    def continue_from_cursor(self) -> bool:
        """Drop the moments after the cursor and train on from it (asks first); True when it started."""
        if self.state is not RunState.READY or self.cursor.live or self.timeline is None:
            return False
        timeline, at = self.timeline, self.cursor.step
        later = int((timeline.steps() > at).sum())
        if later and not self.confirm(
                "Continue from here?",
                f"Training continues from batch {at:,}. The {later:,} recorded moment{'s' if later != 1 else ''} "
                "after it are dropped from the recording (save the run first to keep them)."):
            return False
        self.replay.stop()
        moment = timeline.truncate_after(at)
        self.latest = replace(snapshot_of(moment, self.latest, self.run_id), replayed=False,
                              event=SnapshotEvent.TRAIN_END)
        self.cursor.step = None
        self.cursor_changed.emit(None)
        self.timeline_changed.emit(timeline)
        return self.start()

    def save_run(self, path: str) -> None:
        """Write the recording with its settings and dataset to ``path`` (a run file) in the background."""
        timeline, config = self.timeline, self.model_config
        if timeline is None or config is None or not len(timeline):
            self.error_raised.emit("Nothing to save", "Train the network first: a run is recorded as it trains.")
            return
        name = self.dataset.source if self.dataset is not None else ""
        description = self.dataset.describe() if self.dataset is not None else ""
        save = functools.partial(runfile.save_run, dataset_name=name, dataset_description=description)
        mark = saved_mark(timeline)  # what is written: later batches make it unsaved again

        def saved(written) -> None:
            self._saved_run = mark
            self.status_message.emit(f"Run saved to {written}")

        self.jobs.submit(save, path, timeline, config, on_success=saved,
                         on_error=lambda exc: self.error_raised.emit("Could not save the run", describe_error(exc)))

    def export_metrics(self, path: str) -> None:
        """Write every batch's loss and accuracy and the validation figures as CSV, in the background."""
        timeline = self.timeline
        if timeline is None or timeline.batch_count == 0:
            self.error_raised.emit("Nothing to export", "Train the network first: the metrics are recorded as it trains.")
            return
        self.jobs.submit(runfile.write_metrics_csv, path, timeline,
                         on_success=lambda written: self.status_message.emit(f"Metrics saved to {written}"),
                         on_error=lambda exc: self.error_raised.emit("Could not export the metrics", describe_error(exc)))

    def open_run(self, path: str) -> None:
        """Open a run file: its recording replaces the current one (training can continue from it).

        Over a trained run not saved yet, the session asks first (``confirm``); Cancel changes nothing.
        """
        if self.state is None or not self.state.can_open_dataset:
            return
        opened: list = []  # adopted once the job is over and the state is back, after asking
        self._run_job(runfile.load_run, (path,), opened.append, "Could not open the run",
                      on_finished=lambda _result: opened and self._open_run_if_agreed(opened[0], path))

    def _open_run_if_agreed(self, run, path: str) -> None:
        name = one_line(os.path.basename(str(path)))
        question = open_run_question(self.latest, self.imported_from, self.timeline, self._saved_run,
                                               name, run.timeline.batch_count)
        if question is not None and not self.confirm("Open the run?", question):
            self.status_message.emit(f"Opening {name} cancelled; the current run is unchanged")
            return
        self._on_run_opened(run, path)

    def _on_run_opened(self, run, path: str) -> None:
        self.run_id += 1
        last = run.timeline.latest
        m = run.timeline.metrics()
        ends = np.flatnonzero(m.is_epoch_end)
        per_epoch = int(m.batch[ends[0]]) if ends.size else int(m.batch.max(initial=0))
        snap = replace(snapshot_of(last, None, self.run_id), replayed=False, event=SnapshotEvent.TRAIN_END,
                       epochs=run.config.epochs, batches_per_epoch=per_epoch)
        self.config_adopted.emit(run.config)
        self._adopt(snap, run.config, f"Opened the run {os.path.basename(str(path))} ({run.dataset_name or 'unknown data'}, "
                                      f"{run.timeline.batch_count:,} batches)")
        self._set_timeline(run.timeline)
        self._saved_run = saved_mark(run.timeline)  # it is on disk as it is

    def cancel_after_stop(self) -> None:
        """Forget what was to happen once the run ends (the window is closing)."""
        self._after_stop = None

    def close_analyses(self) -> None:
        """Drop the neuron analyses and dreams still computing, and take no new ones (the window is closing)."""
        self.neurons.close()
        self.ideas.close()

    # -- files ---------------------------------------------------------------------------------
    def _run_job(self, fn, args, on_success, failure_title: str, on_finished=None, on_error=None) -> None:
        """Run ``fn(*args)`` in the background; BUSY meanwhile, a dialog on failure (unless ``on_error``
        handles it), nothing else changes."""
        previous = self.state
        if on_error is None:
            def on_error(exc):
                self.error_raised.emit(failure_title, describe_error(exc))

        def finished(result):
            if self.state is RunState.BUSY:
                self._set_state(previous)
            if on_finished is not None:
                on_finished(result)

        self._set_state(RunState.BUSY)
        self.jobs.submit(fn, *args, on_success=on_success, on_error=on_error, on_finished=finished)

    def load_dataset(self, path: str) -> None:
        """Load a dataset in the background; on failure a dialog, and the current one stays."""
        if self.state is None or not self.state.can_open_dataset:
            return
        self._run_job(self.backend.read_dataset, (path,), self._on_dataset_loaded, "Could not open the dataset",
                      on_finished=self._on_dataset_job_finished)

    def _on_dataset_loaded(self, dataset) -> None:
        self._set_dataset(dataset)
        if dataset.is_synthetic:
            self._show_banner("Training on SYNTHETIC digits, not MNIST.", "warning")
        else:
            self.dismiss_banner("warning")

    def _on_dataset_job_finished(self, _result) -> None:
        # First dataset after a failed start: build the network too. Not from _on_dataset_loaded:
        # the job is still BUSY there (reset would refuse) and its end puts back "no data".
        if self.latest is None and self.dataset is not None and self.state is RunState.NO_DATA:
            self._set_state(RunState.READY)
            self.reset()

    def import_weights(self, path: str, activation: str | None = None) -> None:
        """Replace the network by the weights in ``path``; a bad file changes nothing.

        A weights file that does not store its activations makes the session ask the user
        (``choose``) which one its hidden layers use, then read it again with that answer. A
        network of another architecture than a trained (or imported) one replaces it only when
        the user agrees (``confirm``); Cancel changes nothing.
        """
        if self.state is not RunState.READY:
            return
        question: list[ActivationRequired] = []
        imported: list[ImportedNetwork] = []  # adopted once the job is over, after asking

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ActivationRequired) and activation is None:
                question.append(exc)  # asked once the job is over and the state is READY again
            else:
                self.error_raised.emit("Could not import the weights", describe_error(exc))

        def finished(_result) -> None:
            if question:
                self._ask_activation(path, question[0])
            elif imported:
                self._import_if_agreed(imported[0], path)

        self._run_job(self.backend.read_weights, (path, activation), imported.append, "Could not import the weights",
                      on_finished=finished, on_error=failed)

    def _import_if_agreed(self, imported: ImportedNetwork, path: str) -> None:
        name = one_line(os.path.basename(str(path)))
        question = import_question(self.latest, self.imported_from, imported.network, name)
        if question is not None and not self.confirm("Replace the network?", question):
            self.status_message.emit(f"Import of {name} cancelled; the network is unchanged")
            return
        self._on_weights_imported(imported, path)

    def _ask_activation(self, path: str, exc: ActivationRequired) -> None:
        name = one_line(os.path.basename(str(path)))
        choice = self.choose(f"Which activation does {name} use?",
                             join_sentences(str(exc).split(": ", 1)[-1],
                                            "Which activation do its hidden layers use? (The last layer gets softmax.)"),
                             list(exc.choices))
        if choice is None:
            self.status_message.emit(f"Import of {name} cancelled")
        else:
            self.import_weights(path, choice)

    def _on_weights_imported(self, imported: ImportedNetwork, path: str) -> None:
        net = imported.network
        if net.is_binary and net.digit is None:
            net = self._ask_digit(net, path)
            if net is None:
                return
        self.run_id += 1
        config = config_for(net, self._entered_config())
        # The controls show the architecture (the nearest one training offers, when it has none).
        self.config_adopted.emit(config or nearest_config(net, self._entered_config()))
        snap = TrainingSnapshot.of_network(net, run_id=self.run_id)
        notes = "".join(f"; {note}" for note in imported.notes)
        name = one_line(os.path.basename(str(path)))
        self._adopt(snap, config, f"Imported weights from {path}: {net.describe()}{notes}", imported_from=name)

    def _ask_digit(self, net: Network, path: str) -> Network | None:
        """A yes/no neuron from a file that does not say its digit: the user says which one (None: cancelled)."""
        name = one_line(os.path.basename(str(path)))
        choice = self.choose(f"Which digit does {name} answer for?",
                             f"{name} holds one yes/no neuron ({net.describe()}) but does not say which digit it "
                             "recognises. Which digit does it answer \"is it a ...?\" for? (The views, the test set "
                             "and training use it.)", [str(d) for d in range(10)])
        if choice is None:
            self.status_message.emit(f"Import of {name} cancelled")
            return None
        return Network(net.weights, net.biases, net.activations, int(choice))

    def _entered_config(self) -> TrainingConfig:
        try:
            return self.config_source()
        except ConfigError:
            return TrainingConfig()

    def adopt_snapshot(self, snap: TrainingSnapshot, message: str = "") -> bool:
        """Make ``snap`` the current network between runs (a step applied by hand, or its undo).

        ``snap`` must fit the current architecture (the same config stays). Refused (False)
        unless the state is READY: a run's weights live in the trainer until it ends.
        """
        if self.state is not RunState.READY or self.model_config is None:
            return False
        if self.latest is not None and not snap.network.same_architecture(self.latest.network):
            return False
        self._adopt(snap, self.model_config, message, imported_from=self.imported_from,
                    keep_timeline=self._record_by_hand(snap))
        if self.timeline is not None:
            self.timeline_changed.emit(self.timeline)
        return True

    def _record_by_hand(self, snap: TrainingSnapshot) -> bool:
        """Put a step applied by hand on the timeline (one more moment), or take an undone one off.

        True when the recording could follow (it ends at the current weights); else a new one starts.
        """
        timeline, latest = self.timeline, self.latest
        if timeline is None or latest is None or timeline.last_step != latest.step:
            return False
        if snap.step == latest.step + 1:
            timeline.extend(latest.network, latest.step)  # like a run of one batch continuing it
            loss = snap.metrics.get("loss") if snap.metrics else None
            timeline.append(Batches(first_step=snap.step, epoch=0, first_batch=1,
                                    batches_per_epoch=max(latest.batches_per_epoch, 1),
                                    loss=np.array([np.nan if loss is None else loss], np.float32),
                                    accuracy=np.array([np.nan], np.float32), weight_steps=[snap.step],
                                    weights=[flatten_network(snap.network)]))
            return True
        if snap.step == latest.step - 1 and snap.step in set(timeline.steps().tolist()):
            timeline.truncate_after(snap.step)
            return True
        return False

    def export_weights(self, path: str) -> None:
        """Write the newest weights to ``path`` (format from the extension) in the background."""
        snap = self.latest
        if snap is None:
            return
        self.jobs.submit(self.backend.write_weights, snap, path,
                         on_success=lambda p: self.status_message.emit(f"Weights saved to {p}"),
                         on_error=lambda exc: self.error_raised.emit("Could not export the weights",
                                                                     describe_error(exc)))

    def open_image(self, path: str) -> None:
        """Read an image file in the background (any state); ``image_loaded`` or a dialog follows."""
        name = one_line(os.path.basename(str(path)))
        self.jobs.submit(self.backend.read_image, path,
                         on_success=lambda image: self.image_loaded.emit(image, name),
                         on_error=lambda exc: self.error_raised.emit("Cannot open image", describe_error(exc)))

    # -- the current input ---------------------------------------------------------------------
    def set_input(self, current: CurrentInput | None) -> None:
        """Make ``current`` the network's input (None clears it); views follow ``input_changed``."""
        old = self.input
        if current is None and old is None:
            return
        if (current is not None and current.same_pixels(old) and current.label == old.label
                and current.name == old.name):
            return
        self.input = current
        self.input_changed.emit(current)

    def show_test_digit(self, index: int) -> None:
        """Make test image ``index`` (wrapped around) the input, with its true label."""
        n = 0 if self.dataset is None else len(self.dataset.x_test)
        if not n:
            return
        i = int(index) % n
        self.set_input(CurrentInput(self.dataset.x_test[i], InputSource.TEST_DIGIT,
                                    int(self.dataset.y_test[i]), f"Test digit #{i + 1:,}", i))

    def analysis(self, snap: TrainingSnapshot | None = None, current: CurrentInput | None = None
                 ) -> InputAnalysis | None:
        """The analysis of ``current`` (default: the input) under ``snap`` (default: the moment shown), shared."""
        snap = self.shown if snap is None else snap
        current = self.input if current is None else current
        if snap is None or current is None:
            return None
        return self.analyses.analyze(snap.network, current.vector)

    def analyze(self, network: Network, vector) -> InputAnalysis:
        """The shared analysis of any (network, vector) pair, e.g. a test digit the browser shows."""
        return self.analyses.analyze(network, vector)


def _test_text(result) -> str:
    """'test accuracy 93.1%, loss 0.241', or what stands in when Stop skipped a big network's test pass."""
    if np.isnan(result.test_accuracy):
        return "no test-set pass (Stop skips it for a network this big)"
    balanced, snap = getattr(result, "test_balanced_accuracy", float("nan")), getattr(result, "snapshot", None)
    if snap is not None and snap.network.is_binary and not np.isnan(balanced):
        # "no" to every image scores 90% plain accuracy: the balanced figure is the one to read
        return (f"test balanced accuracy {balanced:.1%} (plain {result.test_accuracy:.1%}), "
                f"loss {result.test_loss:.3f}")
    return f"test accuracy {result.test_accuracy:.1%}, loss {result.test_loss:.3f}"
