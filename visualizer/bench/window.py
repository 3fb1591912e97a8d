"""GUI benchmarks (offscreen): start-up time, view update cost, event-loop lateness while training,
training speed with the window attached versus plain ``model.fit``, and memory during a run.

Not timed tests: ``nnviz bench --gui`` calls :func:`run_gui_bench` and prints the figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from visualizer.bench.memory import peak_rss_mb, rss_mb
from visualizer.session import RunState

TARGETS = {
    "startup_seconds": 1.5,  # window painted after launch
    "update_median_ms": 16.0,  # all views from one snapshot, including the paint
    "lateness_p99_ms": 20.0,  # a 10 ms timer while training and redrawing
    "lateness_max_ms": 100.0,
    "browser_lateness_p99_ms": 20.0,  # the same with the Test set tab in front of the Draw tab
    "browser_lateness_max_ms": 100.0,
    "speedup_vs_fit": 2.5,  # training samples/s with the window vs the tutorial's model.fit
    "scrub_median_ms": 16.0,  # timeline cursor to a random moment, every view repainted
    "scrub_p99_ms": 33.0,
    "replay_lateness_p99_ms": 20.0,  # a 10 ms timer while a replay redraws at display rate
}

_PROBE = "from visualizer.app import run_app; raise SystemExit(run_app(data='synthetic'))"


def _stats(values_ms, prefix: str) -> dict:
    a = np.asarray(values_ms, dtype=float)
    if a.size == 0:
        return {f"{prefix}_median_ms": float("nan"), f"{prefix}_p95_ms": float("nan"),
                f"{prefix}_p99_ms": float("nan"), f"{prefix}_max_ms": float("nan")}
    return {
        f"{prefix}_median_ms": float(np.median(a)),
        f"{prefix}_p95_ms": float(np.percentile(a, 95)),
        f"{prefix}_p99_ms": float(np.percentile(a, 99)),
        f"{prefix}_max_ms": float(a.max()),
    }


def measure_startup(runs: int = 3, timeout: float = 60.0) -> dict:
    """Seconds from launching a fresh Python process to the window's first painted frame.

    The child runs ``run_app`` offscreen with ``NNVIZ_STARTUP_PROBE`` set, prints a timestamp
    once painted, and quits; settings go to a temporary folder.
    """
    times = []
    with tempfile.TemporaryDirectory() as config_home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NNVIZ_STARTUP_PROBE="1", XDG_CONFIG_HOME=config_home)
        for _ in range(runs):
            launched = time.time()
            proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, timeout=timeout)
            shown = [ln for ln in proc.stdout.splitlines() if ln.startswith("NNVIZ_SHOWN ")]
            if proc.returncode != 0 or not shown:
                raise RuntimeError(f"start-up probe failed (exit {proc.returncode}): {proc.stderr[-800:]}")
            times.append(float(shown[-1].split()[1]) - launched)
    return {"startup_seconds": float(np.median(times)), "startup_runs_seconds": [round(t, 3) for t in times]}


def _fake_snapshots(n: int, hidden=(16, 16), batches_per_epoch: int = 1875, seed: int = 0) -> list:
    """Snapshots shaped like a real run's: weights drifting, a history growing point by point."""
    from visualizer.core.history import MetricHistory
    from visualizer.core.network import Network
    from visualizer.core.snapshot import TrainingSnapshot

    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 10)
    weights = [rng.normal(0, np.sqrt(2 / (a + b)), (a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [np.zeros(b, np.float32) for b in sizes[1:]]
    history, out = MetricHistory(), []
    for i in range(1, n + 1):
        step = i * 20
        weights = [w + rng.normal(0, 1e-3, w.shape).astype(np.float32) for w in weights]
        history.add_train(step / batches_per_epoch, 2.3 * np.exp(-i / 30), 1 - 0.9 * np.exp(-i / 30))
        out.append(TrainingSnapshot(
            run_id=1, step=step, epoch=step // batches_per_epoch, epochs=5, batch=step % batches_per_epoch,
            batches_per_epoch=batches_per_epoch, network=Network.from_arrays(weights, biases, "relu"),
            metrics={"loss": 0.5, "accuracy": 0.8, "samples_per_second": 50_000.0, "eta_seconds": 30.0},
            history=history.view(),
        ))
    return out


def measure_update(window, app, snapshots: int = 100) -> dict:
    """Milliseconds to push one snapshot into every view (``render``) and to paint the result."""
    set_ms, total_ms = [], []
    window.session.progress_run = 1  # the fake run's snapshots drive the progress bar too
    for snap in _fake_snapshots(snapshots + 5):
        window.session.on_snapshot(snap)
        t0 = time.perf_counter()
        window.render(everything=True)
        t1 = time.perf_counter()
        app.processEvents()  # the paint of every widget that changed
        t2 = time.perf_counter()
        set_ms.append((t1 - t0) * 1e3)
        total_ms.append((t2 - t0) * 1e3)
    set_ms, total_ms = set_ms[5:], total_ms[5:]  # the first frames build caches
    out = _stats(total_ms, "update")
    out.update({"update_set_only_median_ms": float(np.median(set_ms))})
    out.update(measure_views(window, app, snapshots))
    return out


def measure_views(window, app, snapshots: int = 60) -> dict:
    """Median milliseconds of each view alone (its setter plus its paint), to see where time goes."""
    x = window.dataset.x_test[0] if window.dataset is not None else np.zeros(784, np.float32)
    views = {
        "network_weights": lambda s: window.network_view.set_weights(s),
        "network_activations": lambda s: window.network_view.set_activations(
            s.network.forward(x), 0, 0),
        "weight_maps": lambda s: window.weight_maps.set_weights(s),
        "curves": lambda s: window.curves.set_history(s.history),
        "progress": lambda s: window.progress.set_snapshot(s),
    }
    out = {}
    for name, update in views.items():
        times = []
        for snap in _fake_snapshots(snapshots + 5, seed=7):
            t0 = time.perf_counter()
            update(snap)
            app.processEvents()
            times.append((time.perf_counter() - t0) * 1e3)
        out[f"view_{name}_median_ms"] = float(np.median(times[5:]))
    return out


def measure_training(window, app, config, *, tick_ms: int = 10) -> dict:
    """Train ``config`` from the window; meanwhile a 10 ms timer measures GUI lateness and memory."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    ticks, rss = [], []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    sampler = QTimer()
    sampler.timeout.connect(lambda: rss.append(rss_mb()))
    frames = [0]
    window.weights_changed.connect(lambda _s: frames.__setitem__(0, frames[0] + 1))
    received_before = window.session.snapshots_received
    loop = QEventLoop()
    window.state_changed.connect(lambda s: loop.quit() if s is RunState.READY else None)
    window.controls.set_config(config)
    rss_before = rss_mb()
    started = time.perf_counter()
    if not window.start_training():
        raise RuntimeError(f"could not start training (state {window.state})")
    timer.start(tick_ms)
    sampler.start(250)
    loop.exec()
    seconds = time.perf_counter() - started
    timer.stop()
    sampler.stop()
    result = window.last_result
    intervals = np.diff(np.asarray(ticks)) * 1e3
    lateness = np.maximum(intervals - tick_ms, 0.0)
    out = _stats(lateness, "lateness")
    third = max(1, len(rss) // 3)
    out.update({
        "gui_train_seconds": seconds,
        "gui_samples_per_second": len(window.dataset.x_train) * config.epochs / seconds,
        "gui_loop_samples_per_second": result.samples_per_second if result else float("nan"),
        "gui_test_accuracy": result.test_accuracy if result else float("nan"),
        "gui_frames_per_second": frames[0] / seconds,
        "snapshots_per_second": (window.session.snapshots_received - received_before) / seconds,
        "timer_ticks": len(ticks),
        "rss_before_run_mb": rss_before,
        "rss_first_third_mb": float(np.mean(rss[:third])) if rss else float("nan"),
        "rss_last_third_mb": float(np.mean(rss[-third:])) if rss else float("nan"),
        "rss_peak_mb": peak_rss_mb(),
    })
    out["rss_growth_during_run_mb"] = out["rss_last_third_mb"] - out["rss_first_third_mb"]
    return out


def measure_scrub(window, app, moments: int = 100, seed: int = 0) -> dict:
    """Milliseconds from moving the timeline's cursor to a random recorded moment to every view repainted."""
    session = window.session
    steps = session.timeline.steps() if session.timeline is not None else np.zeros(0, np.int64)
    if steps.size < 2:
        return _stats([], "scrub")
    rng = np.random.default_rng(seed)
    times = []
    for step in rng.choice(steps, size=moments + 5):
        t0 = time.perf_counter()
        session.set_cursor(int(step))
        window.render(everything=True)
        app.processEvents()
        times.append((time.perf_counter() - t0) * 1e3)
    session.go_live()
    return _stats(times[5:], "scrub")


def measure_tabs(window, app, moments: int = 10, seed: int = 1) -> dict:
    """Milliseconds from bringing a dock behind another tab to the front to it drawn and painted.

    A tab behind another is not drawn per frame (nor per cursor move): it catches up with the
    moment shown when it comes to the front. This is that catching up, after a cursor move, for
    every tabbed dock in turn (then the Draw tab is in front again).
    """
    session = window.session
    steps = session.timeline.steps() if session.timeline is not None else np.zeros(0, np.int64)
    behind = [title for title in ("Test set", "Neurons", "Gradients") if title in window.docks]
    if steps.size < 2 or not behind:
        return {"tab_front_median_ms": float("nan"), "tab_front_max_ms": float("nan")}
    rng = np.random.default_rng(seed)
    times = []
    for step in rng.choice(steps, size=moments):
        session.set_cursor(int(step))
        window.render(everything=True)
        app.processEvents()
        for title in behind:
            t0 = time.perf_counter()
            window.docks[title].raise_()
            app.processEvents()  # the refresh is queued by the dock's visibilityChanged
            app.processEvents()  # and its paint
            times.append((time.perf_counter() - t0) * 1e3)
        window.docks["Draw"].raise_()
        app.processEvents()
    session.go_live()
    return {"tab_front_median_ms": float(np.median(times)), "tab_front_max_ms": float(np.max(times))}


def measure_replay(window, app, seconds: float = 3.0, pace: float = 100.0, *, tick_ms: int = 10) -> dict:
    """A replay at ``pace`` recorded batches per second, redrawn at display rate, while a 10 ms timer
    measures how late the event loop runs (the same figure as while training)."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    session = window.session
    if session.timeline is None or len(session.timeline) < 2:
        return _stats([], "replay_lateness")
    ticks, frames = [], [0]
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    drawn = window.weights_changed.connect(lambda _s: frames.__setitem__(0, frames[0] + 1))
    session.replay.loop = True
    window.timeline_bar.speed.setCurrentIndex(max(window.timeline_bar.speed.findData(pace), 0))
    window.timeline_bar.play_button.setChecked(True)
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    timer.start(tick_ms)
    loop.exec()
    timer.stop()
    window.timeline_bar.play_button.setChecked(False)
    session.replay.loop = False
    window.weights_changed.disconnect(drawn)
    session.go_live()
    lateness = np.maximum(np.diff(np.asarray(ticks)) * 1e3 - tick_ms, 0.0)
    out = _stats(lateness, "replay_lateness")
    out["replay_frames_per_second"] = frames[0] / seconds
    return out


def _reset(window, app) -> None:
    window.reset()
    while window.state is not RunState.READY:
        app.processEvents()
        time.sleep(0.01)


def _visible_panels(window) -> list[str]:
    """Titles of the docks really on screen (a dock behind another tab is not), and the window size."""
    # The dock itself, not its widget: a panel inside a scroll area is covered by the scroll
    # area's viewport, so the widget's own visible region is empty even on screen.
    shown = [title for title, dock in window.docks.items() if dock.isVisible() and not dock.visibleRegion().isEmpty()]
    return [*shown, f"{window.width()}x{window.height()}"]


def run_gui_bench(dataset, *, epochs: int = 5, batch_size: int = 32, redraw_hz: int = 30,
                  snapshots: int = 100, startup_runs: int = 3, baseline: bool = True, seed: int = 0,
                  min_seconds: float = 8.0, scrub_moments: int = 100, replay_seconds: float = 3.0) -> dict:
    """Measure the window on ``dataset`` (offscreen); returns plain numbers and target checks.

    Keys: startup_seconds; update_median_ms / update_p95_ms (one snapshot into every view plus
    its paint); lateness_p50/p99/max_ms of a 10 ms timer while training with the window open in
    its default docked layout (Draw tab in front: the pad, and the test browser behind it, which
    still re-evaluates the test set) and redrawing at ``redraw_hz``; browser_lateness_* and
    browser_gui_frames_per_second for the same run with the Test set tab in front instead;
    visible_panels says which docks were on screen; gui_samples_per_second (Start to finished, wall clock) and
    fit_samples_per_second (the tutorial's ``model.fit(batch_size=32)`` on the same data, same
    process) with speedup_vs_fit; rss_* memory figures; ``targets_met`` per target. The timed
    run gets more than ``epochs`` epochs when needed to last about ``min_seconds``; the baseline
    fit uses the same number of epochs.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out: dict = {"train_samples": len(dataset.x_train), "epochs": epochs, "batch_size": batch_size,
                 "redraw_hz": redraw_hz, "cpu_count": os.cpu_count()}
    out.update(measure_startup(startup_runs))

    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    from visualizer.core.config import TrainingConfig
    from visualizer.ui.window import MainWindow
    from visualizer.ui.settings import Settings

    app = QApplication.instance() or QApplication(["nnviz-bench"])
    with tempfile.TemporaryDirectory() as folder:
        store = QSettings(os.path.join(folder, "bench.ini"), QSettings.Format.IniFormat)
        window = MainWindow(dataset=dataset, settings=Settings(store))
        try:
            window.set_redraw_rate(redraw_hz)
            window.session.set_pace(None)  # full speed: the default pace (100 batches/s) is for watching
            window.show()
            window.resize(1280, 800)
            deadline = time.monotonic() + 120
            while window.state is not RunState.READY and time.monotonic() < deadline:
                app.processEvents()
                time.sleep(0.01)
            if window.state is not RunState.READY:
                raise RuntimeError(f"window not ready after 120 s (state {window.state})")
            out.update(measure_update(window, app, snapshots))
            config = TrainingConfig(batch_size=batch_size, epochs=epochs, seed=seed)
            # The first run in a process also traces TensorFlow's graphs: reported separately.
            cold = measure_training(window, app, config.with_changes(epochs=1))
            out["gui_first_run_samples_per_second"] = cold["gui_samples_per_second"]
            # Enough epochs for a steady measurement (>= min_seconds), judged from a warm epoch.
            warm = measure_training(window, app, config.with_changes(epochs=1))
            epoch_seconds = len(dataset.x_train) / max(warm["gui_loop_samples_per_second"], 1.0)
            config = config.with_changes(epochs=max(epochs, int(np.ceil(min_seconds / epoch_seconds))))
            out["epochs"] = config.epochs
            _reset(window, app)  # fresh weights for the timed run, like the baseline's
            out["visible_panels"] = _visible_panels(window)
            out.update(measure_training(window, app, config))
            out.update(measure_scrub(window, app, scrub_moments))  # the run just recorded
            out.update(measure_tabs(window, app))
            out.update(measure_replay(window, app, replay_seconds))
            # The same run with the Test set tab in front (its matrix, digit and bars repainting)
            # instead of the Draw tab: both are part of the docked layout a user trains with.
            window.docks["Test set"].raise_()
            _reset(window, app)
            out["browser_visible_panels"] = _visible_panels(window)
            browser = measure_training(window, app, config)
            out.update({f"browser_{key}": browser[key] for key in (
                "lateness_p95_ms", "lateness_p99_ms", "lateness_max_ms", "gui_frames_per_second")})
        finally:
            window.close()
            window.deleteLater()
            QCoreApplication.processEvents()
    if baseline:
        from visualizer.bench.training import fit_baseline

        fit = fit_baseline(TrainingConfig(batch_size=32, epochs=out["epochs"], seed=seed), dataset)
        out["fit_samples_per_second"] = fit["fit_samples_per_second"]
        out["fit_test_accuracy"] = fit["fit_test_accuracy"]
        out["speedup_vs_fit"] = out["gui_samples_per_second"] / fit["fit_samples_per_second"]
    out["targets_met"] = {
        key: (out[key] >= limit if key == "speedup_vs_fit" else out[key] <= limit)
        for key, limit in TARGETS.items() if key in out
    }
    return out


if __name__ == "__main__":
    import json

    from visualizer.data.sources import load_dataset

    data = load_dataset(sys.argv[1] if len(sys.argv) > 1 else None)
    print(json.dumps(run_gui_bench(data, epochs=int(os.environ.get("NNVIZ_BENCH_EPOCHS", "1"))), indent=2))
