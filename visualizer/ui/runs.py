"""The window's run-state machine: start, pause, step, stop, reset, and what each state allows.

States: loading -> ready <-> running/paused -> stopping -> ready; busy while a file task runs;
no data when loading failed. ``RunsMixin`` holds the transitions as MainWindow methods (tests and
benchmarks call them on the window); the window provides the widgets and the worker set.
"""

from __future__ import annotations

from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ConfigError, NnvizError, TrainingDiverged
from visualizer.ui.worker import TrainingWorker, initial_snapshot, join_sentences

LOADING, READY, RUNNING, PAUSED, STOPPING, BUSY, NO_DATA = (
    "loading", "ready", "running", "paused", "stopping", "busy", "no data")
STATE_TEXT = {LOADING: "Loading…", READY: "Ready", RUNNING: "Training", PAUSED: "Paused",
              STOPPING: "Stopping…", BUSY: "Working…", NO_DATA: "No dataset"}


def describe_error(exc: BaseException) -> str:
    """One sentence for a dialog: our own errors carry it, anything else gets its type named."""
    if isinstance(exc, NnvizError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def shape_text(config: TrainingConfig) -> str:
    """'784-16-16-10 relu'."""
    return "-".join(map(str, config.layer_sizes)) + f" {config.activation}"


class RunsMixin:
    """Training runs for MainWindow. Uses the window's ``controls``, ``curves``, ``banner``, ``settings``,
    ``dataset``, ``_workers``, ``_latest``, ``_confirm`` and ``_run_task``."""

    _state: str | None = None
    _control = None  # TrainingControl of the run in progress
    _model_config: TrainingConfig | None = None  # the config the current weights belong to
    _run_id = 0
    _after_stop = None  # callable to run once the training thread has finished
    _progress_run = None  # run_id whose snapshots drive the progress bar
    last_result = None

    @property
    def state(self) -> str:
        return self._state

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
                f"The network is now {shape_text(old)}; you asked for {shape_text(config)}.\n\n"
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
        self.curves.set_epochs(config.epochs)  # the epoch axis spans this run from its start
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

    def _on_training_errored(self, exc) -> None:
        if isinstance(exc, TrainingDiverged):
            text = join_sentences(str(exc), "Try a smaller learning rate, then Start again")
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

    def _set_state(self, state: str) -> None:
        self._state = state
        self.actions.set_state(state, has_data=self.dataset is not None, has_weights=self._latest is not None)
        self.controls.set_editable(state in (READY, BUSY, LOADING))
        self.controls.set_state_text(STATE_TEXT[state])
        self.state_changed.emit(state)
