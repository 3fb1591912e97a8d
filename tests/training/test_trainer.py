"""Trainer: snapshots, pause/step/stop, reproducibility, continuing, divergence, forward pass."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ConfigError, TrainingDiverged
from visualizer.data.dataset import Dataset
from visualizer.training.trainer import STOP_TEST_SECONDS, Trainer, TrainingControl
from visualizer.core.snapshot import SnapshotEvent
from visualizer.core.network import Network

SMALL = TrainingConfig(batch_size=10, epochs=2)  # 100 samples -> 10 batches per epoch


def _all_arrays(snapshot):
    return [*snapshot.weights, *snapshot.biases]


def test_snapshots_arrive_with_events_and_counters(tiny_dataset, recorder):
    result = Trainer(SMALL, tiny_dataset, snapshot_interval=0, run_id=7).run(recorder)

    snaps = recorder.snapshots
    events = [s.event for s in snaps]
    assert events[0] is SnapshotEvent.START and events[-1] is SnapshotEvent.TRAIN_END
    assert events.count(SnapshotEvent.EPOCH_END) == 2
    assert snaps[0].step == 0 and snaps[0].metrics["val_accuracy"] is None
    assert all(s.run_id == 7 and s.batches_per_epoch == 10 and s.epochs == 2 for s in snaps)
    steps = [s.step for s in snaps]
    assert steps == sorted(steps)
    assert SnapshotEvent.BATCH in events
    first_end = snaps[events.index(SnapshotEvent.EPOCH_END)]
    assert first_end.step == 10 and first_end.metrics["val_accuracy"] is not None
    final = snaps[-1]
    assert final.step == 20 and final.epoch == 2 and final.progress == 1.0
    assert result.batches == 20 and not result.stopped
    assert 0.0 <= result.test_accuracy <= 1.0 and np.isfinite(result.test_loss)
    assert set(final.metrics) >= {"loss", "accuracy", "val_loss", "val_accuracy", "samples_per_second", "eta_seconds"}
    assert final.layer_sizes == (784, 16, 16, 10)


def test_short_last_batch_counts_every_sample(make_data, recorder):
    data = make_data(n_train=95)  # 9 full batches of 10 and one of 5
    trainer = Trainer(SMALL.with_changes(epochs=1), data, snapshot_interval=0)
    result = trainer.run(recorder)
    assert result.batches == 10 and recorder.latest.batches_per_epoch == 10


def test_history_grows(tiny_dataset, recorder):
    Trainer(SMALL, tiny_dataset, snapshot_interval=0).run(recorder)
    lengths = [len(s.history.train_x) for s in recorder.snapshots]
    assert lengths[0] == 0 and lengths[-1] >= 2 and lengths == sorted(lengths)
    final = recorder.latest.history
    assert len(final.val_x) == 2 and list(final.val_x) == [1.0, 2.0]
    assert np.all(np.diff(final.train_x) > 0)


def test_snapshot_weights_are_copies(tiny_dataset, recorder):
    trainer = Trainer(SMALL, tiny_dataset)
    trainer.run(recorder)
    snap = recorder.latest
    before = [a.copy() for a in _all_arrays(snap)]
    for layer in trainer.model.layers:
        layer.kernel.assign(np.zeros(layer.kernel.shape, np.float32))
    for a, b in zip(_all_arrays(snap), before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(trainer.current_snapshot().weights[0], before[0])


def test_throttling_limits_snapshots(tiny_dataset, recorder):
    Trainer(SMALL, tiny_dataset, snapshot_interval=3600).run(recorder)
    # start, two epoch ends and the end: no "batch" snapshots when none is due
    assert [s.event for s in recorder.snapshots] == [SnapshotEvent.START, SnapshotEvent.EPOCH_END, SnapshotEvent.EPOCH_END, SnapshotEvent.TRAIN_END]


def _slow_config(**changes):
    # batch size 1 on a few thousand samples: thousands of batches, long enough to pause.
    return TrainingConfig(batch_size=1, epochs=50, **changes)


def test_pause_stops_progress_and_resume_continues(make_data, recorder, run_in_thread):
    data = make_data(n_train=2000)
    control = TrainingControl()
    run = run_in_thread(Trainer(_slow_config(), data), recorder, control)
    recorder.wait_for(lambda s: s.step > 50)
    control.pause()
    assert control.paused
    time.sleep(0.1)  # the pause has landed by now (it lands after the batch in progress)
    paused_at = recorder.latest.step
    time.sleep(0.4)
    assert recorder.latest.step == paused_at, "training went on while paused"
    control.resume()
    recorder.wait_for(lambda s: s.step > paused_at + 50)
    control.stop()
    result = run.join()
    assert result.stopped


def test_pause_lands_within_a_graph_call(make_data):
    """The halt flag is read inside the compiled loop: a long call ends early when it is set."""
    trainer = Trainer(_slow_config(), make_data(n_train=5000))
    trainer._load_epoch_order()
    trainer.prepare()  # trace first
    timer = threading.Timer(0.05, lambda: trainer._flag.assign(1))
    t0 = time.perf_counter()
    timer.start()
    (_, _, done, ok, *_), *_ = trainer._call_chunk(0, 5000, 1, 60.0, False)
    elapsed = time.perf_counter() - t0
    timer.join()
    assert bool(ok)
    assert 0 < int(done) < 5000, "the flag was not seen inside the loop"
    assert elapsed < 0.5


def test_step_runs_exactly_n_batches(tiny_dataset, recorder, run_in_thread):
    control = TrainingControl()
    trainer = Trainer(SMALL, tiny_dataset, start_paused=True)
    run = run_in_thread(trainer, recorder, control)
    recorder.wait_for(lambda s: s.event is SnapshotEvent.START)
    time.sleep(0.2)
    assert recorder.latest.step == 0 and control.paused
    control.step(3)
    assert recorder.wait_for(lambda s: s.step >= 3).step == 3
    control.step(9)  # crosses the end of the first epoch (10 batches)
    recorder.wait_for(lambda s: s.step >= 12)
    time.sleep(0.2)
    assert recorder.latest.step == 12 and recorder.latest.epoch == 1 and recorder.latest.batch == 2
    control.stop()
    result = run.join()
    assert result.stopped and result.batches == 12


def test_stop_ends_quickly_with_usable_weights(make_data, recorder, run_in_thread):
    data = make_data(n_train=2000)
    control = TrainingControl()
    trainer = Trainer(_slow_config(), data, snapshot_interval=10.0)  # long graph calls
    run = run_in_thread(trainer, recorder, control)
    deadline = time.monotonic() + 30
    while trainer._step == 0 and time.monotonic() < deadline:  # past the first (tracing) call
        time.sleep(0.01)
    t0 = time.perf_counter()
    control.stop()
    result = run.join()
    assert time.perf_counter() - t0 < 1.0
    assert result.stopped and 0 < result.batches < 50 * 2000
    assert all(np.all(np.isfinite(a)) for a in _all_arrays(result.snapshot))
    assert result.snapshot.event is SnapshotEvent.TRAIN_END and recorder.latest is result.snapshot
    assert np.isfinite(result.test_loss)
    probs = Network.from_arrays(result.snapshot.weights, result.snapshot.biases, "relu").forward(data.x_test[:5])[-1]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def _stopped_counting_tests(data, recorder, run_in_thread, halt, slow_test_pass: bool = False):
    """Run a slow config until its first batch, halt it with ``halt(control)``; (result, test passes run)."""
    control = TrainingControl()
    trainer = Trainer(_slow_config(), data, snapshot_interval=10.0)
    if slow_test_pass:
        assert trainer.test_pass_seconds() < STOP_TEST_SECONDS  # 784-16-16-10: tested at the end as usual
        trainer.test_pass_seconds = lambda: 10 * STOP_TEST_SECONDS
    calls = []
    evaluate = trainer.evaluate
    trainer.evaluate = lambda: calls.append(1) or evaluate()
    run = run_in_thread(trainer, recorder, control)
    deadline = time.monotonic() + 30
    while trainer._step == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    halt(control)
    return run.join(), len(calls), control


def test_abandon_stops_without_the_final_test_pass(make_data, recorder, run_in_thread):
    # The window closing abandons the run: stopped like Stop, but no test-set evaluation at the end
    # (for a big network it would take longer than the stop itself).
    result, passes, control = _stopped_counting_tests(make_data(n_train=2000), recorder, run_in_thread,
                                                      TrainingControl.abandon)
    assert control.stop_requested and control.abandoned
    assert result.stopped and result.batches < 50 * 2000
    epochs_done = result.batches // 2000  # each finished epoch is validated; the end adds no pass
    assert passes == epochs_done
    assert np.isnan(result.test_loss) if epochs_done == 0 else np.isfinite(result.test_loss)
    assert result.snapshot.event is SnapshotEvent.TRAIN_END


def test_stop_skips_a_slow_final_test_pass(make_data, recorder, run_in_thread):
    # A network whose test pass would hold Stop up (2.9M parameters: ~0.6 s) keeps its last validation.
    result, passes, _ = _stopped_counting_tests(make_data(n_train=2000), recorder, run_in_thread,
                                                TrainingControl.stop, slow_test_pass=True)
    assert result.stopped and passes == result.batches // 2000  # epoch ends only, no final pass


def test_snapshot_interval_zero_still_means_every_call(tiny_dataset):
    trainer = Trainer(SMALL, tiny_dataset, snapshot_interval=0)
    trainer.current_snapshot()
    assert trainer.effective_interval() == 0.0
    assert Trainer(SMALL, tiny_dataset, snapshot_interval=0.5).effective_interval() >= 0.5


def test_same_seed_same_weights_different_seed_different(tiny_dataset):
    def train(seed):
        return Trainer(SMALL.with_changes(seed=seed), tiny_dataset).run(lambda s: None).snapshot

    a, b, c = train(1), train(1), train(2)
    for x, y in zip(_all_arrays(a), _all_arrays(b), strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_continue_from_initial_keeps_weights(tiny_dataset, recorder):
    first = Trainer(SMALL, tiny_dataset).run(lambda s: None).snapshot
    changed = SMALL.with_changes(learning_rate=1e-4, optimizer="sgd", batch_size=5)
    second = Trainer(changed, tiny_dataset, initial=first, run_id=1)
    for x, y in zip(_all_arrays(second.current_snapshot()), _all_arrays(first), strict=True):
        np.testing.assert_array_equal(x, y)
    second.run(recorder)
    start = recorder.snapshots[0]
    assert start.event is SnapshotEvent.START and start.step == first.step
    for x, y in zip(_all_arrays(start), _all_arrays(first), strict=True):
        np.testing.assert_array_equal(x, y)
    assert recorder.latest.step == first.step + 2 * 20


def test_architecture_mismatch_is_a_config_error(tiny_dataset):
    snap = Trainer(SMALL, tiny_dataset).current_snapshot()
    with pytest.raises(ConfigError):
        Trainer(SMALL.with_changes(hidden=(32, 16)), tiny_dataset, initial=snap)
    with pytest.raises(ConfigError):
        Trainer(SMALL.with_changes(activation="tanh"), tiny_dataset, initial=snap)


def test_divergence_keeps_last_good_weights(make_data, recorder):
    data = make_data(n_train=100)
    x = data.x_train.copy()
    x[::2, 0] = np.inf  # every other image is broken: some batch soon sees one
    bad = Dataset(x, data.y_train, data.x_test, data.y_test, source="broken", kind="synthetic")
    trainer = Trainer(SMALL.with_changes(batch_size=1), bad, snapshot_interval=0)
    with pytest.raises(TrainingDiverged, match=r"diverged at epoch 1, batch \d+ \(loss is nan\).*last good weights"):
        trainer.run(recorder)
    kept = recorder.latest
    assert kept.event is SnapshotEvent.TRAIN_END
    assert all(np.all(np.isfinite(a)) for a in _all_arrays(kept))
    good = [s for s in recorder.snapshots if s.event in (SnapshotEvent.START, SnapshotEvent.BATCH)][-1]
    assert kept.step == good.step
    for a, b in zip(_all_arrays(kept), _all_arrays(good), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_all_arrays(trainer.current_snapshot()), _all_arrays(good), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_fused_update_matches_keras_optimizer(tiny_dataset, optimizer):
    """The Trainer's one-op-per-variable update is Keras' Adam / SGD-with-momentum rule."""
    import keras
    import tensorflow as tf

    from visualizer.training.model import make_optimizer

    config = SMALL.with_changes(optimizer=optimizer, learning_rate=0.01)
    trainer = Trainer(config, tiny_dataset)
    reference = [keras.Variable(v.numpy()) for v in trainer._vars]
    keras_optimizer = make_optimizer(config)
    keras_optimizer.build(reference)
    rng = np.random.default_rng(0)
    for _ in range(5):
        grads = [tf.constant(rng.standard_normal(v.shape).astype(np.float32)) for v in reference]
        trainer._apply(grads)
        keras_optimizer.apply_gradients(zip(grads, reference, strict=True))
    for ours, theirs in zip(trainer._vars, reference, strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "activation, hidden", [("relu", (16, 16)), ("sigmoid", (16, 16)), ("tanh", (16, 16)), ("relu", (8,)), ("tanh", (32, 24, 12))]
)
def test_numpy_forward_matches_keras(tiny_dataset, activation, hidden):
    config = TrainingConfig(hidden=hidden, activation=activation, batch_size=10, epochs=1)
    trainer = Trainer(config, tiny_dataset)
    trainer.run(lambda s: None)
    snap = trainer.current_snapshot()
    x = np.random.default_rng(3).random((64, 784), dtype=np.float32)
    expected = trainer.model.predict(x, verbose=0)
    layers = Network.from_arrays(snap.weights, snap.biases, activation).forward(x)
    assert len(layers) == len(hidden) + 2
    np.testing.assert_allclose(layers[-1], expected, atol=1e-5)
    np.testing.assert_allclose(Network.from_arrays(snap.weights, snap.biases, activation).forward(x[0])[-1], expected[0], atol=1e-5)


@pytest.mark.mnist
def test_real_mnist_one_epoch(mnist_dataset, recorder):
    start = time.perf_counter()
    result = Trainer(TrainingConfig(epochs=1), mnist_dataset).run(recorder)
    assert result.test_accuracy > 0.88
    assert time.perf_counter() - start < 60
    assert sum(s.event is SnapshotEvent.BATCH for s in recorder.snapshots) >= 1


def test_step_requested_before_a_paused_start_runs(tiny_dataset, recorder, run_in_thread):
    control = TrainingControl()
    control.step(4)  # the GUI may click "step" before the worker thread has started
    run = run_in_thread(Trainer(SMALL, tiny_dataset, start_paused=True), recorder, control)
    assert recorder.wait_for(lambda s: s.step >= 4).step == 4
    time.sleep(0.2)
    assert recorder.latest.step == 4 and control.paused
    control.stop()
    assert run.join().batches == 4


def test_the_snapshot_interval_stretches_with_every_weight_copy_a_call_makes(tiny_dataset):
    """Big networks: the snapshot, the backup and (recording) the capture row and its copy each copy every weight."""
    from visualizer.core.timeline import Timeline
    from visualizer.training import trainer as trainer_module

    plain = Trainer(SMALL, tiny_dataset, snapshot_interval=1 / 30)
    recording = Trainer(SMALL, tiny_dataset, snapshot_interval=1 / 30, timeline=Timeline())
    plain._copy_seconds = recording._copy_seconds = 0.01  # 10 ms of this thread's CPU per copy
    assert plain.effective_interval() == pytest.approx(2 * 0.01 / trainer_module.COPY_SHARE)
    assert recording.effective_interval() == pytest.approx(4 * 0.01 / trainer_module.COPY_SHARE)
    plain._copy_seconds = 1e-5  # a small network: the interval asked for
    assert plain.effective_interval() == pytest.approx(1 / 30)


def test_a_snapshot_counts_its_copy_in_cpu_time_not_in_waits(tiny_dataset, monkeypatch):
    from visualizer.training import trainer as trainer_module

    trainer = Trainer(SMALL, tiny_dataset, snapshot_interval=1 / 30)
    clock = iter([5.0, 5.001])
    monkeypatch.setattr(trainer_module.time, "thread_time", lambda: next(clock))
    monkeypatch.setattr(trainer_module.time, "perf_counter", lambda: 1e6)  # a wall clock that would say "stalled"
    trainer.current_snapshot()
    assert trainer._copy_seconds == pytest.approx(0.001)
