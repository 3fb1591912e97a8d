"""Test-set browser: stepping, the misclassified filter, the confusion matrix and its cells, screenshots."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from visualizer.ui.panels.testset.panel import MAX_THUMBNAILS, TestSetPanel
from visualizer.ui.theme import make_palette
from visualizer.core.snapshot import SnapshotEvent

SHOTS = Path(tempfile.gettempdir()) / "nnviz-shots"
N = 600


def _digits(n: int = N, seed: int = 0):
    """Blobs at label-dependent places, so a random network gets some right and some wrong."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n).astype(np.uint8)
    x = rng.random((n, 28, 28), dtype=np.float32) * 0.2
    for i, label in enumerate(y):
        r, c = 4 + 2 * (label % 5), 6 + 8 * (label // 5)
        x[i, r : r + 8, c : c + 8] = 1.0
    return x.reshape(n, 784), y


def _predictions(snapshot, x):
    return snapshot.network.forward(x)[-1].argmax(axis=1)


@pytest.fixture
def browser(qtbot):
    b = TestSetPanel(seed=0)
    qtbot.addWidget(b)
    b.resize(900, 650)
    b.show()
    qtbot.waitExposed(b)
    return b


def evaluated(qtbot, browser, action):
    """Run ``action()`` and wait for the background evaluation it starts to be shown."""
    with qtbot.waitSignal(browser.evaluated, timeout=5000):
        action()


@pytest.fixture
def loaded(browser, make_snapshot, qtbot):
    x, y = _digits()
    snapshot = make_snapshot(seed=5)  # epochs=0: weights not from a running training -> evaluated at once
    browser.set_dataset(x, y)
    evaluated(qtbot, browser, lambda: browser.set_snapshot(snapshot))
    return browser, x, y, snapshot


def test_confusion_matrix_counts_every_test_digit(loaded):
    browser, x, y, snapshot = loaded
    m = browser.confusion.matrix()
    assert m is not None and m.shape == (10, 10)
    assert m.sum() == N
    pred = _predictions(snapshot, x)
    np.testing.assert_array_equal(m.sum(axis=1), np.bincount(y, minlength=10))
    assert np.trace(m) == int((pred == y).sum())
    assert f"{100 * (pred == y).mean():.1f}%" in browser.confusion.title()


def test_batch_snapshots_do_not_reevaluate_but_epoch_end_does(browser, make_snapshot, qtbot):
    x, y = _digits()
    browser.set_dataset(x, y)
    browser.set_snapshot(make_snapshot(seed=1, epochs=3, event=SnapshotEvent.BATCH))
    assert not browser.evaluation_pending() and browser.evaluation() is None
    assert browser.confusion.matrix() is None
    assert browser.bars.probabilities() is not None  # the current digit follows every snapshot
    end = make_snapshot(seed=2, epochs=3, epoch=0, batch=10, batches_per_epoch=10, event=SnapshotEvent.EPOCH_END)
    evaluated(qtbot, browser, lambda: browser.set_snapshot(end))
    assert browser.confusion.matrix().sum() == N
    assert "after epoch 1 of 3" in browser.eval_label.text()
    later = make_snapshot(seed=3, epochs=3, event=SnapshotEvent.BATCH)
    browser.set_snapshot(later)
    assert "weights changed since" in browser.eval_label.text()
    evaluated(qtbot, browser, browser.evaluate_button.click)
    np.testing.assert_array_equal(browser.evaluation().predictions, _predictions(later, x))


def test_evaluation_runs_off_the_gui_thread_and_the_newest_request_wins(browser, make_snapshot, qtbot, monkeypatch):
    import threading

    from visualizer.ui.panels.testset import evaluator

    x, y = _digits()
    browser.set_dataset(x, y)
    threads, release = [], threading.Event()
    real = evaluator.evaluate

    def slow_evaluate(*args, **kwargs):
        threads.append(threading.current_thread())
        release.wait(5)  # hold the first evaluation until both later requests are in
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluator, "evaluate", slow_evaluate)
    ends = [make_snapshot(seed=s, epochs=3, epoch=e, batch=10, batches_per_epoch=10, event=SnapshotEvent.EPOCH_END)
            for e, s in enumerate((11, 12, 13))]
    shown = []
    browser._evaluator.evaluated.connect(lambda snap, _r: shown.append(snap))
    browser.set_snapshot(ends[0])  # returns at once: the GUI is not blocked by the evaluation
    assert browser.evaluation_pending() and browser.confusion.matrix() is None
    assert "Evaluating" in browser.eval_label.text()
    i = browser.current_index()  # the current digit's prediction does not wait for the whole set
    np.testing.assert_allclose(browser.bars.probabilities(), ends[0].network.forward(x[i])[-1], rtol=1e-6)
    browser.set_snapshot(ends[1])
    browser.set_snapshot(ends[2])
    release.set()
    qtbot.waitUntil(lambda: not browser.evaluation_pending(), timeout=5000)
    assert shown == [ends[0], ends[2]], "the superseded epoch end is skipped"
    assert threads and all(t is not threading.main_thread() for t in threads)
    np.testing.assert_array_equal(browser.evaluation().predictions, _predictions(ends[2], x))
    assert "after epoch 3 of 3" in browser.eval_label.text()


def test_result_for_a_previous_run_is_dropped_when_a_new_run_is_waiting(make_snapshot, qtbot, monkeypatch):
    """After Reset/Import, the old network's matrix is not flashed while the new one computes."""
    import threading

    from visualizer.ui.panels.testset import evaluator

    x, y = _digits(100)
    release = threading.Event()
    real = evaluator.evaluate

    def held_evaluate(*args, **kwargs):
        release.wait(5)
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluator, "evaluate", held_evaluate)
    ev = evaluator.Evaluator(min_interval=0.0)
    ev.set_data(x, y)
    shown = []
    ev.evaluated.connect(lambda snap, _r: shown.append(snap))
    old_run, new_run = make_snapshot(seed=1, run_id=1), make_snapshot(seed=2, run_id=2)
    ev.request(old_run)
    ev.request(new_run)  # e.g. Reset while the old run's evaluation is still computing
    release.set()
    qtbot.waitUntil(lambda: not ev.busy(), timeout=5000)
    assert shown == [new_run]


def test_the_evaluation_thread_never_calls_qt_and_results_arrive_in_the_gui_thread(make_snapshot, qtbot, monkeypatch):
    """A CI run crashed (segmentation fault) in a Qt call made by the executor's done-callback."""
    import threading

    from visualizer.ui.panels.testset import evaluator

    x, y = _digits(100)
    futures, delivered_in = [], []
    real_submit = evaluator.ThreadPoolExecutor.submit

    def submit(executor, fn, *args, **kwargs):
        futures.append(real_submit(executor, fn, *args, **kwargs))
        return futures[-1]

    monkeypatch.setattr(evaluator.ThreadPoolExecutor, "submit", submit)
    ev = evaluator.Evaluator(min_interval=0.0)
    ev.set_data(x, y)
    ev.evaluated.connect(lambda *_: delivered_in.append(threading.current_thread()))
    with qtbot.waitSignal(ev.evaluated, timeout=5000):
        ev.request(make_snapshot(seed=1))
    assert delivered_in == [threading.main_thread()]
    assert len(futures) == 1 and not futures[0]._done_callbacks, "nothing runs in the worker thread after the result"


def test_epoch_ends_are_evaluated_at_most_once_per_interval_but_evaluate_now_is_not(qtbot, make_snapshot):
    from visualizer.ui.panels.testset.evaluator import Evaluator

    x, y = _digits(100)
    ev = Evaluator(min_interval=3600.0)  # nothing in this test may wait that long
    ev.set_data(x, y)
    shown = []
    ev.evaluated.connect(lambda snap, _r: shown.append(snap))
    first, second, now = (make_snapshot(seed=s, epochs=3, event=SnapshotEvent.EPOCH_END) for s in (1, 2, 3))
    with qtbot.waitSignal(ev.evaluated, timeout=5000):
        ev.request(first, throttled=True)  # nothing evaluated for an hour: starts at once
    ev.request(second, throttled=True)
    assert ev.busy() and ev._running is None, "waits for the interval, nothing computing"
    with qtbot.waitSignal(ev.evaluated, timeout=5000) as blocker:
        ev.request(now)  # "Evaluate now" (or the run's end) does not wait, and replaces the epoch end
    assert blocker.args[0] is now and shown == [first, now]
    assert not ev.busy()


def test_result_for_an_old_dataset_is_dropped(browser, make_snapshot, qtbot):
    x, y = _digits()
    browser.set_dataset(x, y)
    browser.set_snapshot(make_snapshot(seed=5))
    x2, y2 = _digits(50, seed=3)
    with qtbot.waitSignal(browser.evaluated, timeout=5000) as blocker:
        browser.set_dataset(x2, y2)  # re-evaluates on the new digits
    assert blocker.args[0].confusion.sum() == 50
    qtbot.waitUntil(lambda: not browser.evaluation_pending(), timeout=5000)
    assert browser.confusion.matrix().sum() == 50


def test_stepping_emits_digits_and_wraps(loaded, qtbot):
    browser, x, y, _ = loaded
    assert browser.current_index() == 0
    with qtbot.waitSignal(browser.digit_requested) as blocker:
        browser.next_button.click()
    assert blocker.args == [1] and browser.current_index() == 1
    browser.prev_button.click()
    browser.prev_button.click()
    assert browser.current_index() == N - 1  # wraps around
    with qtbot.waitSignal(browser.digit_requested):
        browser.random_button.click()
    browser.activateWindow()
    qtbot.waitUntil(browser.isActiveWindow)
    start = browser.current_index()
    QTest.keyClick(browser, Qt.Key.Key_Right)
    assert browser.current_index() == (start + 1) % N
    assert f"true label <b>{int(y[browser.current_index()])}</b>" in browser.verdict.text().lower()


def test_misclassified_filter_steps_only_through_mistakes(loaded, qtbot):
    browser, x, y, snapshot = loaded
    wrong = np.flatnonzero(_predictions(snapshot, x) != y)
    assert 0 < wrong.size < N
    browser.misclassified_box.setChecked(True)
    assert browser.current_index() in wrong
    np.testing.assert_array_equal(browser.stepping_indices(), wrong)
    seen = {browser.current_index()}
    for _ in range(wrong.size):
        browser.next_button.click()
        seen.add(browser.current_index())
    assert seen == set(wrong.tolist())
    assert "mistake" in browser.position_label.text()
    browser.misclassified_box.setChecked(False)
    assert browser.stepping_indices().size == N


def _click_cell(qtbot, view, t, p):
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.cell_rect(t, p).center().toPoint())


def test_clicking_a_cell_lists_exactly_its_digits(loaded, qtbot):
    browser, x, y, snapshot = loaded
    pred = _predictions(snapshot, x)
    m = browser.confusion.matrix()
    off = [(t, p) for t in range(10) for p in range(10) if t != p and 0 < m[t, p] <= MAX_THUMBNAILS]
    t, p = max(off, key=lambda cell: m[cell])
    _click_cell(qtbot, browser.confusion, t, p)
    expected = np.flatnonzero((y == t) & (pred == p))
    np.testing.assert_array_equal(browser.listed_indices(), expected)
    assert browser.cell_list.count() == expected.size == m[t, p]
    assert f"true {t}, predicted {p}" in browser.cell_label.text()

    item = browser.cell_list.item(expected.size - 1)
    browser.cell_list.scrollToItem(item)
    rect = browser.cell_list.visualItemRect(item)
    with qtbot.waitSignal(browser.digit_requested) as blocker:
        qtbot.mouseClick(browser.cell_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    (index,) = blocker.args
    assert index == expected[-1]
    label = int(y[index])
    assert label == t
    assert browser.current_index() == expected[-1]


def _contrast(a: int, b: int) -> float:
    def luminance(rgb: int) -> float:
        c = QColor.fromRgb(rgb)
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in (c.redF(), c.greenF(), c.blueF())]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_nonzero_cell_shows_its_count(qtbot, scheme):
    from visualizer.ui.panels.testset.confusion_view import ConfusionView

    view = ConfusionView()
    qtbot.addWidget(view)
    view.setPalette(make_palette(scheme))
    view.resize(330, 340)  # about its size in the side dock
    m = np.diag(np.full(10, 1000))
    m[3, 5], m[4, 9], m[7, 2], m[9, 4] = 1, 27, 105, 8  # mistakes of every size
    view.set_confusion(m)
    image = view.grab().toImage()
    for t in range(10):
        for p in range(10):
            rect = view.cell_rect(t, p).adjusted(2, 2, -2, -2).toRect()
            pixels = Counter(image.pixelColor(x, y).rgb() for x in range(rect.left(), rect.right())
                             for y in range(rect.top(), rect.bottom()))
            if m[t, p]:
                # Glyphs on the fill: the ink's strongest pixel contrasts with the fill (WCAG ratio).
                fill = pixels.most_common(1)[0][0]
                best = max(_contrast(fill, c) for c in pixels)
                assert best >= 4.0, (scheme, t, p, m[t, p], best)
            else:
                assert len(pixels) == 1, f"cell ({t}, {p}) is empty: no text"


def test_empty_browser_and_no_network(browser, qtbot):
    assert not browser.next_button.isEnabled()
    assert browser.confusion.matrix() is None
    x, y = _digits(20)
    browser.set_dataset(x, y)
    assert browser.next_button.isEnabled()
    assert not browser.evaluate_button.isEnabled()
    assert browser.bars.summary() == "no network yet"
    with pytest.raises(ValueError):
        browser.set_dataset(x, y[:5])


# ---- screenshots ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot_browser(browser, qtbot, tmp_path, scheme, request, make_snapshot):
    try:
        snapshot, x, y = request.getfixturevalue("mnist_trained")
    except pytest.skip.Exception:
        (x, y), snapshot = _digits(), make_snapshot(seed=5)
    browser.setPalette(make_palette(scheme))
    browser.set_dataset(x, y)
    evaluated(qtbot, browser, lambda: browser.set_snapshot(snapshot))
    m = browser.confusion.matrix()
    off = np.where(np.eye(10, dtype=bool), 0, m)
    t, p = np.unravel_index(int(off.argmax()), off.shape)
    _click_cell(qtbot, browser.confusion, int(t), int(p))
    first = browser.cell_list.item(0)
    if first is not None:
        qtbot.mouseClick(browser.cell_list.viewport(), Qt.MouseButton.LeftButton,
                         pos=browser.cell_list.visualItemRect(first).center())
    qtbot.wait(20)
    SHOTS.mkdir(exist_ok=True)
    image = browser.grab().toImage()
    for folder in (tmp_path, SHOTS):
        assert image.save(str(folder / f"test_browser_{scheme}.png"))




def test_a_moment_the_cursor_has_left_is_not_shown_and_a_scrub_waits_for_the_cursor_to_rest(
        make_snapshot, qtbot, monkeypatch):
    """Timeline scrubbing: the matrix of a moment looked at again is dropped once a newer moment
    waits, and a burst of moves evaluates only where the cursor stops."""
    import threading

    from visualizer.ui.panels.testset import evaluator

    x, y = _digits(100)
    release, calls = threading.Event(), []
    real = evaluator.evaluate

    def held_evaluate(network, *args, **kwargs):
        calls.append(network)
        release.wait(5)
        return real(network, *args, **kwargs)

    monkeypatch.setattr(evaluator, "evaluate", held_evaluate)
    ev = evaluator.Evaluator(min_interval=0.0)
    ev.set_data(x, y)
    shown = []
    ev.evaluated.connect(lambda snap, _r: shown.append(snap))
    moments = [make_snapshot(seed=s, run_id=1, replayed=True) for s in range(5)]
    ev.request(moments[0])  # starts at once (no rest asked)
    for snap in moments[1:]:
        ev.request(snap, rest=0.05)  # the drag goes on while moments[0] computes
    release.set()
    qtbot.waitUntil(lambda: not ev.busy(), timeout=5000)
    assert shown == [moments[-1]], "moments[0] was left before its answer came; 1-3 were never computed"
    assert [id(n) for n in calls] == [id(moments[0].network), id(moments[-1].network)]


def test_the_panel_drops_a_result_for_a_moment_it_no_longer_shows(make_snapshot, qtbot):
    browser = TestSetPanel()
    qtbot.addWidget(browser)
    x, y = _digits(100)
    browser.set_dataset(x, y)
    left, now = make_snapshot(seed=1, replayed=True), make_snapshot(seed=2, replayed=True)
    browser.set_snapshot(now)
    browser._on_evaluated(left, evaluator_result(left, x, y))
    assert browser.evaluation() is None, "the matrix of a moment the cursor left is not shown"
    browser._on_evaluated(now, evaluator_result(now, x, y))
    assert browser.evaluation() is not None


def evaluator_result(snap, x, y):
    from visualizer.core.confusion import evaluate

    return evaluate(snap.network, x, y)
