"""Drawing pad panel: strokes -> prediction, undo/clear, image files, test digits, real MNIST, screenshots."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest

from pad_strokes import ONE, SEVEN, _pt, draw

from visualizer.core.preprocess import preprocess
from visualizer.ui.theme import make_palette

SHOTS = Path(tempfile.gettempdir()) / "nnviz-shots"



def test_empty_canvas_says_no_digit(panel):
    assert panel.pad.is_empty()
    assert panel.current_input() is None
    assert panel.bars.probabilities() is None
    assert panel.bars.summary() == "no digit"
    assert not panel.steps.tiles[-1].has_image()
    assert not panel.undo_button.isEnabled()


def test_stroke_predicts_and_emits_input(panel, qtbot):
    with qtbot.waitSignal(panel.input_changed) as blocker:
        draw(panel.pad, SEVEN)
    x = blocker.args[0].vector
    assert x.shape == (784,) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.sum() > 20
    np.testing.assert_array_equal(x, preprocess(panel.pad.canvas_array()).vector)
    p = panel.bars.probabilities()
    assert p is not None and abs(p.sum() - 1) < 1e-4
    assert panel.bars.winner() == int(np.argmax(p))
    assert "%" in panel.bars.summary()
    assert all(t.has_image() for t in panel.steps.tiles)
    assert panel.saliency_tile.has_image()
    assert len(panel.pad.strokes) == 1


def test_prediction_updates_while_drawing(panel, qtbot):
    """Before the pen is lifted, the throttled update already feeds the network."""
    pad = panel.pad
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _pt(pad, 100, 60))
    with qtbot.waitSignal(panel.input_changed, timeout=1000):
        for y in range(64, 200, 4):
            QTest.mouseMove(pad, _pt(pad, 100, y))
    assert panel.bars.probabilities() is not None
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _pt(pad, 100, 200))


def test_undo_restores_previous_canvas_exactly_and_clear_empties(panel, qtbot):
    pad = panel.pad
    draw(pad, SEVEN)
    after_first = pad.canvas_array()
    draw(pad, [(60, 150), (130, 140), (220, 130)])  # a crossbar over the 7
    assert not np.array_equal(pad.canvas_array(), after_first)
    with qtbot.waitSignal(panel.input_changed):
        pad.undo()
    np.testing.assert_array_equal(pad.canvas_array(), after_first)
    assert len(pad.strokes) == 1
    with qtbot.waitSignal(panel.input_changed) as blocker:
        panel.clear_button.click()
    assert blocker.args == [None]
    assert pad.is_empty() and pad.canvas_array().max() == 0
    assert panel.bars.summary() == "no digit"


def test_keyboard_shortcuts_undo_and_clear(panel, qtbot):
    pad = panel.pad
    panel.activateWindow()
    qtbot.waitUntil(lambda: panel.isActiveWindow())
    draw(pad, ONE)
    draw(pad, SEVEN)
    pad.setFocus()
    QTest.keyClick(pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(pad.strokes) == 1
    QTest.keyClick(pad, Qt.Key.Key_Delete)
    assert pad.is_empty()


def test_compare_without_preprocessing(panel, qtbot):
    draw(panel.pad, [(20, 20), (22, 60), (24, 100)])  # a small "1" in the corner: squashing loses it
    assert panel.naive_bars.isHidden()
    panel.compare_box.setChecked(True)
    assert panel.naive_bars.isVisibleTo(panel)
    assert panel.naive_bars.probabilities() is not None
    assert panel.naive_tile.has_image()
    assert panel.bars.probabilities() is not None
    panel.compare_box.setChecked(False)
    assert panel.naive_bars.isHidden()


def _write_digit_png(path: Path, light_background: bool = True) -> None:
    from PIL import Image, ImageDraw

    img = Image.new("L", (200, 160), 255 if light_background else 0)
    ink = 20 if light_background else 235
    ImageDraw.Draw(img).line([(60, 30), (140, 30), (95, 140)], fill=ink, width=14)
    img.save(path)


def test_load_image_file_uses_the_predict_code_path(panel, qtbot, tmp_path):
    from visualizer.data.images import load_image

    path = tmp_path / "seven.png"
    _write_digit_png(path)
    with qtbot.waitSignal(panel.input_changed) as blocker:
        panel.load_image_file(path)
    expected = preprocess(load_image(path)).vector
    np.testing.assert_array_equal(blocker.args[0].vector, expected)
    assert not panel.pad.is_empty()
    assert panel.pad.canvas_array().max() > 0.9  # shown as white ink on the black pad
    assert panel.bars.probabilities() is not None
    assert "seven.png" in panel.status.text()
    # Drawing over the image switches to the pad's pixels; undo returns to the file's own.
    draw(panel.pad, [(10, 10), (30, 30)])
    assert panel.pad.pristine_source() is None
    with qtbot.waitSignal(panel.input_changed) as blocker:
        panel.pad.undo()
    np.testing.assert_array_equal(blocker.args[0].vector, expected)


def test_dropping_an_image_file_loads_it(panel, qtbot, tmp_path):
    path = tmp_path / "dropped.png"
    _write_digit_png(path, light_background=False)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(panel.input_changed):
        panel.pad.dropEvent(event)
    assert "dropped.png" in panel.status.text()


def test_a_28x28_mnist_format_image_is_fed_as_it_is(panel, qtbot, tmp_path):
    from PIL import Image

    digit = np.zeros((28, 28), np.uint8)
    digit[5:20, 9:13] = 255  # a "1" off-center: preprocessing would move it
    Image.fromarray(digit).save(tmp_path / "mnist.png")
    with qtbot.waitSignal(panel.input_changed) as blocker:
        panel.load_image_file(tmp_path / "mnist.png")
    np.testing.assert_array_equal(blocker.args[0].vector, digit.reshape(784) / 255)
    assert "mnist.png" in panel.status.text() and "fed as is" in panel.status.text()
    assert not panel.steps.light_tile.isVisible()


def test_a_photo_in_uneven_light_shows_the_even_light_step(panel, qtbot, tmp_path):
    from PIL import Image, ImageDraw

    y, x = np.mgrid[0:240, 0:320]
    paper = Image.fromarray((190 + 55 * x / 320).astype(np.uint8))  # brighter to the right
    ImageDraw.Draw(paper).line([(120, 40), (200, 40), (160, 200)], fill=40, width=14)
    paper.save(tmp_path / "photo.png")
    with qtbot.waitSignal(panel.input_changed):
        panel.load_image_file(tmp_path / "photo.png")
    assert panel.steps.light_tile.isVisible()
    pre = preprocess(np.asarray(paper, np.float32) / 255)
    top, left, bottom, right = pre.bbox
    assert 100 < left and right < 220 and 25 < top  # the digit, not the darker paper on the left
    panel.pad.clear()
    assert not panel.steps.light_tile.isVisible()


def test_set_digit_feeds_the_digit_unchanged(panel, qtbot):
    rng = np.random.default_rng(0)
    digit = np.zeros((28, 28), np.float32)
    digit[6:22, 12:16] = rng.uniform(0.6, 1.0, (16, 4))
    with qtbot.waitSignal(panel.input_changed) as blocker:
        panel.set_digit(digit.reshape(784), label=1)
    np.testing.assert_array_equal(blocker.args[0].vector, digit.reshape(784))
    assert panel.pad.canvas_array()[100:180, 120:160].mean() > 0.5  # drawn large on the pad
    assert "true label 1" in panel.status.text()
    # Setting the same digit again changes nothing the network view needs to know.
    with qtbot.assertNotEmitted(panel.input_changed):
        panel.set_digit(digit, label=1)


def test_new_weights_update_bars_without_reemitting_input(panel, qtbot, make_snapshot):
    draw(panel.pad, SEVEN)
    before = panel.bars.probabilities()
    with qtbot.assertNotEmitted(panel.input_changed):
        panel.set_snapshot(make_snapshot(seed=11))
    assert not np.allclose(before, panel.bars.probabilities())


# ---- real MNIST ---------------------------------------------------------------------------------


def _large_off_center(digit28: np.ndarray, side: int, top: int, left: int) -> np.ndarray:
    from PIL import Image

    big = Image.fromarray(np.rint(digit28 * 255).astype(np.uint8)).resize((side, side), Image.Resampling.BICUBIC)
    canvas = np.zeros((280, 280), np.float32)
    canvas[top : top + side, left : left + side] = np.asarray(big, np.float32) / 255
    return canvas


@pytest.mark.mnist
def test_real_digit_drawn_large_off_center_is_classified_like_the_original(panel, mnist_trained):
    snapshot, x_test, y_test = mnist_trained
    panel.set_snapshot(snapshot)
    placements = [(170, 100, 5), (200, 0, 80), (120, 150, 150), (240, 20, 20)]  # side, top, left
    originals = snapshot.network.forward(x_test[:100])[-1]
    agree, confident_misses = 0, []
    for i, p in enumerate(originals):
        side, top, left = placements[i % len(placements)]
        panel.pad.set_image(_large_off_center(x_test[i].reshape(28, 28), side, top, left))  # no source: as if drawn
        assert panel.pad.pristine_source() is None
        same = panel.bars.winner() == int(np.argmax(p))
        agree += same
        if not same and p.max() >= 0.9:
            confident_misses.append(i)
    # Preprocessing recovers MNIST's framing: every digit the network is sure about keeps its class
    # when drawn big and shifted; only a few borderline ones (top probability < 0.9) may flip,
    # as they do when MNIST's own 28x28 digits are re-preprocessed.
    assert confident_misses == []
    assert agree >= 90, f"only {agree}/100 drawn copies classified like the originals"


# ---- screenshots ----------------------------------------------------------------------------------


def _save(widget, name: str, tmp_path: Path) -> Path:
    SHOTS.mkdir(exist_ok=True)
    image = widget.grab().toImage()
    assert not image.isNull()
    for folder in (tmp_path, SHOTS):
        assert image.save(str(folder / name))
    return SHOTS / name


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot_pad_panel(panel, qtbot, tmp_path, scheme, request):
    try:
        panel.set_snapshot(request.getfixturevalue("mnist_trained")[0])
    except pytest.skip.Exception:
        pass  # no real MNIST: random weights still show every part of the panel
    panel.setPalette(make_palette(scheme))
    draw(panel.pad, SEVEN, steps=10)
    panel.compare_box.setChecked(True)
    qtbot.wait(20)
    path = _save(panel, f"pad_panel_{scheme}.png", tmp_path)
    assert path.stat().st_size > 5000


class _HeldJobs:
    """The session's jobs, held until released (as a slow background thread would be)."""

    def __init__(self):
        self.held = []

    def submit(self, fn, *args, on_success, on_error):
        self.held.append((fn, args, on_success))

    def release(self):
        while self.held:
            fn, args, on_success = self.held.pop(0)
            on_success(fn(*args))


def test_a_big_networks_saliency_comes_from_the_background_and_late_results_are_dropped(qtbot, make_snapshot,
                                                                                       monkeypatch):
    import visualizer.session.gradients as gradients

    monkeypatch.setattr(gradients, "BACKGROUND_WEIGHTS", 0)  # every network counts as big
    from visualizer.ui.panels.pad.panel import PadPanel

    jobs = _HeldJobs()
    p = PadPanel(submit=jobs.submit)
    qtbot.addWidget(p)
    p.show()
    p.set_snapshot(make_snapshot(seed=3))
    draw(p.pad, SEVEN)
    assert jobs.held and p.saliency_shown_for() is None  # nothing computed on the GUI thread
    first = p._analysis
    p.set_snapshot(make_snapshot(seed=4))  # new weights while the job runs: one job at a time
    assert len(jobs.held) == 1
    jobs.release()  # the first result is late: the newest analysis is computed and shown instead
    assert p.saliency_shown_for() is p._analysis is not first
    assert p.saliency_tile.has_image() and "Why" in p.saliency_legend.text()
