"""Fakes for the session tests: a Runner, Jobs and a Backend with no Qt, no threads, no TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from visualizer.core.network import Network
from visualizer.core.snapshot import SnapshotEvent, TrainingSnapshot
from visualizer.core.weights_format import ImportedNetwork
from visualizer.session import Session


def tiny_network(seed: int = 0, hidden=(4,)) -> Network:
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 10)
    return Network.from_arrays([rng.normal(0, 0.1, (a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)],
                               [np.zeros(b) for b in sizes[1:]])


@dataclass
class FakeDataset:
    x_test: np.ndarray = field(default_factory=lambda: np.random.default_rng(1).random((5, 784), dtype=np.float32))
    y_test: np.ndarray = field(default_factory=lambda: np.arange(5) % 10)
    x_train: np.ndarray = field(default_factory=lambda: np.random.default_rng(2).random((8, 784), dtype=np.float32))
    y_train: np.ndarray = field(default_factory=lambda: np.arange(8) % 10)
    is_synthetic: bool = False
    source: str = "fake digits"

    def describe(self) -> str:
        return f"{self.source}: {len(self.x_test)} test images"


class FakeRunner:
    """Records what the session asks; the test plays the training thread with finish()/snapshot()."""

    def __init__(self):
        self.calls: list = []
        self.requests: list = []
        self.session: Session | None = None

    def start(self, request):
        self.requests.append(request)
        self.calls.append("start")

    def pause(self):
        self.calls.append("pause")

    def resume(self):
        self.calls.append("resume")

    def step(self, n=1):
        self.calls.append(("step", n))

    def stop(self):
        self.calls.append("stop")

    def set_pace(self, pace):
        self.calls.append(("pace", pace))

    # the training thread's side
    def snapshot(self, step: int, event=SnapshotEvent.BATCH, epochs: int = 1):
        req = self.requests[-1]
        net = req.initial.network if req.initial is not None else tiny_network(req.run_id)
        snap = TrainingSnapshot(run_id=req.run_id, step=step, epoch=0, epochs=epochs, batch=step,
                                batches_per_epoch=10, network=net, event=event)
        self.session.on_snapshot(snap)
        return snap

    def finish(self, stopped=False, error: BaseException | None = None):
        if error is not None:
            self.session.on_run_error(error)
        result = None if error is not None else type("Result", (), dict(
            stopped=stopped, test_accuracy=0.5, test_loss=1.0, samples_per_second=100.0, seconds=1.0))()
        self.session.on_run_finished(result)


class FakeJobs:
    """Runs each job at once, in the caller's thread (or holds it when ``hold`` is set)."""

    def __init__(self):
        self.hold = False
        self.held: list = []
        self.submitted: list = []

    def submit(self, fn, *args, on_success, on_error, on_finished=None, report=None):
        self.submitted.append(getattr(fn, "__name__", str(fn)))
        job = (fn, args, on_success, on_error, on_finished, report)
        if self.hold:
            self.held.append(job)
        else:
            self._run(job)

    def release(self):
        while self.held:
            self._run(self.held.pop(0))

    @staticmethod
    def _run(job):
        fn, args, on_success, on_error, on_finished, report = job
        try:
            result = fn(*args, report=report) if report is not None else fn(*args)
        except Exception as exc:
            on_error(exc)
            result = None
        else:
            on_success(result)
        if on_finished is not None:
            on_finished(result)


class FakeBackend:
    def __init__(self):
        self.fail_startup: BaseException | None = None
        self.dataset = FakeDataset()
        self.imported = tiny_network(7, hidden=(3, 3))
        self.weights_read: list = []
        self.images: dict = {}

    def startup(self, data_spec, dataset, config, run_id, report):
        report("Loading…")
        if self.fail_startup is not None:
            raise self.fail_startup
        return (dataset or self.dataset), None, self.initial_snapshot(config, dataset, run_id)

    def initial_snapshot(self, config, dataset, run_id):
        return TrainingSnapshot.of_network(tiny_network(run_id, hidden=config.hidden), run_id=run_id)

    def read_dataset(self, path):
        if "bad" in path:
            from visualizer.core.errors import DataError

            raise DataError(f"cannot read {path}: not MNIST")
        return FakeDataset()

    def read_weights(self, path, activation=None):
        """``bad…`` is corrupt; ``raw…`` stores no activations (it must be told them); ``mixed…`` holds
        relu then tanh layers, which training cannot continue."""
        from visualizer.core.errors import ActivationRequired, WeightsError

        self.weights_read.append((path, activation))
        if "bad" in path:
            raise WeightsError(f"Could not read weights from {path}: corrupt")
        if "raw" in path:
            if activation is None:
                raise ActivationRequired(f"Could not read weights from {path}: a Keras weights file stores no "
                                         "activations", path, ("relu", "sigmoid", "tanh", "linear"))
            net = self.imported
            return ImportedNetwork(Network.from_arrays(net.weights, net.biases, activation))
        if "mixed" in path:
            net = self.imported
            return ImportedNetwork(Network.from_arrays(net.weights, net.biases, ("relu", "tanh")),
                                   ("the last layer gives logits: softmax is applied",))
        return ImportedNetwork(self.imported)

    def write_weights(self, snapshot, path):
        return path

    def read_image(self, path):
        return self.images[path]
