"""Event: a plain list of callbacks, the session's way of telling views that something changed."""

from __future__ import annotations

from collections.abc import Callable


class Event:
    """Callbacks called in order, in the caller's thread, with the arguments of :meth:`emit`.

    The session emits only from the GUI thread (the Runner and Jobs implementations deliver
    there), so a callback may touch widgets. A plain list rather than psygnal: the session needs
    connect/disconnect/emit and nothing else, and one dependency fewer is one thing less that can
    break the PySide6 refcount guard.
    """

    def __init__(self, name: str = ""):
        self.name = name
        self._callbacks: list[Callable[..., object]] = []

    def connect(self, callback: Callable[..., object]) -> Callable[..., object]:
        """Call ``callback(*args)`` on every emit; returns it (usable as a decorator)."""
        self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., object]) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)

    def __len__(self) -> int:
        return len(self._callbacks)

    def __repr__(self) -> str:
        return f"Event({self.name!r}, {len(self._callbacks)} callbacks)"
