"""Trainer: which training images a Step used (snapshot.batch_indices), and the in-graph gradient statistics."""

from __future__ import annotations

import numpy as np
import pytest

from visualizer.core.backprop import batch_gradient, sgd_step
from visualizer.core.config import TrainingConfig
from visualizer.core.snapshot import SnapshotEvent
from visualizer.training.trainer import Trainer, TrainingControl

SMALL = TrainingConfig(batch_size=10, epochs=2)  # 100 samples -> 10 batches per epoch


def _batch_of(dataset, rows):
    return np.asarray(dataset.x_train[rows], np.float32).reshape(len(rows), -1), np.asarray(dataset.y_train[rows])


def test_a_step_says_which_batch_it_trained_on(tiny_dataset, recorder, run_in_thread):
    control = TrainingControl()
    trainer = Trainer(SMALL, tiny_dataset, start_paused=True)
    run = run_in_thread(trainer, recorder, control)
    start = recorder.wait_for(lambda s: s.event is SnapshotEvent.START)
    order = trainer._order_rows.copy()  # the epoch's shuffle the graph gathers from
    assert start.batch_indices is None
    np.testing.assert_array_equal(start.next_batch_indices, order[0])

    control.step(1)
    first = recorder.wait_for(lambda s: s.step == 1)
    np.testing.assert_array_equal(first.batch_indices, order[0])
    np.testing.assert_array_equal(first.next_batch_indices, order[1])
    assert not first.batch_indices.flags.writeable
    # The loss the trainer reports is numpy's mean loss of exactly those images under the weights before.
    x, y = _batch_of(tiny_dataset, first.batch_indices)
    assert first.metrics["loss"] == pytest.approx(batch_gradient(start.network, x, y).loss, abs=1e-4)

    control.step(2)  # the snapshot names the last batch of the request
    third = recorder.wait_for(lambda s: s.step == 3)
    np.testing.assert_array_equal(third.batch_indices, order[2])
    control.stop()
    run.join()


def test_plain_sgd_on_the_reported_batch_reproduces_the_trainer_update(tiny_dataset, recorder, run_in_thread):
    config = SMALL.with_changes(optimizer="sgd", momentum=0.0, learning_rate=0.1)
    control = TrainingControl()
    run = run_in_thread(Trainer(config, tiny_dataset, start_paused=True), recorder, control)
    start = recorder.wait_for(lambda s: s.event is SnapshotEvent.START)
    control.step(1)
    after = recorder.wait_for(lambda s: s.step == 1)
    control.stop()
    run.join()
    x, y = _batch_of(tiny_dataset, after.batch_indices)
    expected = sgd_step(start.network, batch_gradient(start.network, x, y), 0.1)
    for got, want in zip((*after.weights, *after.biases), (*expected.weights, *expected.biases), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
    wrong = np.roll(after.batch_indices, 1) + 1  # another batch moves the weights elsewhere
    other = sgd_step(start.network, batch_gradient(start.network, *_batch_of(tiny_dataset, wrong % 100)), 0.1)
    assert not np.allclose(after.weights[0], other.weights[0], atol=1e-5)


def test_the_last_batch_of_an_epoch_is_short_and_nothing_comes_next_yet(make_data, recorder, run_in_thread):
    data = make_data(n_train=95)  # 9 batches of 10 and one of 5
    control = TrainingControl()
    trainer = Trainer(SMALL, data, start_paused=True)
    run = run_in_thread(trainer, recorder, control)
    recorder.wait_for(lambda s: s.event is SnapshotEvent.START)
    order = trainer._order_rows.copy()
    control.step(10)
    snap = recorder.wait_for(lambda s: s.step == 10 and s.batch_indices is not None)
    np.testing.assert_array_equal(snap.batch_indices, order[9, :5])
    assert snap.next_batch_indices is None  # the next epoch is shuffled when it begins
    control.stop()
    run.join()


def test_full_speed_snapshots_name_no_batch(tiny_dataset, recorder):
    Trainer(SMALL, tiny_dataset, snapshot_interval=0).run(recorder)
    assert all(s.batch_indices is None for s in recorder.snapshots)


def test_snapshots_carry_gradient_size_and_update_ratio_per_layer(tiny_dataset, recorder, run_in_thread):
    config = SMALL.with_changes(optimizer="sgd", momentum=0.0, learning_rate=0.1)
    control = TrainingControl()
    run = run_in_thread(Trainer(config, tiny_dataset, start_paused=True), recorder, control)
    start = recorder.wait_for(lambda s: s.event is SnapshotEvent.START)
    assert "grad_norms" not in start.metrics  # nothing trained yet
    control.step(1)
    after = recorder.wait_for(lambda s: s.step == 1)
    control.stop()
    run.join()
    x, y = _batch_of(tiny_dataset, after.batch_indices)
    grad = batch_gradient(start.network, x, y)
    want_norms = [np.linalg.norm(g) for g in grad.weight_gradients]
    want_ratios = [np.linalg.norm(w1 - w0) / np.linalg.norm(w0) for w0, w1 in zip(start.weights, after.weights, strict=True)]
    np.testing.assert_allclose(after.metrics["grad_norms"], want_norms, rtol=1e-4)
    np.testing.assert_allclose(after.metrics["update_ratios"], want_ratios, rtol=1e-4)
    assert len(recorder.latest.metrics["grad_norms"]) == 3


def test_gradient_statistics_can_be_left_out(tiny_dataset, recorder):
    Trainer(SMALL, tiny_dataset, snapshot_interval=0, gradient_stats=False).run(recorder)
    assert all("grad_norms" not in s.metrics for s in recorder.snapshots)


def test_a_call_of_several_batches_reports_its_first_batchs_statistics(tiny_dataset, recorder, run_in_thread):
    config = SMALL.with_changes(optimizer="sgd", momentum=0.0, learning_rate=0.1)
    control = TrainingControl()
    run = run_in_thread(Trainer(config, tiny_dataset, start_paused=True), recorder, control)
    start = recorder.wait_for(lambda s: s.event is SnapshotEvent.START)
    control.step(4)  # one graph call of four batches
    after = recorder.wait_for(lambda s: s.step == 4)
    control.stop()
    run.join()
    grad = batch_gradient(start.network, *_batch_of(tiny_dataset, start.next_batch_indices))
    moved = sgd_step(start.network, grad, 0.1)  # the weights after the call's first batch
    want_norms = [np.linalg.norm(g) for g in grad.weight_gradients]
    want_ratios = [np.linalg.norm(w1 - w0) / np.linalg.norm(w0) for w0, w1 in zip(start.weights, moved.weights, strict=True)]
    np.testing.assert_allclose(after.metrics["grad_norms"], want_norms, rtol=1e-4)
    np.testing.assert_allclose(after.metrics["update_ratios"], want_ratios, rtol=1e-4)
    last = batch_gradient(after.network, *_batch_of(tiny_dataset, after.batch_indices))  # not the last batch's
    assert not np.allclose(after.metrics["grad_norms"], [np.linalg.norm(g) for g in last.weight_gradients], rtol=1e-3)


def test_time_loops_times_both_loops_on_one_trainer_and_trains_for_real(tiny_dataset):
    """The benchmark hook: both loops run the batches asked (they train: the weights move), alternating."""
    trainer = Trainer(TrainingConfig(batch_size=10, epochs=1), tiny_dataset, gradient_stats=True)
    before = trainer.current_network().weights[0].copy()
    seconds = trainer.time_loops(batches=4, calls=3)
    assert set(seconds) == {True, False}
    assert all(len(v) == 3 and all(s > 0 for s in v) for v in seconds.values())
    assert not np.array_equal(trainer.current_network().weights[0], before)
    assert trainer.gradient_stats is True and trainer.timeline is None  # its own settings are back
    trainer.release()
