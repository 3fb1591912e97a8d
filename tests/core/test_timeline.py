"""Timeline: every batch recorded up to the budget, even thinning past it, queries, truncate and extend."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from timeline_helpers import ROW_BYTES, SIZES, feed, network, row, started

from visualizer.core.errors import ConfigError
from visualizer.core.network import Network
from visualizer.core.timeline import Batches, Timeline, flatten_network

@pytest.mark.parametrize("trainer_like", [False, True])
def test_every_batch_is_kept_up_to_the_budget(trainer_like):
    tl = started(1000)
    feed(tl, 300, per_epoch=120, trainer_like=trainer_like)
    assert len(tl) == 301 and tl.batch_count == 300
    np.testing.assert_array_equal(tl.steps(), np.arange(301))
    assert tl.nbytes == 301 * ROW_BYTES and tl.stride == 1
    for step in (0, 1, 119, 120, 121, 300):
        moment = tl.moment_at(step)
        assert moment.step == step
        assert np.all(moment.network.weights[0] == step) and np.all(moment.network.biases[-1] == step)


@pytest.mark.parametrize("trainer_like", [False, True])
def test_over_budget_thins_evenly_and_keeps_first_batches_epoch_ends_and_latest(trainer_like):
    tl = started(100, keep_first=20)
    feed(tl, 1003, per_epoch=50, every_row=False, trainer_like=trainer_like)
    steps = tl.steps()
    assert tl.nbytes <= tl.budget and tl.nbytes == len(steps) * ROW_BYTES
    assert set(range(21)) <= set(steps), "the first batches were thinned"
    assert set(range(50, 1001, 50)) <= set(steps), "an epoch end was dropped"
    np.testing.assert_array_equal(tl.epoch_end_steps(), np.arange(50, 1001, 50))
    assert steps[-1] == 1003 and tl.latest.step == 1003
    stride = tl.stride
    assert stride > 1 and stride & (stride - 1) == 0
    ordinary = [s for s in steps[:-1] if s > 20 and s % 50]
    assert all(s % stride == 0 for s in ordinary)
    # Evenly: no gap between neighbouring moments past the first batches is wider than the stride.
    assert np.diff(steps[steps > 20]).max() <= stride
    # Curves are full resolution whatever was thinned.
    metrics = tl.metrics()
    np.testing.assert_array_equal(metrics.step, np.arange(1, 1004))
    np.testing.assert_array_equal(metrics.loss, np.arange(1, 1004, dtype=np.float32))


def test_default_keeps_the_first_200_batches_and_fills_the_budget():
    tl = started(1000)
    feed(tl, 5000, per_epoch=600, block=64, every_row=False)
    steps = set(tl.steps())
    assert set(range(201)) <= steps
    assert len(steps) > 500, "thinning dropped far more than half"
    assert tl.nbytes <= tl.budget


def test_memory_accounting_is_the_bytes_of_the_stored_arrays():
    tl = started(64, keep_first=8)
    for batches in (10, 50, 200):
        feed(tl, batches, per_epoch=1000, block=5)
        with tl.export() as (_, _, rows):
            assert tl.nbytes == sum(r.nbytes for r in rows) == len(tl) * ROW_BYTES
        assert tl.nbytes <= tl.reserved_nbytes <= tl.budget
    tl.budget = 20 * ROW_BYTES  # a smaller budget thins at once and gives the memory back
    assert tl.nbytes <= tl.reserved_nbytes <= 20 * ROW_BYTES and tl.latest.step == 260
    for s in tl.steps():  # the rows moved out of the freed memory are intact
        assert np.all(tl.moment_at(s).network.weights[0] == s)


def test_thousands_of_one_batch_epochs_stay_within_the_budget():
    tl = started(50)
    feed(tl, 2000, per_epoch=1, every_row=False)
    assert tl.nbytes <= tl.budget and tl.latest.step == 2000 and tl.moment_at(0).step == 0
    assert len(tl.epoch_end_steps()) == 2000  # the marks stay even when their weights go


def test_a_tiny_budget_still_keeps_the_first_and_latest_moment():
    tl = Timeline(0)
    tl.extend(network(0.0))
    feed(tl, 30, per_epoch=10)
    assert list(tl.steps()) == [0, 30]


def test_moment_at_is_the_nearest_recorded_moment_at_or_before():
    tl = started(40, keep_first=4)
    feed(tl, 200, per_epoch=100, every_row=False)
    steps = tl.steps()
    gap = next(s for s in range(1, 200) if s not in set(steps))
    assert tl.moment_at(gap).step == steps[steps < gap].max()
    assert tl.moment_at(-5).step == 0 and tl.moment_at(10**9).step == 200
    first = tl.moment_at(0)
    assert first.batch == 0 and first.epoch_float == 0.0 and np.isnan(first.loss) and first.val_loss is None


def test_moments_carry_epoch_position_metrics_and_validation():
    tl = started(1000)
    feed(tl, 25, per_epoch=10)
    m = tl.moment_at(13)
    assert (m.epoch, m.batch, m.epoch_float, m.loss, m.is_epoch_end) == (1, 3, 1.3, 13.0, False)
    assert m.accuracy == pytest.approx(1 / 13) and m.val_loss is None
    end = tl.moment_at(20)
    assert end.is_epoch_end and (end.epoch, end.batch, end.epoch_float) == (1, 10, 2.0)
    assert (end.val_loss, end.val_accuracy) == (-20.0, pytest.approx(20e-6))
    metrics = tl.metrics()
    np.testing.assert_array_equal(metrics.val_step, [10, 20])
    np.testing.assert_array_equal(metrics.val_epoch_float, [1.0, 2.0])
    assert not metrics.loss.flags.writeable


def test_truncate_after_drops_later_moments_and_keeps_old_views_intact():
    tl = started(1000)
    feed(tl, 30, per_epoch=10)
    before = tl.metrics()
    kept = tl.truncate_after(14)
    assert kept.step == 14 and tl.latest.step == 14 and tl.batch_count == 14
    np.testing.assert_array_equal(tl.steps(), np.arange(15))
    np.testing.assert_array_equal(tl.metrics().val_step, [10])
    np.testing.assert_array_equal(tl.epoch_end_steps(), [10])
    # A fork continues the same curves from the cut; views read before it are not overwritten.
    tl.extend(kept.network, 14)
    feed(tl, 10, per_epoch=10, epoch=0)  # the next run's first epoch: 10 fresh batches
    np.testing.assert_array_equal(before.loss, np.arange(1, 31, dtype=np.float32))
    # Continued from epoch 1.4: that run's first epoch end completes epoch index 1, at 1.4 + 1.
    end = tl.latest
    assert (end.step, end.epoch, end.is_epoch_end) == (24, 1, True) and end.epoch_float == pytest.approx(2.4)
    np.testing.assert_array_equal(tl.epoch_end_steps(), [10, 24])
    assert np.all(np.diff(tl.metrics().epoch_float) > 0)


def test_extend_continues_epochs_and_curves_after_a_full_run():
    tl = started(1000)
    feed(tl, 20, per_epoch=10)
    tl.extend(network(20.0), 20)
    feed(tl, 5, per_epoch=5, epoch=0)  # the next run: a different batch size, one epoch of 5
    m = tl.latest
    assert (m.step, m.epoch, m.batch, m.epoch_float, m.is_epoch_end) == (25, 2, 5, 3.0, True)
    x = tl.metrics().epoch_float
    assert np.all(np.diff(x) > 0) and len(x) == 25


def test_extend_refuses_another_architecture_or_a_gap():
    tl = started(100)
    feed(tl, 5, per_epoch=10)
    with pytest.raises(ConfigError, match="starts a new one"):
        tl.extend(network(0.0, sizes=(784, 3, 10)), 5)
    with pytest.raises(ConfigError):
        tl.extend(network(0.0, activation="tanh"), 5)
    with pytest.raises(ValueError, match="truncate first"):
        tl.extend(network(0.0), 3)
    with pytest.raises(ValueError, match="expected 6"):
        tl.append(Batches(9, 0, 1, 10, np.zeros(1), np.zeros(1), [9], [row(9)]))


def test_appending_requires_the_blocks_last_weights():
    tl = started(100)
    with pytest.raises(ValueError, match="last batch"):
        tl.append(Batches(1, 0, 1, 10, np.zeros(2), np.zeros(2), [1], [row(1)]))


def test_flatten_network_matches_the_moment_layout():
    net = Network.from_arrays([np.arange(784 * 2, dtype=np.float32).reshape(784, 2), np.ones((2, 10), np.float32)],
                              [np.array([5, 6], np.float32), np.zeros(10, np.float32)])
    tl = Timeline()
    tl.extend(net, 7)
    back = tl.latest.network
    assert tl.latest.step == 7 and back.same_architecture(net)
    for a, b in zip([*back.weights, *back.biases], [*net.weights, *net.biases], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(flatten_network(back), flatten_network(net))


def test_readers_see_consistent_moments_while_the_trainer_appends():
    tl = started(80, keep_first=10)
    errors = []

    def read():
        for _ in range(3000):
            last = tl.last_step
            m = tl.moment_at(np.random.randint(0, last + 1))
            if not np.all(m.network.weights[0] == m.step):
                errors.append(m.step)
            metrics = tl.metrics()
            if not np.array_equal(metrics.loss, metrics.step.astype(np.float32)):
                errors.append("metrics")

    reader = threading.Thread(target=read)
    reader.start()
    feed(tl, 3000, per_epoch=300, block=3, every_row=False, trainer_like=True)
    reader.join()
    assert not errors


def test_memory_is_reused_once_the_budget_is_full():
    tl = started(30, keep_first=4)
    feed(tl, 100, per_epoch=1000)
    reserved = tl.reserved_nbytes
    assert reserved <= tl.budget
    feed(tl, 2000, per_epoch=1000)
    assert tl.reserved_nbytes == reserved, "the recording kept allocating past its budget"
    for s in tl.steps():
        assert np.all(tl.moment_at(s).network.biases[0] == s)


def test_moments_read_before_thinning_keep_their_weights():
    tl = started(10, keep_first=2)
    feed(tl, 8, per_epoch=1000)
    early = [tl.moment_at(s) for s in range(9)]
    feed(tl, 500, per_epoch=1000)  # thinning reuses the memory of dropped moments
    for m in early:
        assert np.all(m.network.weights[0] == m.step)


def test_an_export_sees_its_rows_unchanged_while_recording_goes_on():
    tl = started(10, keep_first=2)
    feed(tl, 9, per_epoch=1000)
    with tl.export() as (header, arrays, rows):
        feed(tl, 300, per_epoch=1000)  # thins and records over dropped moments meanwhile
        for s, r in zip(arrays["moment_steps"], rows, strict=True):
            assert np.all(r == s)
    assert header["layer_sizes"] == list(SIZES) and list(arrays["moment_steps"]) == list(range(10))
    feed(tl, 300, per_epoch=1000)
    assert tl.reserved_nbytes <= tl.budget + 2 * ROW_BYTES  # the held-back rows are reused after it


def test_bounds_and_recorded_step_answer_like_the_steps_without_copying_them():
    assert Timeline(10_000).bounds() is None
    tl = started(100, keep_first=20)
    feed(tl, 1003, per_epoch=50, every_row=False)
    steps = tl.steps()
    assert tl.bounds() == (int(steps[0]), int(steps[-1]))
    for step in (-5, 0, 20, 21, 333, 999, 1003, 5000):
        assert tl.recorded_step(step) == tl.moment_at(step).step


class _CountingLock:
    """A lock that counts its acquisitions and says whether it is held (as threading.Lock does)."""

    def __init__(self):
        self._lock, self.acquired = threading.Lock(), 0

    def __enter__(self):
        self._lock.acquire()
        self.acquired += 1
        return self

    def __exit__(self, *exc):
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()


def test_reserving_memory_lets_readers_in_between_slabs():
    timeline = Timeline(64 << 20)
    lock = timeline._lock = _CountingLock()
    timeline.reserve(1_000, 13_002)  # 52 MB: 26 slabs of 2 MB
    assert timeline.reserved_nbytes >= 1_000 * 13_002 * 4
    assert lock.acquired >= 26  # one slab per hold, not the whole reservation in one
    assert not timeline.busy


def test_busy_says_when_another_thread_holds_the_recording():
    timeline = Timeline()
    inside, leave = threading.Event(), threading.Event()

    def hold():
        with timeline._lock:
            inside.set()
            leave.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    inside.wait(10)
    try:
        assert timeline.busy
    finally:
        leave.set()
        worker.join(10)
    assert not timeline.busy


@pytest.mark.parametrize("budget", [1000, 60])  # every row kept; thinned (the slow path, row by row)
def test_rows_given_as_column_parts_are_recorded_as_the_same_flat_rows(budget):
    from visualizer.core.slabs import RowParts

    rng = np.random.default_rng(3)
    bounds = np.cumsum([0, 784 * 2, 2, 2 * 10, 10])  # the kernels and biases of a 784-2-10 row
    flat_tl, parts_tl = started(budget, keep_first=20), started(budget, keep_first=20)
    step = 0
    for n in [7] * 40 + [3, 1]:
        steps = list(range(step + 1, step + n + 1))
        stride, keep_until = flat_tl.capture_plan()
        captured = [s for s in steps if s <= keep_until or s % stride == 0 or s == steps[-1]]
        rows = rng.standard_normal((len(captured), bounds[-1])).astype(np.float32)
        parts = RowParts([rows[:, a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
        for tl, weights in ((flat_tl, [rows]), (parts_tl, [parts])):
            tl.append(Batches(first_step=step + 1, epoch=0, first_batch=step + 1, batches_per_epoch=10_000,
                              loss=np.ones(n, np.float32), accuracy=np.ones(n, np.float32),
                              weight_steps=captured, weights=weights))
        step += n
    np.testing.assert_array_equal(parts_tl.steps(), flat_tl.steps())
    assert (budget < 100) == (flat_tl.stride > 1)
    for s in flat_tl.steps():
        np.testing.assert_array_equal(flatten_network(parts_tl.moment_at(s).network),
                                      flatten_network(flat_tl.moment_at(s).network))
    assert parts_tl.nbytes == flat_tl.nbytes


def test_row_parts_must_have_the_same_number_of_rows():
    from visualizer.core.slabs import RowParts

    with pytest.raises(ValueError, match="same number of rows"):
        RowParts([np.zeros((3, 4)), np.zeros((2, 4))])
    parts = RowParts([np.arange(6.0).reshape(3, 2), np.arange(3.0).reshape(3, 1) + 10])
    assert parts.shape == (3, 3) and len(parts) == 3
    np.testing.assert_array_equal(parts[1], [2.0, 3.0, 11.0])
    np.testing.assert_array_equal(np.array(list(parts[np.array([True, False, True])])), [[0, 1, 10], [4, 5, 12]])
