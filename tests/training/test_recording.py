"""The trainer records into a Timeline: every batch at full speed, the right weights at each step, epoch ends, continuing."""

from __future__ import annotations

import numpy as np
import pytest

from visualizer.core.config import TrainingConfig
from visualizer.core.errors import TrainingDiverged
from visualizer.core.snapshot import SnapshotEvent
from visualizer.core.timeline import Timeline
from visualizer.data.dataset import Dataset
from visualizer.training.recorder import capture_rows
from visualizer.training.trainer import Trainer, TrainingControl

SMALL = TrainingConfig(batch_size=10, epochs=2)  # 100 samples -> 10 batches per epoch


def _arrays(network_or_snapshot):
    return [*network_or_snapshot.weights, *network_or_snapshot.biases]


def _assert_same(a, b):
    for x, y in zip(_arrays(a), _arrays(b), strict=True):
        np.testing.assert_array_equal(x, y)


def _stepped_reference(config, dataset, steps: int, run_in_thread, recorder):
    """Snapshots after each of ``steps`` single batches of an identical run (the same seed gives the same weights)."""
    control = TrainingControl()
    run = run_in_thread(Trainer(config, dataset, start_paused=True), recorder, control)
    by_step = {}
    for k in range(1, steps + 1):
        control.step(1)
        by_step[k] = recorder.wait_for(lambda s, k=k: s.step == k and s.event is SnapshotEvent.BATCH)
    control.stop()
    run.join()
    by_step[0] = recorder.snapshots[0]
    return by_step


def test_every_batch_is_recorded_at_full_speed_and_the_last_moment_is_the_final_network(tiny_dataset):
    timeline = Timeline()
    trainer = Trainer(SMALL, tiny_dataset, timeline=timeline, snapshot_interval=3600)  # long graph calls
    result = trainer.run(lambda s: None)
    assert result.batches == 20
    assert timeline.batch_count == 20 and len(timeline) == 21  # the start and every batch
    np.testing.assert_array_equal(timeline.steps(), np.arange(21))
    _assert_same(timeline.latest.network, result.snapshot)
    _assert_same(timeline.latest.network, trainer.current_network())
    metrics = timeline.metrics()
    assert np.all(np.isfinite(metrics.loss)) and np.all((metrics.accuracy >= 0) & (metrics.accuracy <= 1))
    np.testing.assert_array_equal(timeline.epoch_end_steps(), [10, 20])
    np.testing.assert_allclose(metrics.epoch_float[[0, 9, 10, 19]], [0.1, 1.0, 1.1, 2.0])


def test_each_recorded_moment_is_the_network_after_that_batch(tiny_dataset, run_in_thread, recorder):
    reference = _stepped_reference(SMALL, tiny_dataset, 20, run_in_thread, recorder)
    timeline = Timeline()
    Trainer(SMALL, tiny_dataset, timeline=timeline, snapshot_interval=3600).run(lambda s: None)
    for step in range(21):
        _assert_same(timeline.moment_at(step).network, reference[step])


def test_past_the_budget_the_graph_captures_only_what_the_timeline_keeps(make_data, run_in_thread, recorder):
    data = make_data(n_train=300)
    config = TrainingConfig(batch_size=10, epochs=2)  # 60 batches
    reference = _stepped_reference(config, data, 60, run_in_thread, recorder)
    timeline = Timeline(budget=12 * config.parameter_count * 4, keep_first=3)
    Trainer(config, data, timeline=timeline, snapshot_interval=3600).run(lambda s: None)
    steps = timeline.steps()
    assert timeline.stride > 1 and timeline.nbytes <= timeline.budget
    assert {0, 1, 2, 3, 30, 60} <= set(steps)  # the first batches, the epoch ends, the latest
    assert all(s <= 3 or s % timeline.stride == 0 or s in (30, 60) for s in steps)
    for step in steps:
        _assert_same(timeline.moment_at(step).network, reference[int(step)])
    assert timeline.batch_count == 60  # the curves keep every batch


def test_validation_is_recorded_at_epoch_ends(tiny_dataset, recorder):
    timeline = Timeline()
    Trainer(SMALL, tiny_dataset, timeline=timeline, snapshot_interval=0).run(recorder)
    ends = [s for s in recorder.snapshots if s.event is SnapshotEvent.EPOCH_END]
    metrics = timeline.metrics()
    np.testing.assert_array_equal(metrics.val_step, [10, 20])
    np.testing.assert_allclose(metrics.val_loss, [s.metrics["val_loss"] for s in ends], rtol=1e-6)
    np.testing.assert_allclose(metrics.val_accuracy, [s.metrics["val_accuracy"] for s in ends], rtol=1e-6)
    assert timeline.moment_at(10).val_accuracy == pytest.approx(ends[0].metrics["val_accuracy"])


def test_starting_again_extends_the_same_timeline(tiny_dataset):
    timeline = Timeline()
    first = Trainer(SMALL, tiny_dataset, timeline=timeline).run(lambda s: None).snapshot
    again = SMALL.with_changes(batch_size=20, epochs=1)  # 5 batches
    second = Trainer(again, tiny_dataset, initial=first, timeline=timeline).run(lambda s: None).snapshot
    assert timeline.batch_count == 25 and timeline.latest.step == 25 == second.step
    _assert_same(timeline.latest.network, second)
    _assert_same(timeline.moment_at(20).network, first)
    x = timeline.metrics().epoch_float
    assert np.all(np.diff(x) > 0) and x[-1] == pytest.approx(3.0)
    np.testing.assert_array_equal(timeline.epoch_end_steps(), [10, 20, 25])


def test_continue_from_here_forks_the_timeline(tiny_dataset):
    timeline = Timeline()
    Trainer(SMALL, tiny_dataset, timeline=timeline).run(lambda s: None)
    moment = timeline.truncate_after(7)
    initial = _snapshot_of(moment)
    Trainer(SMALL.with_changes(epochs=1), tiny_dataset, initial=initial, timeline=timeline).run(lambda s: None)
    assert timeline.batch_count == 17 and timeline.latest.step == 17
    assert timeline.moment_at(7).step == 7 and timeline.moment_at(8).epoch_float == pytest.approx(0.8)


def test_a_timeline_that_ends_elsewhere_is_refused(tiny_dataset):
    timeline = Timeline()
    Trainer(SMALL, tiny_dataset, timeline=timeline).run(lambda s: None)
    with pytest.raises(ValueError, match="truncate first"):
        Trainer(SMALL, tiny_dataset, timeline=timeline).run(lambda s: None)  # starts again at step 0


def test_a_diverging_chunk_is_not_recorded(make_data):
    data = make_data(n_train=100)
    x = data.x_train.copy()
    x[::2, 0] = np.inf
    bad = Dataset(x, data.y_train, data.x_test, data.y_test, source="broken", kind="synthetic")
    timeline = Timeline()
    trainer = Trainer(SMALL.with_changes(batch_size=1), bad, timeline=timeline)
    with pytest.raises(TrainingDiverged):
        trainer.run(lambda s: None)
    assert timeline.latest.step == trainer.current_snapshot().step == timeline.batch_count
    _assert_same(timeline.latest.network, trainer.current_network())
    assert np.all(np.isfinite(timeline.metrics().loss))


def test_prepare_traces_without_training(tiny_dataset):
    timeline = Timeline()
    trainer = Trainer(SMALL, tiny_dataset, timeline=timeline)
    before = trainer.current_network()
    assert not trainer.prepared
    assert trainer.prepare() > 0 and trainer.prepared and trainer.prepare() == 0.0
    _assert_same(trainer.current_network(), before)
    assert timeline.reserved_nbytes >= 21 * SMALL.parameter_count * 4  # the run's memory, set aside
    assert trainer.run(lambda s: None).batches == 20


def _snapshot_of(moment):
    from visualizer.core.snapshot import snapshot_from_arrays

    return snapshot_from_arrays(moment.network.weights, moment.network.biases, moment.network.activation,
                                step=moment.step)


def test_short_calls_past_the_budget_record_their_last_network(make_data):
    # Snapshots after every call (interval 0): calls end between the recording's stride, so the
    # trainer reads the network after each call's last batch itself (a Keras variable's .numpy()).
    data = make_data(n_train=300)
    config = TrainingConfig(batch_size=10, epochs=1)
    timeline = Timeline(budget=12 * config.parameter_count * 4, keep_first=3)
    result = Trainer(config, data, timeline=timeline, snapshot_interval=0).run(lambda s: None)
    assert timeline.stride > 1 and timeline.batch_count == 30
    _assert_same(timeline.moment_at(int(timeline.steps()[-1])).network, result.snapshot.network)


@pytest.mark.parametrize("every_batch", [True, False], ids=["small-network", "big-network"])
def test_moments_stay_exact_when_many_calls_alternate_capture_buffers(make_data, run_in_thread, recorder, monkeypatch,
                                                                      every_batch):
    # Three rows per buffer: calls are cut short by the capture plan, the two buffers alternate
    # and the recorder thread copies one while the next call writes the other. "big-network":
    # the graph writes only the networks that are due (a tf.cond) instead of every batch's.
    import visualizer.training.trainer as trainer_module

    data = make_data(n_train=300)
    config = TrainingConfig(batch_size=10, epochs=2)  # 60 batches
    reference = _stepped_reference(config, data, 60, run_in_thread, recorder)
    monkeypatch.setattr(trainer_module, "CAPTURE_BYTES", 3 * config.parameter_count * 4)
    monkeypatch.setattr(trainer_module, "BRANCHLESS_BYTES", config.parameter_count * 4 if every_batch else 0)
    for budget in (None, 12 * config.parameter_count * 4):  # every batch, then thinned
        timeline = Timeline() if budget is None else Timeline(budget=budget, keep_first=3)
        trainer = Trainer(config, data, timeline=timeline, snapshot_interval=3600)
        assert trainer._recorder.rows == 3 and trainer._recorder.spare is every_batch
        trainer.run(lambda s: None)
        assert timeline.batch_count == 60
        assert budget is not None or len(timeline) == 61
        for step in timeline.steps():
            _assert_same(timeline.moment_at(int(step)).network, reference[int(step)])


def test_capture_rows_keep_the_due_networks_and_put_the_others_where_the_next_one_goes():
    # Steps 1..3 are kept (the first batches), then every 4th: 4 and 8 are kept, 5-7 are not.
    rows = capture_rows(0, 8, stride=4, keep_until=3, spare=10)
    assert rows.tolist() == [0, 1, 2, 3, 4, 4, 4, 4]  # 5, 6, 7 write row 4, which 8 then keeps
    # With the one row kept, the unkept networks after it go to the spare row.
    assert capture_rows(7, 3, stride=4, keep_until=3, spare=1).tolist() == [0, 1, 1]  # 8 kept; 9, 10 not


def test_a_short_batchs_accuracy_is_its_hits_over_its_own_samples(tiny_dataset):
    # 100 samples in batches of 30: 30, 30, 30 and a last batch of 10. The graph records hits; the
    # accuracy is divided by each batch's own sample count.
    config = TrainingConfig(batch_size=30, epochs=1)
    timeline = Timeline()
    Trainer(config, tiny_dataset, timeline=timeline, snapshot_interval=3600).run(lambda s: None)
    accuracy = timeline.metrics().accuracy
    sizes = np.array([30, 30, 30, 10])
    hits = accuracy * sizes
    assert len(accuracy) == 4 and np.all((accuracy >= 0) & (accuracy <= 1))
    np.testing.assert_allclose(hits, np.round(hits), atol=1e-4)  # whole numbers of right answers


def _loop_body_nodes(trainer) -> int:
    graph = trainer._chunks[0].get_concrete_function().graph.as_graph_def()
    bodies = [f for f in graph.library.function if "body" in f.signature.name]
    return max(sum(n.op != "Const" for n in f.node_def) for f in bodies)


def test_recording_adds_few_graph_nodes_to_a_batch(tiny_dataset):
    # With one TensorFlow thread every graph node of a batch costs its share of the time: the
    # recording writes the weights the batch already read (no second read of each variable) and
    # the hits (no division), 9 nodes: the row lookup, 6 writes, the loss/hits pair and its write.
    plain = Trainer(SMALL, tiny_dataset)
    recorded = Trainer(SMALL, tiny_dataset, timeline=Timeline())
    try:
        extra = _loop_body_nodes(recorded) - _loop_body_nodes(plain)
    finally:
        plain.release()
        recorded.release()
    assert extra <= 9
