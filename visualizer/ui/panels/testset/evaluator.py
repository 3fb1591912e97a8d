"""Test-set evaluation off the GUI thread: one numpy pass at a time, the newest request wins.

Evaluating 10,000 digits takes ~30-65 ms of numpy, and a fast run ends several epochs a second;
done in the GUI thread that stalled the event loop at every epoch end. Here a one-worker executor
runs :func:`visualizer.core.confusion.evaluate` and a GUI-thread timer collects the finished
future, so the worker thread never touches Qt. (It used to hand the result over with superqt's
``ensure_main_thread`` from the future's done-callback, which creates a QObject in the plain
Python worker thread; a CI run crashed with a segmentation fault inside that callback.) A result
for a panel already closed is dropped.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from visualizer.core.confusion import evaluate
from visualizer.core.config import INPUT_SIZE

# Seconds between the starts of two throttled evaluations (epoch ends while training: a fast run
# ends several epochs a second, and each pass also wakes numpy's BLAS threads, which then spin and
# take CPU from training and the GUI). The last request is always evaluated, just later.
MIN_INTERVAL = 1.0
# Seconds a request of a moment looked at again (the timeline's cursor) waits for a newer one: a
# drag or a replay moves the cursor every frame, and an evaluation per move only competed with the
# drawing for the CPU to produce matrices already stale. A cursor that keeps moving still gets one
# evaluation each MAX_REST_WAIT seconds.
REST = 0.2
MAX_REST_WAIT = 1.0
# Milliseconds between two looks at a running evaluation from the GUI thread (it takes 30-65 ms).
POLL_MS = 10


def _evaluate(snapshot, x: np.ndarray, y: np.ndarray):
    return evaluate(snapshot.network, x, y)


class Evaluator(QObject):
    """Evaluates snapshots on one labelled set in a background thread, latest wins.

    Signals
    -------
    evaluated(object, object)
        ``(snapshot, EvalResult)`` in the GUI thread, for the newest snapshot requested when the
        previous evaluation ended (snapshots requested meanwhile and superseded are skipped).
    failed(object, object)
        ``(snapshot, exception)`` when an evaluation raised.
    """

    evaluated = Signal(object, object)
    failed = Signal(object, object)

    def __init__(self, parent: QObject | None = None, *, min_interval: float = MIN_INTERVAL):
        super().__init__(parent)
        self.min_interval = min_interval
        self._started_at = -1e9  # time.monotonic() when the last evaluation started
        self._throttled = False  # the pending request may wait for min_interval
        self._rest = 0.0  # the pending request waits until no newer one came for this long
        self._requested_at = self._waiting_since = 0.0  # time.monotonic() of the newest request, of the oldest waiting one
        self._delay = QTimer(self)
        self._delay.setSingleShot(True)
        self._delay.timeout.connect(self._start_next)
        self._x = np.zeros((0, INPUT_SIZE), np.float32)
        self._y = np.zeros(0, np.int64)
        self._generation = 0  # bumped by set_data: results computed on older data are dropped
        self._pending = None  # the newest snapshot waiting for the running evaluation to end
        self._running: tuple[Future, object, int] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nnviz-evaluate")
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check_running)
        self._closed = False

    def set_data(self, x: np.ndarray, y: np.ndarray) -> None:
        """Evaluate on these samples from now on; a result still computed on the old ones is dropped."""
        self._x, self._y = x, y
        self._generation += 1
        self._pending = None

    def request(self, snapshot, *, throttled: bool = False, rest: float = 0.0) -> None:
        """Evaluate ``snapshot`` as soon as the thread is free (replacing any request still waiting).

        ``throttled``: also wait until ``min_interval`` seconds have passed since the last
        evaluation started (epoch ends during a run); an unthrottled request cancels that wait.
        ``rest``: also wait until no newer request came for ``rest`` seconds (at most
        MAX_REST_WAIT seconds after the first request still waiting): the timeline's cursor.
        """
        now = time.monotonic()
        if self._pending is None:
            self._waiting_since = now
        self._pending = snapshot
        self._throttled = throttled
        self._rest, self._requested_at = rest, now
        if self._running is None:
            self._start_next()

    def busy(self) -> bool:
        """True while an evaluation runs or waits."""
        return self._running is not None or self._pending is not None

    def wait(self, timeout: float | None = None) -> bool:
        """Stop taking requests and wait for a running evaluation (shutdown); True when none is left running."""
        self._closed = True
        self._pending = None
        self._delay.stop()
        self._poll.stop()
        running = self._running
        self._executor.shutdown(wait=False, cancel_futures=True)
        if running is None:
            return True
        try:
            running[0].exception(timeout)
        except Exception:  # timed out or cancelled: either way nothing is delivered any more
            pass
        return running[0].done()

    def _start_next(self) -> None:
        if self._running is not None or self._pending is None or self._closed:
            return
        now = time.monotonic()
        wait = self._started_at + self.min_interval - now if self._throttled else 0.0
        if self._rest > 0:
            wait = max(wait, min(self._requested_at + self._rest, self._waiting_since + MAX_REST_WAIT) - now)
        if wait > 0:
            self._delay.start(max(1, int(wait * 1000)))
            return
        self._delay.stop()
        snapshot, self._pending = self._pending, None
        self._started_at = time.monotonic()
        future = self._executor.submit(_evaluate, snapshot, self._x, self._y)
        self._running = (future, snapshot, self._generation)
        self._poll.start()

    def _check_running(self) -> None:
        if self._running is None or self._closed:
            self._poll.stop()
        elif self._running[0].done():
            self._poll.stop()
            self._collect()

    def _collect(self) -> None:
        future, snapshot, generation = self._running
        self._running = None
        # A request from a newer run (Reset, Import) makes this result wrong, not just old: drop
        # it rather than show the previous network's matrix until the new one is computed.
        # So does any newer request after a moment looked at again: the cursor has moved on.
        newer = self._pending
        superseded = newer is not None and (getattr(newer, "run_id", None) != getattr(snapshot, "run_id", None)
                                            or getattr(snapshot, "replayed", False))
        self._start_next()  # the next one computes while this result is being shown
        if generation != self._generation or superseded:
            return
        error = future.exception()
        if error is not None:
            self.failed.emit(snapshot, error)
        else:
            self.evaluated.emit(snapshot, future.result())
