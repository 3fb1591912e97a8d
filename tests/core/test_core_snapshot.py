"""TrainingSnapshot: latest-wins ordering and the counters the views display."""

import numpy as np
import pytest

from visualizer.core.snapshot import snapshot_from_arrays
from visualizer.core.snapshot import SnapshotEvent


def snap(run_id=1, step=0, event=SnapshotEvent.BATCH, **kw):
    weights = [np.zeros((784, 16)), np.zeros((16, 16)), np.zeros((16, 10))]
    biases = [np.zeros(16), np.zeros(16), np.zeros(10)]
    return snapshot_from_arrays(weights, biases, run_id=run_id, step=step, event=event, **kw)


def test_newer_than_orders_by_run_then_step():
    first = snap(step=10)
    later = snap(step=11)
    assert later.newer_than(first) and not first.newer_than(later)
    assert first.newer_than(None)
    assert not first.newer_than(first)
    new_run = snap(run_id=2, step=0)
    assert new_run.newer_than(later) and not later.newer_than(new_run)
    # The epoch-end snapshot of the same step (it carries validation metrics) replaces the batch one.
    assert snap(step=11, event=SnapshotEvent.EPOCH_END).newer_than(later)


def test_progress_and_epoch_float():
    s = snap(epoch=1, epochs=4, batch=50, batches_per_epoch=100)
    assert s.progress == pytest.approx(1.5 / 4)
    assert s.epoch_float == pytest.approx(1.5)
    assert snap(epoch=4, epochs=4, batch=100, batches_per_epoch=100).progress == 1.0
    assert snap().progress == 0.0  # imported weights: no run, no division by zero
    assert snap().epoch_float == 0.0


def test_layer_sizes_and_private_copies():
    weights = [np.ones((784, 16)), np.ones((16, 16)), np.ones((16, 10))]
    biases = [np.zeros(16), np.zeros(16), np.zeros(10)]
    s = snapshot_from_arrays(weights, biases)
    assert s.layer_sizes == (784, 16, 16, 10)
    assert all(w.dtype == np.float32 for w in s.weights)
    weights[0][0, 0] = 5.0  # the trainer keeps updating its buffers
    assert s.weights[0][0, 0] == 1.0
