"""Fixtures for the training tests: tiny random datasets, a snapshot recorder, real MNIST."""

from __future__ import annotations

import gzip
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from visualizer.data.dataset import Dataset


def make_dataset(n_train: int = 100, n_test: int = 40, seed: int = 0) -> Dataset:
    """Random images in [0, 1] whose label depends on the image, so the network can learn a bit."""
    rng = np.random.default_rng(seed)
    x = rng.random((n_train + n_test, 784), dtype=np.float32)
    y = (x[:, :10].argmax(axis=1)).astype(np.uint8)
    return Dataset(x[:n_train], y[:n_train], x[n_train:], y[n_train:], source="random", kind="synthetic")


@pytest.fixture
def tiny_dataset() -> Dataset:
    return make_dataset()


class Recorder:
    """An ``on_snapshot`` that keeps every snapshot and lets a test wait for one."""

    def __init__(self):
        self.snapshots = []
        self._cond = threading.Condition()

    def __call__(self, snapshot) -> None:
        with self._cond:
            self.snapshots.append(snapshot)
            self._cond.notify_all()

    @property
    def latest(self):
        return self.snapshots[-1] if self.snapshots else None

    def wait_for(self, predicate, timeout: float = 30.0):
        """Return the first snapshot satisfying ``predicate`` (waiting up to ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for s in self.snapshots:
                    if predicate(s):
                        return s
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for a snapshot")
                self._cond.wait(left)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


class RunInThread:
    """Run ``trainer.run`` in a background thread, like the GUI worker does."""

    def __init__(self, trainer, on_snapshot, control):
        self.result = None
        self.error = None
        self._thread = threading.Thread(target=self._target, args=(trainer, on_snapshot, control), daemon=True)
        self._thread.start()

    def _target(self, trainer, on_snapshot, control):
        try:
            self.result = trainer.run(on_snapshot, control)
        except BaseException as exc:  # handed back to the test
            self.error = exc

    def join(self, timeout: float = 60.0):
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "training did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def _read_idx(path: Path) -> np.ndarray:
    data = gzip.decompress(path.read_bytes())
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(folder: Path) -> Dataset:
    """The real MNIST via the project's loader when it exists, else a minimal IDX reader."""
    try:
        from visualizer.data.sources import load_dataset
    except ImportError:
        load_dataset = None
    if load_dataset is not None:
        return load_dataset(folder)
    x = [_read_idx(folder / f"{p}-images-idx3-ubyte.gz").reshape(-1, 784) for p in ("train", "t10k")]
    y = [_read_idx(folder / f"{p}-labels-idx1-ubyte.gz") for p in ("train", "t10k")]
    return Dataset(
        (x[0] / 255.0).astype(np.float32), y[0], (x[1] / 255.0).astype(np.float32), y[1], source="MNIST", kind="idx"
    )


@pytest.fixture(scope="session")
def mnist_dataset(mnist_dir) -> Dataset:
    return load_mnist(mnist_dir)


@pytest.fixture(scope="session")
def make_data():
    """``make_data(n_train, n_test, seed)`` -> a random Dataset."""
    return make_dataset


@pytest.fixture
def run_in_thread():
    """``run_in_thread(trainer, on_snapshot, control)`` -> handle with ``.join()``."""
    return RunInThread
