"""LatestWins: one background job of a kind at a time; the newest request waits, older waiting ones are dropped.

The neuron analysis is asked for at every epoch end, and a fast run ends several epochs a
second; a user clicks "What does a 3 look like?" and then "a 5" before the first is done. Both
want the same thing: never two computations of the kind at once (the machine has few cores and
training needs them), only the newest request waiting, and no stale answer shown over a newer
question. This is napari's layer-slicer pattern on the session's :class:`~visualizer.session.Jobs`.
"""

from __future__ import annotations

from collections.abc import Callable

from visualizer.session.events import Event


class LatestWins:
    """Runs ``fn(*args)`` through ``jobs``, one at a time, newest request next.

    Parameters
    ----------
    jobs
        The session's :class:`~visualizer.session.Jobs`.
    on_result, on_error
        ``on_result(tag, result)`` / ``on_error(tag, exception)`` in the session's thread, for a
        job whose answer still counts (see ``keeps``).
    keeps
        ``keeps(done_tag, waiting_tag)``: deliver a finished job's answer although a newer request
        waits? Default False: the newer question makes the old answer moot. The neuron analysis
        keeps an epoch's answer while the next epoch's waits, but not one from a previous run.

    Attributes
    ----------
    busy_changed : Event
        ``(bool)``: a job runs or waits / nothing does.
    """

    def __init__(self, jobs, *, on_result: Callable, on_error: Callable | None = None,
                 keeps: Callable[[object, object], bool] | None = None):
        self._jobs = jobs
        self._on_result = on_result
        self._on_error = on_error
        self._keeps = keeps or (lambda done, waiting: False)
        self._running: tuple[int, object] | None = None  # (token, tag)
        self._pending: tuple[object, Callable, tuple] | None = None
        self._token = 0
        self._cancelled = 0  # answers of jobs with a token up to this are dropped
        self._busy = False
        self._closed = False
        self.busy_changed = Event("busy_changed")
        self.started = 0  # jobs handed to ``jobs`` (the tests count them)

    @property
    def busy(self) -> bool:
        """A job whose answer will count runs, or a request waits (a cancelled job still running is not busy)."""
        running = self._running is not None and self._running[0] > self._cancelled
        return running or self._pending is not None

    @property
    def running_tag(self):
        return None if self._running is None else self._running[1]

    @property
    def pending_tag(self):
        return None if self._pending is None else self._pending[0]

    def request(self, tag, fn: Callable, *args) -> None:
        """Run ``fn(*args)`` now, or after the running job (replacing any request still waiting)."""
        if self._closed:
            return
        self._pending = (tag, fn, args)
        if self._running is None:
            self._start()
        self._update_busy()

    def cancel(self) -> None:
        """Drop the waiting request and the answer of the running job (a new network or dataset)."""
        self._pending = None
        self._cancelled = self._token
        self._update_busy()

    def close(self) -> None:
        """Take no more requests and drop every answer still to come (the application is closing)."""
        self._closed = True
        self.cancel()

    def _start(self) -> None:
        tag, fn, args = self._pending
        self._pending = None
        self._token += 1
        token = self._token
        self._running = (token, tag)
        self.started += 1
        # Fake jobs may answer before submit returns: _running is set first.
        self._jobs.submit(fn, *args, on_success=lambda result: self._done(token, result, None),
                          on_error=lambda exc: self._done(token, None, exc))

    def _done(self, token: int, result, error: BaseException | None) -> None:
        if self._running is None or self._running[0] != token:
            return
        tag = self._running[1]
        self._running = None
        waiting = self._pending
        if token > self._cancelled and (waiting is None or self._keeps(tag, waiting[0])):
            if error is None:
                self._on_result(tag, result)
            elif self._on_error is not None:
                self._on_error(tag, error)
        # Started after delivering, so answers arrive in request order even with synchronous jobs.
        if self._running is None and self._pending is not None:
            self._start()
        self._update_busy()

    def _update_busy(self) -> None:
        if self.busy != self._busy:
            self._busy = self.busy
            self.busy_changed.emit(self._busy)
