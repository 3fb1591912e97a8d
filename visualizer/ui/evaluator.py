"""Test-set evaluation off the GUI thread: one numpy pass at a time, the newest request wins.

Evaluating 10,000 digits takes ~30-65 ms of numpy, and a fast run ends several epochs a second;
done in the GUI thread that stalled the event loop at every epoch end. Here a plain Python thread
runs :func:`visualizer.core.confusion.evaluate` and never touches Qt: it only fills a
``concurrent.futures.Future``, which a GUI-thread timer collects. So nothing can emit into a
widget that is already gone, and a browser closed mid-evaluation needs no thread joined.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from visualizer.core.confusion import evaluate

POLL_MS = 15  # how often a running evaluation is checked for its result
# Seconds between the starts of two throttled evaluations (epoch ends while training: a fast run
# ends several epochs a second, and each pass also wakes numpy's BLAS threads, which then spin and
# take CPU from training and the GUI). The last request is always evaluated, just later.
MIN_INTERVAL = 1.0


def _run(future: Future, snapshot, x: np.ndarray, y: np.ndarray) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(evaluate(snapshot.weights, snapshot.biases, snapshot.activation, x, y))
    except BaseException as exc:  # handed over to the GUI thread, which reports it
        future.set_exception(exc)


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
        self._delay = QTimer(self)
        self._delay.setSingleShot(True)
        self._delay.timeout.connect(self._start_next)
        self._x = np.zeros((0, 784), np.float32)
        self._y = np.zeros(0, np.int64)
        self._generation = 0  # bumped by set_data: results computed on older data are dropped
        self._pending = None  # the newest snapshot waiting for the running evaluation to end
        self._running: tuple[Future, object, int, threading.Thread] | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._collect)

    def set_data(self, x: np.ndarray, y: np.ndarray) -> None:
        """Evaluate on these samples from now on; a result still computed on the old ones is dropped."""
        self._x, self._y = x, y
        self._generation += 1
        self._pending = None

    def request(self, snapshot, *, throttled: bool = False) -> None:
        """Evaluate ``snapshot`` as soon as the thread is free (replacing any request still waiting).

        ``throttled``: also wait until ``min_interval`` seconds have passed since the last
        evaluation started (epoch ends during a run); an unthrottled request cancels that wait.
        """
        self._pending = snapshot
        self._throttled = throttled
        if self._running is None:
            self._start_next()

    def busy(self) -> bool:
        """True while an evaluation runs or waits."""
        return self._running is not None or self._pending is not None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the running evaluation's thread ends (shutdown); True when none is left running."""
        if self._running is None:
            return True
        thread = self._running[3]
        thread.join(timeout)
        return not thread.is_alive()

    def _start_next(self) -> None:
        if self._running is not None:
            return
        if self._pending is None:
            self._poll.stop()
            return
        wait = self._started_at + self.min_interval - time.monotonic() if self._throttled else 0.0
        if wait > 0:
            self._poll.stop()
            self._delay.start(max(1, int(wait * 1000)))
            return
        self._delay.stop()
        snapshot, self._pending = self._pending, None
        self._started_at = time.monotonic()
        future: Future = Future()
        thread = threading.Thread(target=_run, args=(future, snapshot, self._x, self._y),
                                  name="nnviz-evaluate", daemon=True)
        self._running = (future, snapshot, self._generation, thread)
        thread.start()
        self._poll.start()

    def _collect(self) -> None:
        if self._running is None or not self._running[0].done():
            return
        future, snapshot, generation, _thread = self._running
        self._running = None
        # A request from a newer run (Reset, Import) makes this result wrong, not just old: drop
        # it rather than show the previous network's matrix until the new one is computed.
        newer = self._pending
        superseded = newer is not None and getattr(newer, "run_id", None) != getattr(snapshot, "run_id", None)
        self._start_next()  # the next one computes while this result is being shown
        if generation != self._generation or superseded:
            return
        error = future.exception()
        if error is not None:
            self.failed.emit(snapshot, error)
        else:
            self.evaluated.emit(snapshot, future.result())
