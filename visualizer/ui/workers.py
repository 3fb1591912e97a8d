"""The Qt side of background work: the session's Runner, Jobs and Backend on worker QThreads.

Each worker is a QObject moved to its own QThread. This is superqt's ``new_worker_qthread``
recipe with one change: the owner keeps Python references to the worker and the thread until
``QThread.finished`` and then waits on the thread before dropping them, so no wrapper is ever used
after ``deleteLater`` and no QThread is destroyed while running. superqt's ``create_worker`` (a
QRunnable on the global pool) is not used for these: its workers cannot be joined one by one on
close, and a training run must be (the window waits for it to stop after its batch).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QObject, QThread, Signal, Slot

from visualizer.core.config import TrainingConfig
from visualizer.core.errors import NnvizError
from visualizer.session.messages import dataset_failed_message, offline_message

log = logging.getLogger(__name__)


def _return_to_gui_thread(obj: QObject) -> None:
    """Move ``obj`` back to the GUI thread (a thread may push its own objects away).

    Two reasons: Python can then delete it there, and signals emitted afterwards reach plain
    callables (lambdas, functions) in the GUI thread. PySide uses the *sender* as the context of
    such connections, so while the worker lives in its thread a lambda slot would run there.
    Bound methods of GUI objects are queued to the GUI thread either way.
    """
    app = QCoreApplication.instance()
    if obj.thread() is not app.thread():
        obj.moveToThread(app.thread())


class TrainingWorker(QObject):
    """Runs ``Trainer.run`` in a worker thread and reports through signals only.

    Parameters
    ----------
    make_trainer
        Called in the worker thread (building a Keras model is TensorFlow work, so it must not
        happen in the GUI thread); returns a ``visualizer.training.trainer.Trainer``.
    control
        The ``TrainingControl`` the GUI uses to pause, resume, step and stop.
    """

    started = Signal()
    snapshot_ready = Signal(object)  # TrainingSnapshot, emitted in the worker thread
    errored = Signal(object)  # the exception (NnvizError subclasses carry a readable message)
    finished = Signal(object)  # TrainResult, or None when the run failed

    def __init__(self, make_trainer: Callable[[], object], control):
        super().__init__()
        self._make_trainer = make_trainer
        self.control = control

    @Slot()
    def run(self) -> None:
        self.started.emit()
        result = trainer = None
        try:
            trainer = self._make_trainer()
            # The callback runs in the training thread: emit and return, never wait on the GUI.
            result = trainer.run(self.snapshot_ready.emit, self.control)
        except Exception as exc:
            if trainer is not None:
                # TrainingDiverged restores the last good weights: show those, not the NaNs.
                try:
                    self.snapshot_ready.emit(trainer.current_snapshot())
                except Exception:
                    log.debug("no snapshot after failure", exc_info=True)
            _return_to_gui_thread(self)
            self.errored.emit(exc)
        finally:
            # Not trainer.release() here: in one fresh-clone test run the worker hung inside its
            # AssignVariableOp at the end of a run (cause not found); a finished run's memory waits
            # for the garbage collector instead, which is slower but never hangs.
            del trainer
            _return_to_gui_thread(self)
            self.finished.emit(result)


class Task(QObject):
    """Calls ``fn(*args, **kwargs)`` in a worker thread (TensorFlow import, dataset load, export...).

    With ``progress=True`` the function also receives ``report=<callable(str)>`` to describe what
    it is doing; each message arrives in the GUI as ``progressed``.
    """

    progressed = Signal(str)
    succeeded = Signal(object)
    errored = Signal(object)
    finished = Signal(object)  # the result, or None after an error

    def __init__(self, fn: Callable, *args, progress: bool = False, **kwargs):
        super().__init__()
        self._call = (fn, args, dict(kwargs, report=self.progressed.emit) if progress else kwargs)

    @Slot()
    def run(self) -> None:
        fn, args, kwargs = self._call
        result = error = None
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            error = exc
        _return_to_gui_thread(self)
        if error is not None:
            self.errored.emit(error)
        else:
            self.succeeded.emit(result)
        self.finished.emit(result)


class WorkerSet(QObject):
    """Owns running workers and their threads; stops and joins them on demand (closeEvent)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._running: dict[QThread, QObject] = {}

    def start(self, worker: QObject) -> QThread:
        """Move ``worker`` (with ``run`` slot and ``finished`` signal) to a new thread and start it."""
        thread = QThread()
        thread.setObjectName(f"nnviz-{type(worker).__name__}")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.finished.connect(thread.quit)
        thread.finished.connect(lambda t=thread: self._on_thread_finished(t))
        self._running[thread] = worker
        thread.start()
        return thread

    def _on_thread_finished(self, thread: QThread) -> None:
        # `finished` is emitted just before the thread really ends: join, then let Python free both.
        thread.wait()
        self._running.pop(thread, None)

    def __len__(self) -> int:
        return len(self._running)

    def wait_all(self, timeout_ms: int) -> bool:
        """Quit and join every thread, sharing ``timeout_ms``; True when all have ended."""
        deadline = QDeadlineTimer(timeout_ms)
        for thread in list(self._running):
            thread.quit()
            if thread.wait(deadline):
                self._running.pop(thread, None)
        return not self._running


# -- The session's Runner, Jobs and Backend ------------------------------------------------------

class QtRunner(QObject):
    """:class:`visualizer.session.Runner` on a worker thread: one ``TrainingWorker`` per run.

    The worker's signals arrive here in the GUI thread and are handed to the session.
    """

    def __init__(self, workers: WorkerSet, parent: QObject | None = None):
        super().__init__(parent)
        self._workers = workers
        self._control = None
        self.session = None  # set by the window: receives on_snapshot / on_run_error / on_run_finished

    def start(self, request) -> None:
        from visualizer.training.trainer import TrainingControl  # no TensorFlow at import time

        control = self._control = TrainingControl()
        control.set_pace(request.pace)
        if request.paused:
            control.pause()  # now, so a step() issued before the thread starts is not ignored

        def make_trainer():
            from visualizer.training.trainer import Trainer

            return Trainer(request.config, request.dataset, initial=request.initial, run_id=request.run_id,
                           snapshot_interval=request.snapshot_interval, start_paused=request.paused,
                           timeline=request.timeline)

        worker = TrainingWorker(make_trainer, control)
        worker.snapshot_ready.connect(self._on_snapshot_ready)
        worker.errored.connect(self._on_errored)
        worker.finished.connect(self._on_finished)
        self._workers.start(worker)

    def pause(self) -> None:
        if self._control is not None:
            self._control.pause()

    def resume(self) -> None:
        if self._control is not None:
            self._control.resume()

    def step(self, n: int = 1) -> None:
        if self._control is not None:
            self._control.step(n)

    def stop(self) -> None:
        if self._control is not None:
            self._control.stop()

    def abandon(self) -> None:
        """Stop without the final test-set evaluation (the window is closing)."""
        if self._control is not None:
            self._control.abandon()

    def set_pace(self, pace) -> None:
        if self._control is not None:
            self._control.set_pace(pace)

    @Slot(object)
    def _on_snapshot_ready(self, snap) -> None:
        self.session.on_snapshot(snap)

    @Slot(object)
    def _on_errored(self, exc) -> None:
        self.session.on_run_error(exc)

    @Slot(object)
    def _on_finished(self, result) -> None:
        self._control = None
        self.session.on_run_finished(result)


class QtJobs:
    """:class:`visualizer.session.Jobs` as one ``Task`` on its own thread per job."""

    def __init__(self, workers: WorkerSet):
        self._workers = workers

    def submit(self, fn, *args, on_success, on_error, on_finished=None, report=None) -> None:
        task = Task(fn, *args, progress=report is not None)
        if report is not None:
            task.progressed.connect(report)
        task.succeeded.connect(on_success)
        task.errored.connect(on_error)
        if on_finished is not None:
            task.finished.connect(on_finished)
        self._workers.start(task)


class Backend:
    """:class:`visualizer.session.Backend`: the TensorFlow and data work, called on worker threads."""

    @staticmethod
    def initial_snapshot(config: TrainingConfig, dataset, run_id: int):
        """Freshly initialised weights for ``config`` (TensorFlow work: call in a worker thread)."""
        from visualizer.training.trainer import Trainer

        trainer = Trainer(config, dataset, run_id=run_id)
        try:
            return trainer.current_snapshot()
        finally:
            trainer.release()  # its tensors of the whole dataset are not needed

    @staticmethod
    def startup(data, dataset, config: TrainingConfig, run_id: int, report):
        """Start-up: TensorFlow, then the dataset, then the first weights."""
        from visualizer.training.tfenv import import_keras

        report("Loading TensorFlow…")
        import_keras()
        # TensorFlow's modules live as long as the process. Left to the cyclic GC, every full
        # collection re-scans them (30-180 ms, holding the GIL, so the window froze mid-run):
        # collect once now, then move everything alive out of its sight.
        gc.collect()
        gc.freeze()
        warning = None
        if dataset is None:
            report("Loading dataset…")
            from visualizer.data.sources import load_dataset, load_dataset_or_synthetic

            try:
                dataset, reason = load_dataset_or_synthetic(data)
                if reason:  # no source given and Keras' MNIST unavailable (offline)
                    warning = offline_message(reason)
            except NnvizError as exc:  # an explicit source that is unusable: say so, keep the app usable
                dataset, warning = load_dataset("synthetic"), dataset_failed_message(data, exc)
        report("Initialising the network…")
        return dataset, warning, Backend.initial_snapshot(config, dataset, run_id)

    @staticmethod
    def read_dataset(path: str):
        """File ▸ Open dataset…: raises DataError with a readable message."""
        from visualizer.data.sources import load_dataset

        return load_dataset(path)

    @staticmethod
    def read_weights(path: str, activation: str | None = None):
        """File ▸ Import weights…: an ImportedNetwork; raises WeightsError (ActivationRequired when the
        file stores no activations and ``activation`` is None)."""
        from visualizer.training.export import import_model

        return import_model(path, activation=activation)

    @staticmethod
    def write_weights(snapshot, path: str):
        """File ▸ Export weights… (format from the extension); returns the path."""
        from visualizer.training.export import export_weights

        export_weights(snapshot, path)
        return path

    @staticmethod
    def read_image(path: str):
        """Open image… or a file dropped on the pad: a 2-D grayscale array; raises DataError."""
        from visualizer.data.images import load_image

        return load_image(path)
