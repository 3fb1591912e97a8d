"""What the window's speed-ups must not change: after a burst of cursor moves every view shows the
final moment, a tab behind another is drawn when it comes to the front (issues 9 and 14)."""

from __future__ import annotations

from test_timeline_window import assert_views_show, trained

from visualizer.ui import docks


def _trained(make_window, qtbot):
    window = trained(make_window, qtbot)
    window.render(everything=True)
    return window


def test_after_a_burst_of_cursor_moves_every_view_shows_the_final_moment(make_window, qtbot):
    window = _trained(make_window, qtbot)
    bar = window.timeline_bar
    started = window.session.neurons.analyses_started
    for step in (3, 30, 12, 25, 9):  # a drag: several moves before the next frame
        bar.cursor_requested.emit(step)
    assert window.session.neurons.analyses_started == started, "no analysis per move"
    window.render(everything=True)
    assert_views_show(window, 9)
    assert window.curves._moment_lines[0].value() == window.session.shown.epoch_float
    assert "batch 9" in bar.status.text()
    # Once the cursor rests, the neuron analysis of that moment (and only it) runs.
    # (The live moment's own analysis may still be finishing first: wait for the one of step 9.)
    qtbot.waitUntil(lambda: window.session.neurons.analyses_started > started, timeout=5000)
    neurons = window.session.neurons
    qtbot.waitUntil(lambda: not neurons.busy and neurons.result is not None and neurons.result.snapshot.step == 9,
                    timeout=10_000)


def test_a_tab_behind_another_is_not_drawn_until_it_comes_to_the_front(make_window, qtbot):
    window = _trained(make_window, qtbot)
    gradients, browser = window.docks["Gradients"], window.docks["Test set"]
    assert not docks.showing(gradients) and not docks.showing(browser), "behind the Draw tab by default"
    window.timeline_bar.cursor_requested.emit(17)
    window.render(everything=True)
    shown = window.session.shown
    assert window._render.shown("gradients") is not shown and window._render.shown("browser") is not shown
    assert window._render.shown("pad") is shown
    gradients.raise_()
    qtbot.waitUntil(lambda: window._render.shown("gradients") is shown, timeout=2000)
    browser.raise_()
    qtbot.waitUntil(lambda: window._render.shown("browser") is shown, timeout=2000)
    assert window.browser._snapshot is shown, "the test set panel follows the moment shown once in front"


def test_the_bar_waits_a_frame_while_the_recorder_holds_the_recording(make_window, qtbot):
    import threading

    window = _trained(make_window, qtbot)
    strip = window.timeline_bar.strip
    timeline = window.session.timeline
    timeline.version += 1  # something new to show
    drawn = strip.version
    inside, leave = threading.Event(), threading.Event()

    def hold():
        with timeline._lock:
            inside.set()
            leave.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    inside.wait(10)
    try:
        window._bar_at = 0.0
        window._update_timeline_bar()  # returns at once rather than wait for the lock
        assert strip.version == drawn
    finally:
        leave.set()
        worker.join(10)
    window._update_timeline_bar()
    assert strip.version == drawn + 1 and strip.last == timeline.last_step
