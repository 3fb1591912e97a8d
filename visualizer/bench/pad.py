"""Drawing-pad benchmark: stroke -> preprocessing -> forward pass cost, and mouse events under a busy GIL."""

from __future__ import annotations

import math
import os
import threading
import time
from itertools import pairwise

import numpy as np

N_MOVES = 500
MOVE_INTERVAL_S = 0.002  # a 500 Hz pointer (fast mouse or pen tablet)
BURST_S = 0.004  # the simulated training thread holds the GIL this long (below the 5 ms switch interval)


def _stats(samples_s: list[float], name: str) -> dict[str, float]:
    ms = np.asarray(samples_s, dtype=np.float64) * 1e3
    return {f"{name}_median_ms": float(np.median(ms)), f"{name}_p99_ms": float(np.percentile(ms, 99))}


def _timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _path(n: int) -> list[tuple[int, int]]:
    """n + 1 distinct integer points along a loopy digit-sized curve (a few px apart)."""
    pts: list[tuple[int, int]] = []
    t = 0.0
    while len(pts) < n + 1:
        p = (int(round(140 + 95 * math.sin(1.0 * t))), int(round(140 + 110 * math.sin(2.0 * t + 0.5))))
        if not pts or p != pts[-1]:
            pts.append(p)
        t += 0.012
    return pts


def _burn(stop: threading.Event, busy: list[float]) -> None:
    """Pure-Python work in short bursts: holds the GIL like Keras' Python side between batches."""
    while not stop.is_set():
        t = time.perf_counter()
        x = 0
        while time.perf_counter() - t < BURST_S:
            x += 1
        busy.append(time.perf_counter() - t)
        time.sleep(0.001)


def _replay(app, pad, points) -> tuple[list[float], int]:
    """Send one stroke as press, timed moves (the event loop runs in between), release.

    Returns the per-move handling times (s) and how many points the stroke kept.
    """
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(pad, left, none, QPoint(*points[0]))
    handling = []
    due = time.perf_counter()
    for p in points[1:]:
        due += MOVE_INTERVAL_S
        while time.perf_counter() < due:  # the event loop runs between pointer events
            app.processEvents()
        t = time.perf_counter()
        QTest.mouseMove(pad, QPoint(*p))
        handling.append(time.perf_counter() - t)
    kept = len(pad.strokes[0].points) if pad.strokes else 0
    QTest.mouseRelease(pad, left, none, QPoint(*points[-1]))
    app.processEvents()
    return handling, kept


def run_pad_bench(snapshot, *, repeats: int = 300, moves: int = N_MOVES) -> dict[str, float]:
    """Measure the drawing pad with ``snapshot``'s weights; returns plain floats.

    Keys: ``preprocess_forward_*`` (canvas -> preprocess -> forward, the per-update cost),
    ``saliency_*``, ``panel_update_*`` (everything the panel recomputes per update: steps,
    bars, saliency), ``move_event_idle_*`` (one mouse-move event, nothing else running) and,
    with a background thread burning the GIL in 4 ms bursts, ``move_event_*`` (time to handle one mouse-move event), ``moves_sent``, ``stroke_points``,
    ``dropped_points`` (must be 0) and ``updates_during_stroke`` (throttled predictions).
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from visualizer.core.preprocess import preprocess
    from visualizer.core.saliency import saliency
    from visualizer.ui.panels.pad.panel import PadPanel

    app = QApplication.instance() or QApplication([])
    panel = PadPanel()
    panel.set_snapshot(snapshot)
    panel.resize(900, 520)
    panel.show()
    pad = panel.pad
    pad.setFixedSize(280, 280)  # one widget pixel per canvas pixel: every integer move is a new point
    app.processEvents()
    net = snapshot.network

    # A realistic canvas: a "3" drawn with the real brush.
    three = [(80, 60), (140, 40), (200, 70), (150, 130), (210, 180), (150, 240), (80, 215)]
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*three[0]))
    for (x0, y0), (x1, y1) in pairwise(three):
        for t in np.linspace(0, 1, 12)[1:]:
            QTest.mouseMove(pad, QPoint(round(x0 + (x1 - x0) * t), round(y0 + (y1 - y0) * t)))
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*three[-1]))
    app.processEvents()
    x = preprocess(pad.canvas_array()).vector

    report: dict[str, float] = {}
    report.update(_stats(_timed(lambda: net.forward(preprocess(pad.canvas_array()).vector), repeats),
                         "preprocess_forward"))
    report.update(_stats(_timed(lambda: saliency(net, x), repeats), "saliency"))
    report.update(_stats(_timed(panel.refresh, repeats // 3), "panel_update"))

    # Replay a fast stroke through the event loop, first on an idle interpreter, then while
    # another thread hogs the GIL the way training's Python side does.
    for name, burn in (("move_event_idle", False), ("move_event", True)):
        pad.clear()
        updates: list = []
        panel.input_changed.connect(updates.append)
        stop, busy = threading.Event(), []
        burner = threading.Thread(target=_burn, args=(stop, busy), daemon=True)
        if burn:
            burner.start()
        try:
            handling, stroke_points = _replay(app, pad, _path(moves))
        finally:
            stop.set()
            if burn:
                burner.join()
            panel.input_changed.disconnect(updates.append)
        report.update(_stats(handling, name))
        report[f"{name}_max_ms"] = float(max(handling) * 1e3)
    report["moves_sent"] = float(moves)
    report["stroke_points"] = float(stroke_points)
    report["dropped_points"] = float(moves + 1 - stroke_points)
    report["updates_during_stroke"] = float(len(updates))
    report["gil_bursts"] = float(len(busy))
    panel.close()
    panel.deleteLater()
    app.processEvents()
    return report
