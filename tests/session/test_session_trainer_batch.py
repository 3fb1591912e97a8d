"""'This batch' shows the very batch the trainer named; the session keeps the snapshots' gradient sizes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from visualizer.core.backprop import batch_gradient
from visualizer.core.snapshot import SnapshotEvent
from visualizer.session.batches import TrainingBatches
from visualizer.session.gradient_sizes import GradientSizes

from session_fakes import FakeDataset


def _session_with_data(make_session, fakes, n=70):
    _, _, backend = fakes
    rng = np.random.default_rng(3)
    backend.dataset = FakeDataset()
    backend.dataset.x_train = rng.random((n, 784), dtype=np.float32)
    backend.dataset.y_train = rng.integers(0, 10, n)
    session = make_session()
    session.start_loading()
    return session, backend.dataset


def _rows(*values):
    rows = np.array(values, np.int32)
    rows.flags.writeable = False
    return rows


def test_this_batch_lists_the_rows_the_step_snapshot_carried(make_session, fakes):
    session, data = _session_with_data(make_session, fakes)
    batches = TrainingBatches(session)
    changes = []
    batches.changed.connect(lambda: changes.append(batches.trainer))
    start = replace(session.latest, event=SnapshotEvent.START, next_batch_indices=_rows(5, 1, 9))
    session.on_snapshot(start)
    assert batches.batch().title == "The batch Step trains next"
    np.testing.assert_array_equal(batches.batch().indices, [5, 1, 9])

    stepped = replace(session.latest, step=1, event=SnapshotEvent.BATCH, batch_indices=_rows(5, 1, 9),
                      next_batch_indices=_rows(60, 2, 33, 4))
    session.on_snapshot(stepped)
    batch = batches.batch()
    np.testing.assert_array_equal(batch.indices, [5, 1, 9])  # what it ran, not what comes next
    np.testing.assert_array_equal(batch.images, data.x_train[[5, 1, 9]])
    np.testing.assert_array_equal(batch.labels, data.y_train[[5, 1, 9]])
    expected = batch_gradient(stepped.network, data.x_train[[5, 1, 9]], data.y_train[[5, 1, 9]])
    np.testing.assert_allclose(batch.gradient.losses, expected.losses)
    assert batch.title == "The batch step 1 trained on" and "Exactly the training images" in batches.describe()
    assert len(changes) == 2
    batches.choose(7)
    assert batches.chosen == 2, "clamped to the trainer's batch of 3"

    batches.step(+1)  # Next leaves the trainer's batch for the fixed shuffle's
    assert batches.trainer is None and batches.batch().title == "Batch 1 of 3" and len(batches.batch()) == 32


def test_rows_outside_the_training_set_are_ignored(make_session, fakes):
    session, _ = _session_with_data(make_session, fakes, n=40)
    batches = TrainingBatches(session)
    session.on_snapshot(replace(session.latest, step=1, batch_indices=_rows(3, 40)))
    assert batches.trainer is None and batches.batch().title == "Batch 1 of 2"


def _snap(session, step, norms, ratios=None):
    metrics = {"grad_norms": norms} if ratios is None else {"grad_norms": norms, "update_ratios": ratios}
    return replace(session.latest, step=step, epoch=0, epochs=1, batch=step, batches_per_epoch=10, metrics=metrics)


def test_the_session_keeps_each_layers_gradient_size(make_session, fakes):
    session, _ = _session_with_data(make_session, fakes)
    assert session.gradient_sizes.view() is None
    for step in (1, 2, 4):
        session.on_snapshot(_snap(session, step, (1.0 * step, 0.1, 0.01), (1e-3, 1e-3, 1e-3)))
    view = session.gradient_sizes.view()
    assert view.layers == 3 and list(view.x) == pytest.approx([0.1, 0.2, 0.4])
    np.testing.assert_allclose(view.norms[:, 0], [1, 2, 4])
    session.on_snapshot(replace(session.latest, run_id=session.latest.run_id + 1, step=3, epoch=0, epochs=1,
                                batch=3, batches_per_epoch=10, metrics={"grad_norms": (5.0, 5.0, 5.0)}))
    assert list(session.gradient_sizes.view().x) == pytest.approx([0.1, 0.2, 0.3]), "continued from step 3"


def test_gradient_sizes_stay_bounded_and_span_the_run(make_session, fakes):
    session, _ = _session_with_data(make_session, fakes)
    sizes = GradientSizes(max_points=8)
    for step in range(1, 101):
        sizes.add(_snap(session, step, (float(step),)))
    view = sizes.view()
    assert len(view) <= 8 and view.x[0] == pytest.approx(0.1) and view.x[-1] > 8
    sizes.add(_snap(session, 101, (1.0, 2.0)))  # another architecture starts afresh
    assert sizes.view().layers == 2 and len(sizes.view()) == 1
