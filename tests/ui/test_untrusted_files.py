"""Hostile files in the window: one clear dialog, a window that keeps answering, nothing lost (issue 15)."""

from __future__ import annotations

import os
import time

import numpy as np
from pad_strokes import SEVEN, draw

from visualizer.session import RunState


def _responsive_while(qtbot, window, done, timeout_s=30.0):
    """Wait for ``done()`` while a 20 ms timer ticks; returns how many ticks the event loop ran meanwhile.

    A GUI thread blocked on the file would let through about one; a free one, dozens.
    """
    from PySide6.QtCore import QTimer

    ticks = [time.perf_counter()]
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(20)
    try:
        qtbot.waitUntil(done, timeout=int(timeout_s * 1000))
    finally:
        timer.stop()
    return len(ticks) - 1


def test_a_postscript_image_dropped_on_the_pad_is_refused_and_never_runs(make_window, dialogs, qtbot, tmp_path):
    window = make_window()
    draw(window.pad.pad, SEVEN)
    before = window.pad.current_input()
    marker = tmp_path / "pwned"
    evil = tmp_path / "digit.png"
    evil.write_bytes(f"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n({marker}) (w) file dup (pwned) "
                     "writestring closefile\n{ } loop\n".encode())
    window.pad.load_image_file(evil)  # what a drop or Open image… does
    _responsive_while(qtbot, window, lambda: bool(dialogs.shown))  # read off the GUI thread, refused at once
    (kind, title, text), = dialogs.shown
    assert title == "Cannot open image" and "digit.png" in text and "\n" not in text
    assert "not a supported image format" in text
    assert not marker.exists()
    np.testing.assert_array_equal(window.pad.current_input(), before), "the drawing is untouched"


def test_a_fifo_as_dataset_or_weights_gives_a_dialog_not_a_hang(make_window, dialogs, qtbot, tmp_path):
    window = make_window()
    weights = window.latest_snapshot()
    fifo = tmp_path / "mnist.npz"
    os.mkfifo(fifo)
    window.load_dataset(str(fifo))
    qtbot.waitUntil(lambda: len(dialogs.shown) == 1 and window.state is RunState.READY, timeout=30_000)
    wfifo = tmp_path / "w.weights.h5"
    os.mkfifo(wfifo)
    window.import_weights(str(wfifo))
    qtbot.waitUntil(lambda: len(dialogs.shown) == 2 and window.state is RunState.READY, timeout=30_000)
    titles = [title for _, title, _ in dialogs.shown]
    assert titles == ["Could not open the dataset", "Could not import the weights"]
    assert all("\n" not in text and "Traceback" not in text for _, _, text in dialogs.shown)
    assert window.latest_snapshot() is weights


def test_a_weights_h5_that_makes_hdf5_spin_is_refused_while_the_window_keeps_answering(
        make_window, dialogs, qtbot, tmp_path, monkeypatch):
    from visualizer.training import h5child
    from visualizer.training.export import keras_model_from

    monkeypatch.setattr(h5child, "PARSE_TIMEOUT", 3.0)  # the real limit is 20 s; the behaviour is the same
    window = make_window()
    good = window.latest_snapshot()
    written = tmp_path / "keras.weights.h5"
    keras_model_from(good.network).save_weights(written)
    data = bytearray(written.read_bytes())
    data[2073] = 2  # the byte that made h5py spin forever holding the GIL
    path = tmp_path / "net.weights.h5"
    path.write_bytes(bytes(data))
    window.import_weights(str(path))
    ticks = _responsive_while(qtbot, window, lambda: window.state is RunState.READY and bool(dialogs.shown),
                              timeout_s=60)
    (_, title, text), = dialogs.shown
    assert title == "Could not import the weights" and "net.weights.h5" in text and "\n" not in text
    assert "could not be parsed within 3 s" in text
    assert window.latest_snapshot() is good, "a refused file changes nothing"
    assert ticks >= 10, "the event loop kept running during the 3 s the child spun"
