"""Pacer: the schedule of a paced run -- how many batches to run now, or how long to wait first."""

from __future__ import annotations

import math

FRAME_SECONDS = 1 / 30  # a paced run hands over one snapshot per frame at most
CATCH_UP_SECONDS = 0.5  # a stall up to this long (an epoch end's test pass, a busy machine) is made up


class Pacer:
    """Batch ``k`` (counted from the last restart) is due at ``t0 + k / rate``; batch 0 at once.

    The schedule is absolute, so waits that end late or early do not add up: over any stretch
    the achieved rate is the asked one. Batches are run in groups of ``rate / 30`` (one at up to
    30 batches/s), one group per graph call as soon as its first batch is due, so a fast pace
    still hands over about 30 snapshots a second. A run that fell behind (the epoch end's test
    pass takes 40-150 ms, longer than a group at 1000 batches/s) catches up in calls of at most
    two groups (one batch at up to 30 batches/s, so each batch still gets its snapshot); one that
    falls more than :data:`CATCH_UP_SECONDS` (and two groups) behind -- the network cannot go that
    fast, or the machine stalled -- drops the backlog instead of rushing to catch up. Time comes
    from the caller: the pacer reads no clock, so it is tested with made-up times.
    """

    def __init__(self, rate: float, now: float):
        self.rate = float(rate)
        self.group = max(1, round(self.rate * FRAME_SECONDS))
        self.most = 2 * self.group if self.group > 1 else 1  # batches per call while catching up
        self.backlog = max(2 * self.group, self.rate * CATCH_UP_SECONDS)  # batches behind that are made up
        self.restart(now)

    def restart(self, now: float) -> None:
        """Start the schedule afresh at ``now`` (after a pause, a step or a change of pace)."""
        self._t0 = float(now)
        self._done = 0

    def due(self, now: float) -> int:
        """Batches whose time has come and that have not run yet."""
        return math.floor((now - self._t0) * self.rate + 1e-9) + 1 - self._done

    def plan(self, now: float) -> tuple[int, float]:
        """``(batches, 0.0)`` to run now, or ``(0, seconds)`` to wait before asking again."""
        due = self.due(now)
        if due > self.backlog:  # too far behind: forget the backlog, the next batch is due now
            self._t0 = now - self._done / self.rate
            due = 1
        if due >= 1:
            return min(max(due, self.group), self.most), 0.0
        return 0, max(self._t0 + self._done / self.rate - now, 0.0)

    def ran(self, batches: int) -> None:
        """Count ``batches`` as done."""
        self._done += int(batches)
