"""TrainingControl: pause, resume, step, stop and pace requests from the GUI thread to the training thread."""

from __future__ import annotations

import math
import threading

RUN, PAUSE, STOP = 0, 1, 2  # values of the in-graph halt flag
MAX_PACE = 1_000_000.0  # batches per second; anything faster is full speed anyway


class TrainingControl:
    """Requests from the GUI thread to a running :class:`~visualizer.training.trainer.Trainer`.

    All methods are thread-safe and return at once. While a Trainer runs, pause and stop are also
    written to a TensorFlow variable that the compiled loop reads before every batch, so they take
    effect after the batch in progress (well under a millisecond for the default network).
    That variable write (a few microseconds, never blocked by the running graph) is the only
    TensorFlow call ``pause``/``resume``/``stop`` make in the caller's thread. Every request also
    wakes a trainer that is waiting (paused, or between paced batches), so it acts at once.
    """

    def __init__(self, pace: float | None = None):
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._paused = False
        self._stop = False
        self._abandoned = False
        self._steps = 0
        self._pace = _checked_pace(pace)
        self._pace_changes = 0
        self._flag = None  # tf.Variable while a Trainer runs

    # --- GUI side -------------------------------------------------------------------------
    def pause(self) -> None:
        """Pause after the batch in progress (steps asked for while running are dropped)."""
        self._update(paused=True)

    def resume(self) -> None:
        """Continue training after a pause."""
        self._update(paused=False)

    def stop(self) -> None:
        """End the run after the batch in progress, paused or not; it cannot be undone."""
        self._update(stop=True)

    def abandon(self) -> None:
        """:meth:`stop`, and skip the final test-set evaluation: nobody will read the result
        (the window is closing), and for a big network it takes longer than the rest of the stop."""
        self._abandoned = True
        self._update(stop=True)

    @property
    def abandoned(self) -> bool:
        """True once :meth:`abandon` was called."""
        return self._abandoned

    def step(self, n: int = 1) -> None:
        """While paused (or before a ``start_paused`` run begins): run exactly ``n`` more batches,
        then stay paused. Requests add up. While running it only adds a snapshot after ``n`` batches."""
        if n < 1:
            return
        with self._lock:
            if not self._stop:
                self._steps += int(n)
                self._wake.set()

    def set_pace(self, batches_per_second: float | None) -> None:
        """Train at most this many batches per second (None: full speed); takes effect at once.

        At up to 30 batches per second every batch gets its own snapshot, so every batch can be
        drawn. Steps asked for while paused are not paced.
        """
        pace = _checked_pace(batches_per_second)
        with self._lock:
            self._pace = pace
            self._pace_changes += 1
            self._wake.set()

    @property
    def pace(self) -> float | None:
        """Batches per second asked for, None for full speed."""
        return self._pace

    @property
    def paused(self) -> bool:
        """True while a pause is requested."""
        return self._paused

    @property
    def stop_requested(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop

    # --- training side --------------------------------------------------------------------
    def _update(self, *, paused: bool | None = None, stop: bool | None = None, keep_steps: bool = False) -> None:
        with self._lock:
            if paused is not None:
                if paused != self._paused and not keep_steps:
                    self._steps = 0  # steps asked for while running don't run after a pause
                self._paused = paused
            if stop:
                self._stop = True
            self._sync_flag()
            self._wake.set()

    def _sync_flag(self) -> None:
        # Called with the lock held, so the flag and the Python state never disagree for long.
        if self._flag is not None:
            self._flag.assign(STOP if self._stop else PAUSE if self._paused else RUN)

    def _attach(self, flag) -> None:
        with self._lock:
            self._flag = flag
            self._sync_flag()

    def _detach(self) -> None:
        with self._lock:
            self._flag = None

    def _has_work(self) -> bool:
        with self._lock:
            return self._stop or self._steps > 0 or not self._paused

    def _pace_state(self) -> tuple[float | None, int]:
        """The pace and a counter that changes whenever it is set (so a schedule can restart)."""
        with self._lock:
            return self._pace, self._pace_changes

    def _wait(self, seconds: float, pace_changes: int) -> None:
        """Sleep up to ``seconds``; any request (pause, stop, step, pace) ends the wait early.

        ``pace_changes`` is the counter the caller planned with: a pace set since then returns at once.
        """
        with self._lock:
            if self._stop or self._steps or self._paused or pace_changes != self._pace_changes:
                return
            self._wake.clear()  # under the lock: a request made after this point sets it again
        self._wake.wait(max(0.0, seconds))

    def _next(self) -> tuple[str, int]:
        """Block while paused; return ("stop", 0), ("step", n) or ("run", 0)."""
        while True:
            with self._lock:
                if self._stop:
                    return "stop", 0
                if self._steps:
                    n, self._steps = self._steps, 0
                    return "step", n
                if not self._paused:
                    return "run", 0
                self._wake.clear()
            self._wake.wait()


def _checked_pace(value: float | None) -> float | None:
    if value is None:
        return None
    pace = float(value)
    if not (math.isfinite(pace) and 0 < pace):
        raise ValueError(f"the pace must be a positive number of batches per second, not {value!r}")
    return min(pace, MAX_PACE)
