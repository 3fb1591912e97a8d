"""How nnviz's cost grows with the network: one short run per size, with and without the window.

For one hidden-layer configuration, :func:`measure_scale` trains from the window (offscreen, at
1024x700) for a few seconds while a 10 ms timer measures the event loop's lateness, counts the
frames drawn and samples memory, then the same trainer without a window (the window open, idle),
in ``rounds`` alternating rounds (fresh weights each) whose medians are reported, since one
6-second run of each on 2 shared cores swung the ratio between them from 0.75 to 0.97; then
measures closing the window during a run, the snapshot copy and ``model.fit`` on the same data in
the same process. Not timed tests: ``nnviz bench --gui --hidden 1024,1024,1024`` prints it.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import tempfile
import time

import numpy as np

from visualizer.bench.memory import peak_rss_mb, rss_mb
from visualizer.bench.window import _fake_snapshots, _reset, _stats
from visualizer.core.snapshot import SnapshotEvent
from visualizer.session import RunState

SCALE_TARGETS = {
    "lateness_p99_ms": 20.0,
    "lateness_max_ms": 100.0,
    "stop_seconds": 0.5,
    "close_seconds": 1.0,
    "view_all_median_ms": 16.0,  # every view on screen from one new snapshot, plus its paint
}
SCALE_RATIO_TARGETS = {  # at least
    "window_vs_no_window": 0.8,
    "window_vs_fit": 1.0,
}
WINDOW_SIZE = (1024, 700)


def _wait(app, done, timeout: float) -> float:
    """Seconds until ``done()`` while the event loop runs (inf after ``timeout``)."""
    t0 = time.perf_counter()
    while not done():
        if time.perf_counter() - t0 > timeout:
            return float("inf")
        app.processEvents()
        time.sleep(0.002)
    return time.perf_counter() - t0


def _window(dataset, folder: str):
    from PySide6.QtCore import QSettings

    from visualizer.ui.settings import Settings
    from visualizer.ui.window import MainWindow

    store = QSettings(os.path.join(folder, "bench.ini"), QSettings.Format.IniFormat)
    window = MainWindow(dataset=dataset, settings=Settings(store))
    window.show()
    window.resize(*WINDOW_SIZE)
    return window


def _latest_step(window) -> int:
    snap = window.session.latest
    return -1 if snap is None else snap.step


def _training(window, before: int) -> bool:
    """True once this run trained its first batch after step ``before`` (its graphs are traced:
    the run can be stopped at once, and its speed measured from here).

    Not just "a batch snapshot of this run": the weights shown before Start are one too, and
    measuring from them counted the 256 MB reservation and the graph tracing (~2 s) as training.
    """
    snap = window.session.latest
    return (snap is not None and snap.run_id == window.session.run_id and snap.event is SnapshotEvent.BATCH
            and snap.step > before)


def _train_for(window, app, config, seconds: float, *, tick_ms: int = 10) -> dict:
    """Start ``config`` in the window, measure for ``seconds`` of training, then Stop; the Stop's latency too."""
    from PySide6.QtCore import Qt, QTimer

    ticks, rss, frames = [], [], [0]
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    sampler = QTimer()
    sampler.timeout.connect(lambda: rss.append(rss_mb()))
    drawn = window.weights_changed.connect(lambda _s: frames.__setitem__(0, frames[0] + 1))
    window.controls.set_config(config)
    window.session.set_pace(None)  # full speed: the figure to compare with the trainer alone and fit
    before = _latest_step(window)
    if not window.start_training():
        raise RuntimeError(f"could not start training (state {window.state})")
    # Measure from the first batch snapshot: the first call traces TensorFlow's graphs.
    if _wait(app, lambda: _training(window, before), 120.0) == float("inf"):
        raise RuntimeError("no training snapshot within 120 s")
    step0 = window.session.latest.step
    frames[0] = 0
    received0 = window.session.snapshots_received
    timer.start(tick_ms)
    sampler.start(250)
    started = time.perf_counter()
    _wait(app, lambda: time.perf_counter() - started >= seconds, seconds + 5)
    elapsed = time.perf_counter() - started
    timer.stop()
    sampler.stop()
    window.weights_changed.disconnect(drawn)
    steps = window.session.latest.step - step0
    snapshots = window.session.snapshots_received - received0
    if not window.state.is_training:
        raise RuntimeError(f"the run ended before Stop (state {window.state}): {window.statusBar().currentMessage()}")
    window.stop_training()
    stop_seconds = _wait(app, lambda: window.state is RunState.READY, 30.0)
    lateness = np.maximum(np.diff(np.asarray(ticks)) * 1e3 - tick_ms, 0.0)
    out = _stats(lateness, "lateness")
    third = max(1, len(rss) // 3)
    out.update({
        "window_samples_per_second": steps * config.batch_size / elapsed,
        "frames_per_second": frames[0] / elapsed,
        "snapshots_per_second": snapshots / elapsed,
        "stop_seconds": stop_seconds,
        "rss_mb": float(np.mean(rss[-third:])) if rss else rss_mb(),
        "rss_peak_mb": peak_rss_mb(),
    })
    return out


def view_costs(window, app, hidden, frames: int = 30) -> dict:
    """Median milliseconds (setter plus paint) of the network view and the weight maps for one new
    snapshot of ``hidden``: the views whose drawn items are bounded whatever the width."""
    snaps = _fake_snapshots(frames + 5, hidden=tuple(hidden), seed=3)
    x = window.dataset.x_test[0] if window.dataset is not None else np.zeros(784, np.float32)
    out = {}
    views = {
        "network": lambda s: window.network_view.set_frame(s, s.network.forward(x), 0, 1),
        "weight_maps": lambda s: window.weight_maps.set_weights(s),
    }
    for name, draw in views.items():
        times = []
        for snap in snaps:
            t0 = time.perf_counter()
            draw(snap)
            app.processEvents()
            times.append((time.perf_counter() - t0) * 1e3)
        out[f"view_{name}_median_ms"] = float(np.median(times[5:]))
    out["network_items"], out["network_segments"] = window.network_view.drawn_items()
    # Every view on screen from one new snapshot, as a frame while training draws them.
    session, times = window.session, []
    session.progress_run = snaps[0].run_id  # the fake run's snapshots drive the progress bar too
    for snap in snaps:
        session.on_snapshot(snap)
        t0 = time.perf_counter()
        window.render(everything=True)
        app.processEvents()
        times.append((time.perf_counter() - t0) * 1e3)
    out["view_all_median_ms"] = float(np.median(times[5:]))
    _reset(window, app)  # fresh weights of the real configuration for the timed run
    return out


def _close_during_run(window, app, config) -> float:
    """Seconds that closing the window takes while it trains (the worker joined)."""
    window.controls.set_config(config)
    before = _latest_step(window)
    window.start_training()
    _wait(app, lambda: _training(window, before), 120.0)
    _wait(app, lambda: False, 1.0)  # a second of training under way
    t0 = time.perf_counter()
    window.close()
    return time.perf_counter() - t0


def snapshot_cost(config, dataset, copies: int = 20) -> dict:
    """Milliseconds one trainer snapshot (copying every weight out of TensorFlow) takes for ``config``."""
    from visualizer.training.trainer import Trainer

    trainer = Trainer(config, dataset)
    trainer.current_snapshot()
    times = []
    for _ in range(copies):
        t0 = time.perf_counter()
        trainer.current_snapshot()
        times.append((time.perf_counter() - t0) * 1e3)
    interval = trainer.effective_interval()
    trainer.release()
    return {"snapshot_copy_ms": float(np.median(times)), "snapshot_interval_s": interval}


def _no_window(config, dataset, seconds: float, *, record: bool = True) -> float:
    """Samples per second of the same trainer without a window (snapshots at 30 Hz, kept latest only).

    ``record``: into a timeline with the window's default budget, as the window's trainer does
    (so the ratio is the window's cost alone); False for the trainer without a recording.
    """
    from visualizer.core.timeline import Timeline
    from visualizer.training.control import TrainingControl
    from visualizer.training.trainer import Trainer

    latest = [None]
    control = TrainingControl()
    trainer = Trainer(config, dataset, snapshot_interval=1 / 30, timeline=Timeline() if record else None)
    marks: list = []

    def on_snapshot(snap):
        latest[0] = snap
        if snap.step > 0 and not marks:
            marks.append((time.perf_counter(), snap.step))  # after the graph tracing
        if marks and time.perf_counter() - marks[0][0] >= seconds:
            control.stop()
            marks.append((time.perf_counter(), snap.step))

    trainer.run(on_snapshot, control)
    trainer.release()
    if len(marks) < 2:
        return float("nan")
    (t0, s0), (t1, s1) = marks[0], marks[-1]
    return (s1 - s0) * config.batch_size / max(t1 - t0, 1e-9)


def _fit(config, dataset, seconds: float) -> float:
    """Samples per second of the tutorial's ``model.fit`` on the same data, about ``seconds`` long."""
    from visualizer.bench.training import fit_baseline

    def first(n: int):
        n = min(n, len(dataset.x_train))
        return dataclasses.replace(dataset, x_train=dataset.x_train[:n], y_train=dataset.y_train[:n],
                                   x_test=dataset.x_test[:1000], y_test=dataset.y_test[:1000])

    rate = fit_baseline(config.with_changes(epochs=1), first(2048))["fit_samples_per_second"]  # traces; a first rate
    # One epoch of the data's first images, about ``seconds`` long (the first epoch includes the tracing).
    return fit_baseline(config.with_changes(epochs=1), first(max(2048, int(rate * seconds))))["fit_samples_per_second"]


def _combine(runs: list[dict]) -> dict:
    """One row from several rounds of :func:`_train_for`: medians, but the worst lateness and Stop."""
    worst = {"lateness_max_ms", "stop_seconds", "rss_peak_mb"}
    return {key: (max if key in worst else statistics.median)(r[key] for r in runs) for key in runs[0]}


def measure_scale(dataset, hidden: tuple[int, ...], *, seconds: float = 6.0, batch_size: int = 32,
                  seed: int = 0, baseline: bool = True, rounds: int = 3) -> dict:
    """One row of the scale table for ``hidden``; see the module docstring. Plain numbers and target checks."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from visualizer.core.config import TrainingConfig

    app = QApplication.instance() or QApplication(["nnviz-bench"])
    config = TrainingConfig(hidden=tuple(hidden), batch_size=batch_size, epochs=1000, seed=seed)
    params = sum(a * b + b for a, b in zip(config.layer_sizes[:-1], config.layer_sizes[1:], strict=True))
    out: dict = {"hidden": ",".join(map(str, hidden)), "parameters": params,
                 "window": f"{WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}", "seconds": seconds}
    with tempfile.TemporaryDirectory() as folder:
        window = _window(dataset, folder)
        try:
            if _wait(app, lambda: window.state is RunState.READY, 120.0) == float("inf"):
                raise RuntimeError(f"window not ready after 120 s (state {window.state})")
            out.update(view_costs(window, app, hidden))
            runs, alone = [], []
            for i in range(max(1, int(rounds))):
                if i:
                    _reset(window, app)  # fresh weights and a fresh recording, as the trainer alone gets
                runs.append(_train_for(window, app, config, seconds))
                if baseline:  # recording, like the window's trainer
                    alone.append(_no_window(config, dataset, seconds))
            out.update(_combine(runs))
            out["rounds"] = len(runs)
            if baseline:
                out["no_window_samples_per_second"] = statistics.median(alone)
                out["window_vs_no_window"] = statistics.median(
                    r["window_samples_per_second"] / a for r, a in zip(runs, alone, strict=True))
            out["close_seconds"] = _close_during_run(window, app, config)
        finally:
            window.close()
            window.deleteLater()
            QCoreApplication.processEvents()
    out.update(snapshot_cost(config, dataset))
    if baseline:
        out["no_window_plain_samples_per_second"] = _no_window(config, dataset, seconds, record=False)
        out["fit_samples_per_second"] = _fit(config, dataset, seconds)
        out["window_vs_fit"] = out["window_samples_per_second"] / out["fit_samples_per_second"]
    out["targets_met"] = {key: out[key] <= limit for key, limit in SCALE_TARGETS.items() if key in out}
    out["targets_met"].update({key: out[key] >= limit for key, limit in SCALE_RATIO_TARGETS.items() if key in out})
    return out
