"""RenderScheduler: one costly view per tick while a run goes; cheap views ride along."""

from __future__ import annotations

from visualizer.ui.render import RenderScheduler


class _Snap:
    pass


def _scheduler(qapp, busy=True):
    state = {"snap": _Snap()}
    sched = RenderScheduler(lambda: state["snap"], lambda: busy)
    drawn: list[list[str]] = []

    def view(name):
        return lambda snap: drawn[-1].append(name)

    def tick(new_snapshot=True):
        if new_snapshot:
            state["snap"] = _Snap()
        drawn.append([])
        sched.render()
        return drawn[-1]

    return sched, view, tick


def test_one_costly_view_per_tick_and_riders_come_along(qapp):
    sched, view, tick = _scheduler(qapp)
    for name in ("network", "weights"):
        sched.add_view(name, view(name), 0.0)
    sched.add_view("panels", view("panels"), 0.0, rides_along=True)
    frames = [tick() for _ in range(4)]
    # network and weights take turns; the cheap panels never cost either of them a tick.
    assert [f[0] for f in frames] == ["network", "weights", "network", "weights"]
    assert all(f[1:] == ["panels"] for f in frames)


def test_a_rider_alone_still_gets_drawn(qapp):
    sched, view, tick = _scheduler(qapp)
    sched.add_view("network", view("network"), 3600.0)
    sched.add_view("panels", view("panels"), 0.0, rides_along=True)
    assert tick() == ["network", "panels"]  # first frame: everything is due
    assert tick() == ["panels"], "no costly view due: the rider draws on its own"
    assert tick(new_snapshot=False) == [], "same snapshot: nothing to draw"


def test_idle_draws_everything_at_once(qapp):
    sched, view, tick = _scheduler(qapp, busy=False)
    for name in ("network", "weights", "curves"):
        sched.add_view(name, view(name), 10.0)
    sched.add_view("panels", view("panels"), 10.0, rides_along=True)
    assert sorted(tick()) == ["curves", "network", "panels", "weights"]


def test_a_hidden_view_waits_and_is_drawn_with_the_newest_snapshot_when_shown(qapp):
    sched, view, tick = _scheduler(qapp, busy=False)
    shown = {"gradients": False}
    sched.add_view("network", view("network"), 0.0)
    sched.add_view("gradients", view("gradients"), 0.0, visible=lambda: shown["gradients"])
    assert tick() == ["network"] and tick() == ["network"], "a tab behind another is not drawn"
    assert sched.is_stale("gradients") and sched.shown("gradients") is None
    shown["gradients"] = True
    assert sched.refresh("gradients"), "it comes to the front: drawn at once"
    assert sched.shown("gradients") is sched.shown("network"), "with the moment every other view shows"
    assert not sched.refresh("gradients"), "up to date: nothing to draw again"


def test_a_new_snapshot_goes_first_to_the_view_furthest_behind_its_rate(qapp, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("visualizer.ui.render.time.monotonic", lambda: clock[0])
    sched, view, tick = _scheduler(qapp)
    sched.add_view("network", view("network"), 1 / 30)
    sched.add_view("weights", view("weights"), 0.25)
    assert tick() == ["network"] and tick() == ["weights"]  # the first frames: both due, one per tick
    clock[0] += 0.05
    assert tick() == ["network"]  # weights drawn 50 ms ago: not due at 4 Hz
    clock[0] += 0.2  # network 200 ms behind its 30 Hz, weights 250 ms behind its 4 Hz
    # The weights waited longer, but the network view is six frames late and the weights one.
    assert tick() == ["network"] and tick() == ["weights"]
