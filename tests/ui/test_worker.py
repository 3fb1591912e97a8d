"""The worker thread: signals arrive in the GUI thread, failures are reported, threads are joined."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QObject

from visualizer.core.config import TrainingConfig
from visualizer.core.errors import DataError, TrainingDiverged
from visualizer.data.dataset import Dataset
from visualizer.ui.workers import Task, TrainingWorker, WorkerSet
from visualizer.core.snapshot import SnapshotEvent


def tiny_dataset(n: int = 200, seed: int = 0, poisoned: bool = False) -> Dataset:
    """Random images; ``poisoned`` puts an infinite pixel in every other image (loss becomes NaN)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n + 50, 784), dtype=np.float32)
    if poisoned:
        x[:n:2, 0] = np.inf
    y = rng.integers(0, 10, n + 50).astype(np.uint8)
    return Dataset(x[:n], y[:n], x[n:], y[n:], source="random test data", kind="synthetic")


class Recorder(QObject):
    """Bound-method slots on a GUI-thread QObject, noting which thread each call ran in."""

    def __init__(self):
        super().__init__()
        self.calls: list[tuple[str, object, str]] = []

    def record(self, name):
        return lambda value=None: self.calls.append((name, value, threading.current_thread().name))

    def on_snapshot(self, snap):
        self.calls.append(("snapshot", snap, threading.current_thread().name))

    def names(self):
        return [c[0] for c in self.calls]


@pytest.fixture
def workers(qtbot):
    ws = WorkerSet()
    yield ws
    assert ws.wait_all(10_000), "a worker thread did not end"


def make_training(config, dataset, control, **kwargs):
    from visualizer.training.trainer import Trainer

    return TrainingWorker(lambda: Trainer(config, dataset, **kwargs), control)


def test_training_worker_reports_in_gui_thread_and_finishes(qtbot, workers):
    from visualizer.training.trainer import TrainingControl

    rec = Recorder()
    worker = make_training(TrainingConfig(epochs=2, batch_size=50), tiny_dataset(), TrainingControl())
    worker.started.connect(rec.record("started"))
    worker.snapshot_ready.connect(rec.on_snapshot)
    worker.errored.connect(rec.record("errored"))
    with qtbot.waitSignal(worker.finished, timeout=60_000) as blocker:
        workers.start(worker)
    qtbot.waitUntil(lambda: len(workers) == 0, timeout=5000)
    result = blocker.args[0]
    assert result is not None and not result.stopped and result.batches == 8
    names = rec.names()
    assert "errored" not in names and names.count("snapshot") >= 3
    snaps = [c[1] for c in rec.calls if c[0] == "snapshot"]
    assert snaps[0].event is SnapshotEvent.START and snaps[-1].event is SnapshotEvent.TRAIN_END
    assert {c[2] for c in rec.calls if c[0] == "snapshot"} == {"MainThread"}, "slots must run in the GUI thread"


def test_pause_step_stop_through_the_control(qtbot, workers):
    from visualizer.training.trainer import TrainingControl

    control = TrainingControl()
    control.pause()
    rec = Recorder()
    worker = make_training(TrainingConfig(epochs=50, batch_size=10), tiny_dataset(), control)
    worker.snapshot_ready.connect(rec.on_snapshot)
    workers.start(worker)
    qtbot.waitUntil(lambda: "snapshot" in rec.names(), timeout=60_000)  # the "start" snapshot
    control.step(3)
    qtbot.waitUntil(lambda: rec.calls[-1][1].step == 3, timeout=10_000)
    assert control.paused
    with qtbot.waitSignal(worker.finished, timeout=10_000) as blocker:
        control.stop()
    assert blocker.args[0].stopped and blocker.args[0].batches == 3


def test_failure_is_reported_and_finished_still_emitted(qtbot, workers):
    def broken():
        raise DataError("the training set is empty")

    rec = Recorder()
    worker = TrainingWorker(broken, control=None)
    worker.errored.connect(rec.record("errored"))
    with qtbot.waitSignal(worker.finished, timeout=10_000) as blocker:
        workers.start(worker)
    assert blocker.args == [None]
    assert rec.names() == ["errored"] and isinstance(rec.calls[0][1], DataError)


def test_divergence_reports_error_and_keeps_finite_weights(qtbot, workers):
    from visualizer.training.trainer import TrainingControl

    rec = Recorder()
    worker = make_training(TrainingConfig(batch_size=1), tiny_dataset(poisoned=True), TrainingControl())
    worker.snapshot_ready.connect(rec.on_snapshot)
    worker.errored.connect(rec.record("errored"))
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        workers.start(worker)
    errors = [c[1] for c in rec.calls if c[0] == "errored"]
    assert len(errors) == 1 and isinstance(errors[0], TrainingDiverged)
    last = [c[1] for c in rec.calls if c[0] == "snapshot"][-1]
    assert all(np.isfinite(w).all() for w in last.weights)


def test_task_callbacks_run_in_gui_thread(qtbot, workers):
    seen = []
    task = Task(lambda a, b, report: (report("working"), a + b)[1], 2, 3, progress=True)
    task.progressed.connect(lambda text: seen.append(("progress", text)))
    task.succeeded.connect(lambda value: seen.append(("ok", value, threading.current_thread().name)))
    with qtbot.waitSignal(task.finished, timeout=5000):
        workers.start(task)
    assert ("ok", 5, "MainThread") in seen


def test_task_error_is_delivered(qtbot, workers):
    def fail():
        raise ValueError("bad file")

    errors = []
    task = Task(fail)
    task.errored.connect(lambda exc: errors.append((exc, threading.current_thread().name)))
    with qtbot.waitSignal(task.finished, timeout=5000) as blocker:
        workers.start(task)
    assert blocker.args == [None]
    assert isinstance(errors[0][0], ValueError) and errors[0][1] == "MainThread"
