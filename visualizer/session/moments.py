"""The moment shown: a cursor on the run's timeline, the snapshot it stands for, and replay at a chosen pace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from visualizer.core.history import HistoryView, history_from_metrics
from visualizer.core.snapshot import SnapshotEvent, TrainingSnapshot
from visualizer.core.timeline import Moment, Timeline

# Replay and training speeds offered to the user, in batches per second (None: as fast as it goes).
PACES: tuple[float | None, ...] = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, None)
DEFAULT_PACE = 100.0  # a new user's first epoch of full MNIST (1,875 batches) unfolds in ~19 s


def pace_text(pace: float | None) -> str:
    """'100 batches/s', '1 batch/s' or 'Full speed'."""
    if pace is None:
        return "Full speed"
    return f"{pace:g} batch{'es' if pace != 1 else ''}/s"


def snapshot_of(moment: Moment, like: TrainingSnapshot | None, run_id: int) -> TrainingSnapshot:
    """The recorded ``moment`` as a snapshot the views can draw (marked ``replayed``).

    ``like`` (the newest snapshot) lends the run's length, so progress texts read the same.
    """
    return TrainingSnapshot(
        run_id=run_id, step=moment.step, epoch=moment.epoch, batch=moment.batch,
        epochs=like.epochs if like is not None else 0,
        batches_per_epoch=like.batches_per_epoch if like is not None else 0,
        network=moment.network,
        metrics={"loss": _finite(moment.loss), "accuracy": _finite(moment.accuracy),
                 "val_loss": moment.val_loss, "val_accuracy": moment.val_accuracy},
        event=SnapshotEvent.EPOCH_END if moment.is_epoch_end else SnapshotEvent.BATCH,
        replayed=True,
    )


def _finite(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


class Cursor:
    """Which moment of a timeline every view shows: None is "live" (the newest snapshot).

    Moving it never stops training. A step between recorded moments shows the nearest recorded
    one before it (the recording thins long runs; every batch's metrics are kept regardless).
    """

    def __init__(self):
        self.timeline: Timeline | None = None
        self.step: int | None = None  # None: live
        # ((moment key, (timeline, version, cursor, run) key), snapshot): the snapshot shown, built once per moment
        self._cache: tuple[tuple, TrainingSnapshot] | None = None
        self._history: tuple[tuple, HistoryView] | None = None

    @property
    def live(self) -> bool:
        return self.step is None or self.timeline is None

    def reset(self, timeline: Timeline | None) -> None:
        self.timeline, self.step, self._cache, self._history = timeline, None, None, None

    def bounds(self) -> tuple[int, int] | None:
        """(first, last) recorded step, None before anything is recorded."""
        return None if self.timeline is None else self.timeline.bounds()

    def clamp(self, step: int | None) -> int | None:
        """``step`` within the recording; None (live) for the newest step or past it."""
        b = self.bounds()
        if step is None or b is None:
            return None
        step = int(step)
        return None if step >= b[1] else max(step, b[0])

    def shown(self, latest: TrainingSnapshot | None, run_id: int) -> TrainingSnapshot | None:
        """The snapshot the cursor stands for (``latest`` when live)."""
        if self.live:
            return latest
        t = self.timeline
        # Same cursor, same recording: the same snapshot, found without touching the timeline.
        fast = (id(t), t.version, self.step, run_id)
        if self._cache is not None and self._cache[0][1] == fast:
            return self._cache[1]
        key = (id(t), self._recorded_step(self.step), run_id)
        if self._cache is None or self._cache[0][0] != key:
            self._cache = ((key, fast), snapshot_of(t.moment_at(self.step), latest, run_id))
        else:
            self._cache = ((key, fast), self._cache[1])
        return self._cache[1]

    def _recorded_step(self, step: int) -> int:
        # Every view asks for the moment shown several times a frame: no copy of the steps here.
        return self.timeline.recorded_step(step)

    def history(self, fallback: HistoryView | None) -> HistoryView | None:
        """The whole recording's curves (every run that continued it), else ``fallback``."""
        t = self.timeline
        if t is None or t.batch_count == 0:
            return fallback
        key = (id(t), t.version)
        if self._history is None or self._history[0] != key:
            self._history = (key, history_from_metrics(t.metrics()))
        return self._history[1]

    def epoch_step(self, step: int, epochs: int) -> int | None:
        """The step ``epochs`` epoch ends after (negative: before) ``step``; None past the end."""
        ends = [int(s) for s in self.timeline.epoch_end_steps()] if self.timeline is not None else []
        b = self.bounds()
        if b is None:
            return None
        marks = sorted({b[0], *ends, b[1]})
        i = int(np.searchsorted(marks, step, side="right" if epochs > 0 else "left"))
        j = i + epochs - (1 if epochs > 0 else 0)
        return marks[min(max(j, 0), len(marks) - 1)]


class Rest:
    """Says when a moving cursor comes to rest, so costly analyses run once per rest, not per move.

    The neuron analysis and the test-set evaluation of the moment shown take tens of milliseconds
    on another core; started on every move of a drag or replay frame they competed with the
    drawing for the CPU and their answers were stale on arrival. :meth:`due` is True once the cursor
    has stood still for ``rest`` seconds, or has kept moving for ``max_wait`` (a replay still gets
    an analysis a second, like a training run's epoch ends). Tested with a fake clock.
    """

    def __init__(self, clock: Callable[[], float], rest: float = 0.2, max_wait: float = 1.0):
        self._clock = clock
        self.rest, self.max_wait = rest, max_wait
        self._first: float | None = None  # when the cursor first moved since the last rest
        self._last = 0.0

    @property
    def moving(self) -> bool:
        return self._first is not None

    def moved(self) -> None:
        now = self._clock()
        if self._first is None:
            self._first = now
        self._last = now

    def due(self) -> bool:
        """True (once) when the cursor has rested, or moved for ``max_wait``, since it last moved."""
        if self._first is None:
            return False
        now = self._clock()
        if now - self._last >= self.rest or now - self._first >= self.max_wait:
            self._first = None
            return True
        return False


class Replay:
    """Plays the recording from the cursor at ``pace`` batches per second; tested with a fake clock.

    ``tick(now)`` is called by a display-rate timer; it returns the step to show (or None when
    nothing changed). At the end it stops, or with ``loop`` starts again from the first moment.
    """

    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self.playing = False
        self.pace: float = 10.0
        self.loop = False
        self._position = 0.0  # fractional step being shown
        self._last = 0.0

    def start(self, from_step: int) -> None:
        self.playing = True
        self._position = float(from_step)
        self._last = self._clock()

    def stop(self) -> None:
        self.playing = False

    def set_pace(self, pace: float | None) -> None:
        """Batches of the recording per second (None, 'full speed', means 1,000 here)."""
        self.pace = 1000.0 if pace is None else float(pace)

    def tick(self, bounds: tuple[int, int] | None) -> int | None:
        if not self.playing or bounds is None:
            return None
        now = self._clock()
        self._position += (now - self._last) * self.pace
        self._last = now
        first, last = bounds
        if self._position >= last:
            if self.loop:
                self._position = float(first)
            else:
                self.playing = False
                return last
        return int(self._position)


def with_network(snap: TrainingSnapshot, network) -> TrainingSnapshot:
    """``snap`` drawing another network (e.g. the weight change of a moment), everything else kept."""
    return replace(snap, network=network)
