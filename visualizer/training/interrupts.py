"""Hold Ctrl+C (and SIGTERM) across a call into a C library, then deliver it once the library has returned."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["interrupts_held"]


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Deliver SIGINT/SIGTERM only when the block has finished (main thread, Python handlers only).

    A KeyboardInterrupt raised inside h5py's write callbacks or TensorFlow's import comes out
    as an unrelated error (e.g. "TypeError: Operation not defined for data type class"), and one
    raised inside ``subprocess.Popen`` leaves the started child running. Held until the block
    ends, the signal reaches its handler right after (the default SIGINT handler raises
    KeyboardInterrupt there). Signals whose handler is not a Python function (default action,
    ignored) and calls from other threads, which never receive signals, are left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: dict[int, object] = {}
    previous = {}
    for signum in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if signum is not None and callable(handler := signal.getsignal(signum)):
            previous[signum] = handler
            signal.signal(signum, lambda number, frame: pending.setdefault(number, frame))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum, frame in pending.items():
            previous[signum](signum, frame)
