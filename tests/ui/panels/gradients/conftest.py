"""Fixtures of the gradient views' tests: a ready window on digits a network learns in a few batches."""

from __future__ import annotations

import numpy as np
import pytest

from visualizer.data.dataset import Dataset
from visualizer.session import RunState
from visualizer.ui.window import MainWindow


def bar_digits(n: int = 160, seed: int = 0) -> Dataset:
    """A bright bar whose row gives the label, on faint noise (learnable in a few batches)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n + 60).astype(np.uint8)
    x = rng.random((n + 60, 28, 28), dtype=np.float32) * 0.2
    for i, label in enumerate(y):
        x[i, 4 + 2 * int(label):6 + 2 * int(label), 6:22] = 1.0
    x = x.reshape(-1, 784)
    return Dataset(x[:n], y[:n], x[n:], y[n:], source="bar digits", kind="synthetic")


@pytest.fixture
def window(qtbot):
    w = MainWindow(dataset=bar_digits())
    qtbot.addWidget(w)
    w.show()
    w.resize(1280, 800)
    qtbot.waitUntil(lambda: w.state is RunState.READY, timeout=60_000)
    w.controls.learning_rate.setValue(0.05)  # the step's learning rate: the chosen one
    return w
