"""Pace: the schedule with made-up times, and the trainer at a pace on a fake clock (no timing thresholds)."""

from __future__ import annotations

import math

import pytest

from visualizer.core.config import TrainingConfig
from visualizer.core.snapshot import SnapshotEvent
from visualizer.training.control import TrainingControl
from visualizer.training.pace import Pacer
from visualizer.training.trainer import Trainer

SMALL = TrainingConfig(batch_size=10, epochs=2)  # 100 samples -> 10 batches per epoch


class FakeClock:
    """Time that moves only when the trainer waits."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


def simulate(rate: float, batches: int, seconds_per_batch: float = 0.0, stall: tuple[int, float] = (0, 0.0),
             calls: list | None = None) -> float:
    """Run ``batches`` batches through a Pacer; return the time the last one started.

    ``stall``: (batches, seconds) -- the first call after that many batches starts that much
    later (an epoch end's test pass). ``calls`` collects each call's batches.
    """
    now, done, started = 0.0, 0, []
    pacer = Pacer(rate, now)
    stall_at, stall_seconds = stall
    while done < batches:
        n, wait = pacer.plan(now)
        if not n:
            now += wait
            continue
        if stall_seconds and done >= stall_at:
            now += stall_seconds
            stall_seconds = 0.0
            continue  # ask again: the stall came between the plan and the call
        n = min(n, batches - done)
        if calls is not None:
            calls.append(n)
        started += [now + i * seconds_per_batch for i in range(n)]
        now += n * seconds_per_batch
        pacer.ran(n)
        done += n
    return started[-1]


@pytest.mark.parametrize("rate", [1, 10, 100, 1000])
def test_the_schedule_keeps_the_rate(rate):
    batches = 10 * max(rate, 30)
    group = Pacer(rate, 0.0).group  # a group's batches start together, up to a group early
    assert simulate(rate, batches) == pytest.approx((batches - 1) / rate, abs=group / rate)


def test_slow_batches_make_the_pace_as_fast_as_they_can_go():
    # 100 batches/s asked of a network that needs 20 ms a batch: 50 batches/s, no burst to catch up.
    last = simulate(100, 500, seconds_per_batch=0.02)
    assert last == pytest.approx(499 * 0.02)


@pytest.mark.parametrize(("rate", "stall"), [(1000, 0.15), (1000, 0.45), (100, 0.3), (10, 0.4)])
def test_a_stall_is_made_up_so_the_rate_stays_the_asked_one(rate, stall):
    # An epoch end's test pass takes 40-150 ms: longer than two groups at 1000 batches/s.
    batches = 3 * rate
    calls = []
    last = simulate(rate, batches, stall=(rate, stall), calls=calls)
    group = Pacer(rate, 0.0).group
    assert last == pytest.approx((batches - 1) / rate, abs=group / rate)
    assert max(calls) <= max(2 * group, 1 if group == 1 else 0)  # caught up in calls of two groups at most


def test_a_long_stall_drops_the_backlog():
    # 2 s behind at 1000 batches/s: no burst of 2,000 batches; the schedule restarts after it.
    batches = 3000
    last = simulate(1000, batches, stall=(1000, 2.0))
    assert last == pytest.approx((batches - 1) / 1000 + 2.0, abs=0.05)


def test_up_to_30_per_second_a_late_run_catches_up_one_batch_per_call():
    pacer = Pacer(10, 0.0)
    pacer.ran(1)
    assert pacer.plan(0.35) == (1, 0.0)  # batches 1, 2 and 3 are due: one at a time, each its own snapshot
    pacer.ran(1)
    assert pacer.plan(0.35) == (1, 0.0)


def test_up_to_30_per_second_every_batch_is_its_own_call():
    pacer = Pacer(30, 0.0)
    assert pacer.group == 1 and pacer.plan(0.0) == (1, 0.0)
    pacer.ran(1)
    n, wait = pacer.plan(0.0)
    assert n == 0 and wait == pytest.approx(1 / 30)
    assert Pacer(100, 0.0).group == 3 and Pacer(1000, 0.0).group == 33


def test_late_wakeups_do_not_add_up():
    pacer = Pacer(10, 0.0)
    pacer.ran(1)
    assert pacer.plan(0.13) == (1, 0.0)  # woke 30 ms late for batch 1
    pacer.ran(1)
    n, wait = pacer.plan(0.13)
    assert n == 0 and wait == pytest.approx(0.07)  # batch 2 is still due at 0.2


def test_the_trainer_runs_at_the_pace_and_snapshots_every_batch(tiny_dataset, recorder):
    clock = FakeClock()
    control = TrainingControl(pace=10)
    Trainer(SMALL, tiny_dataset, clock=clock, sleep=clock.sleep).run(recorder, control)
    assert [s.step for s in recorder.snapshots if s.event is SnapshotEvent.BATCH] == list(range(1, 21))
    assert clock.now == pytest.approx(1.9)  # batch k starts at k / 10 s


def test_a_fast_pace_hands_over_about_30_snapshots_a_second(make_data, recorder):
    clock = FakeClock()
    data = make_data(n_train=3000)
    control = TrainingControl(pace=300)
    Trainer(TrainingConfig(batch_size=10, epochs=1), data, clock=clock, sleep=clock.sleep).run(recorder, control)
    calls = [s for s in recorder.snapshots if s.event is SnapshotEvent.BATCH]
    assert clock.now == pytest.approx(299 / 300, abs=10 / 300)
    assert 25 <= len(calls) <= 31 and all(b.step - a.step == 10 for a, b in zip(calls, calls[1:], strict=False))


def test_the_pace_changes_while_running(tiny_dataset, recorder):
    clock = FakeClock()
    control = TrainingControl(pace=10)

    def on_snapshot(snapshot):
        recorder(snapshot)
        if snapshot.step == 10 and snapshot.event is SnapshotEvent.EPOCH_END:
            control.set_pace(2)

    Trainer(SMALL, tiny_dataset, clock=clock, sleep=clock.sleep).run(on_snapshot, control)
    # 10 batches at 10/s (0.9 s), then the next 10 restart at 2/s (4.5 s after the change)
    assert clock.now == pytest.approx(0.9 + 4.5)


def test_full_speed_again_does_not_wait(tiny_dataset, recorder):
    clock = FakeClock()
    control = TrainingControl(pace=1)

    def on_snapshot(snapshot):
        if snapshot.step == 2:
            control.set_pace(None)

    Trainer(SMALL, tiny_dataset, clock=clock, sleep=clock.sleep).run(on_snapshot, control)
    assert clock.now == pytest.approx(1.0)  # one wait, before batch 2


def test_a_paced_eta_counts_the_pace(tiny_dataset, recorder):
    clock = FakeClock()
    Trainer(SMALL, tiny_dataset, clock=clock, sleep=clock.sleep).run(recorder, TrainingControl(pace=4))
    fifth = next(s for s in recorder.snapshots if s.step == 5)
    assert fifth.metrics["eta_seconds"] == pytest.approx(15 / 4)


def test_stop_ends_a_long_wait_at_once(tiny_dataset, recorder, run_in_thread):
    control = TrainingControl(pace=0.01)  # one batch every 100 s
    run = run_in_thread(Trainer(SMALL, tiny_dataset), recorder, control)
    recorder.wait_for(lambda s: s.step == 1)
    control.stop()
    assert run.join(timeout=30).batches == 1  # without the wake-up it would wait 100 s


def test_pause_and_step_work_at_a_pace(tiny_dataset, recorder, run_in_thread):
    control = TrainingControl(pace=0.01)
    run = run_in_thread(Trainer(SMALL, tiny_dataset), recorder, control)
    recorder.wait_for(lambda s: s.step == 1)
    control.pause()
    control.step(3)  # a step is not paced
    recorder.wait_for(lambda s: s.step == 4)
    control.stop()
    assert run.join(timeout=30).batches == 4


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf])
def test_a_pace_must_be_a_positive_number(bad):
    with pytest.raises(ValueError, match="positive number of batches per second"):
        TrainingControl().set_pace(bad)
