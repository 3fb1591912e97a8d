"""Render scheduling: which view draws the newest snapshot on this tick (one per tick while training).

Snapshots arriving from the training thread are only stored; one QTimer draws them. While a run
goes, each tick updates only the view furthest behind its own rate among those due, so a frame costs
one view's paint, never all of them, and the event loop stays responsive (p99 lateness <= 20 ms
on a 2-core machine). Outside a run every stale view is drawn at once.

A view registered with ``rides_along=True`` (cheap: ~1 ms with its paint, like the pad and test
browser panels) never takes a tick of its own while another view is due: it is drawn on the same
tick as that view. Taking ticks of their own, 10 Hz panels cost the network view a third of its
frames (30 ticks a second shared by network, panels, weights and curves).

A view registered with ``visible`` (a dock that can sit behind another tab) is not drawn while
that says False: it stays stale, and :meth:`RenderScheduler.refresh` draws it the moment it comes
to the front. Hidden tabs cost nothing per frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer

MIN_TICK_HZ = 30  # the timer ticks at least this often, so slow views get frames of their own


@dataclass
class _View:
    draw: Callable[[object], None]
    period: Callable[[], float]  # seconds between redraws while a run goes
    urgent: Callable[[], bool]  # needs drawing now even with the same snapshot (a new input)
    rides_along: bool = False  # drawn on another view's tick rather than taking one of its own
    visible: Callable[[], bool] = lambda: True  # False: on screen nowhere, so not drawn until shown
    shown: object = None  # the snapshot it shows
    shown_at: float = -1e9  # when it was drawn (time.monotonic)


class RenderScheduler(QObject):
    """Draws a snapshot into registered views, latest wins, one view per tick while ``busy()``.

    Parameters
    ----------
    source
        Returns the newest snapshot (or None before there is a network).
    busy
        True while a run goes: views are then drawn one per tick at their own rates.
    """

    def __init__(self, source: Callable[[], object], busy: Callable[[], bool], parent: QObject | None = None):
        super().__init__(parent)
        self._source = source
        self._busy = busy
        self._views: dict[str, _View] = {}
        self.before_frame: Callable[[object], None] | None = None  # cheap updates on every tick
        self.after_frame: Callable[[], None] | None = None
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.render)

    def add_view(self, name: str, draw: Callable[[object], None], period: float | Callable[[], float],
                 urgent: Callable[[], bool] | None = None, *, rides_along: bool = False,
                 visible: Callable[[], bool] | None = None) -> None:
        """Register a view: ``draw(snapshot)`` runs when it is stale and due (``period`` seconds).

        ``rides_along``: a cheap view, drawn on the tick of whichever view draws (it takes a tick
        of its own only when no other view is due). ``visible``: while it returns False the view
        is skipped (call :meth:`refresh` when it is shown again).
        """
        period_fn = period if callable(period) else (lambda p=float(period): p)
        self._views[name] = _View(draw, period_fn, urgent or (lambda: False), rides_along,
                                  visible or (lambda: True))

    def set_rate(self, hz: int) -> None:
        """Tick at ``hz`` (at least MIN_TICK_HZ, so plot views get frames when the network view is slow)."""
        self.timer.setInterval(int(1000 / max(hz, MIN_TICK_HZ)))

    def shown(self, name: str):
        """The snapshot view ``name`` shows now."""
        return self._views[name].shown

    def is_stale(self, name: str) -> bool:
        """True when view ``name`` does not show the newest snapshot (or must redraw it)."""
        view = self._views[name]
        return view.shown is not self._source() or view.urgent()

    def refresh(self, name: str) -> bool:
        """Draw view ``name`` now if it is stale and visible (a tab that came to the front); True when it drew."""
        view, snap = self._views[name], self._source()
        if snap is None or not view.visible() or not self.is_stale(name):
            return False
        self._draw(view, snap, time.monotonic())
        return True

    @staticmethod
    def _draw(view: _View, snap, now: float) -> None:
        view.draw(snap)
        view.shown, view.shown_at = snap, now

    def render(self, *, everything: bool = False) -> bool:
        """Bring the visible views up to date with the newest snapshot; True when any view drew."""
        snap = self._source()
        if self.before_frame is not None:
            self.before_frame(snap)
        stale = [] if snap is None else [
            name for name, v in self._views.items() if (v.shown is not snap or v.urgent()) and v.visible()]
        drew = False
        if stale:
            now = time.monotonic()
            if not everything and self._busy():
                due = [name for name in stale if self._views[name].urgent()
                       or now - self._views[name].shown_at >= self._views[name].period() * 0.9]
                riders = [name for name in due if self._views[name].rides_along]
                # The view furthest behind its own rate goes first: a new snapshot makes every view
                # stale, and the network view (30 Hz) 200 ms behind is later than the weight maps
                # (4 Hz) 250 ms behind; by waiting alone they took its frame half the time.
                main = sorted((name for name in due if name not in riders),
                              key=lambda name: -(now - self._views[name].shown_at)
                              / max(self._views[name].period(), 1e-3))[:1]
                stale = main + riders
            for name in stale:
                self._draw(self._views[name], snap, now)
            drew = bool(stale)
        if self.after_frame is not None:
            self.after_frame()
        return drew
