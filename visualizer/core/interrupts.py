"""Stop signals (Ctrl+C, SIGTERM, SIGHUP): one exception for all three, and sections that hold them back.

A terminal command treats the three alike: Ctrl+C in the terminal, ``kill`` (SIGTERM) and a
closed terminal (SIGHUP) all mean "stop". :func:`handled` routes them to a function while a block
runs; :func:`deferred` holds them back while a short critical step (an import, an atomic write)
finishes, then hands the first one to whatever handler was in place before. Signals the process
was started with ignored (``nohup``, a shell's background job) stay ignored. Python runs signal
handlers only in the main thread, so in any other thread both are no-ops.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator

__all__ = ["STOP_SIGNALS", "Interrupted", "deferred", "exit_code", "handled", "interrupted_text", "signal_name"]

STOP_SIGNALS: tuple[int, ...] = tuple(
    int(getattr(signal, name)) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived; ``signum`` says which. A KeyboardInterrupt, so Ctrl+C code catches it."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signum)
        self.signum = int(signum)


def exit_code(signum: int) -> int:
    """The exit code a shell reports for a command stopped by ``signum``: 128 + its number (Ctrl+C: 130)."""
    return 128 + int(signum)


def signal_name(signum: int) -> str:
    """'SIGTERM' for 15; the number as text for a signal this platform does not name."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)


def interrupted_text(signum: int) -> str:
    """'interrupted' for Ctrl+C, 'interrupted (SIGTERM)' for the others: what the CLI says on leaving."""
    return "interrupted" if signum == signal.SIGINT else f"interrupted ({signal_name(signum)})"


@contextlib.contextmanager
def handled(handler: Callable[[int], None]) -> Iterator[dict[int, object]]:
    """While inside, each stop signal calls ``handler(signum)`` (in the main thread, between bytecodes).

    Yields the handlers that were in place (signal number -> handler), which are restored on exit.
    Signals that are ignored stay ignored. Outside the main thread nothing changes.
    """
    previous: dict[int, object] = {}
    if threading.current_thread() is not threading.main_thread():
        yield previous
        return

    def on_signal(signum, _frame):
        handler(signum)

    try:
        for signum in STOP_SIGNALS:
            old = signal.getsignal(signum)
            if old in (signal.SIG_IGN, None):  # None: set outside Python, so it could not be restored
                continue
            signal.signal(signum, on_signal)
            previous[signum] = old
        yield previous
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold stop signals back until the block has finished, then deliver the first one.

    For steps that are short and must not be cut in half: the TensorFlow import (an interrupted
    import leaves half-initialised modules behind) and the atomic write of a file. The signal goes
    to the handler that was in place before: a Python handler is called (Ctrl+C's default one
    raises KeyboardInterrupt), a default action is taken by sending the signal again. When the
    block raises, its exception wins and the held signal is dropped.
    """
    received: list[int] = []
    with handled(received.append) as previous:
        yield
    if not received:
        return
    signum = received[0]
    old = previous.get(signum)
    if callable(old):
        old(signum, None)
    else:  # SIG_DFL: what the signal would have done (end the process)
        os.kill(os.getpid(), signum)
