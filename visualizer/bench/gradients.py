"""Gradient-view benchmarks (offscreen): one example's backward pass, the Gradients panel update, a stage transition.

Targets from issue 10: the backward pass ≤ 1 ms median; the gradient view update (a new
network's gradient, computed and drawn, paint included) ≤ 16 ms median; a transition between two
frames of "Explain one step" ≤ 16 ms median; the per-layer gradient statistics measured in the
training graph cost ≤ 5% of full-speed throughput. Issue 14: at 1024,1024,1024 the GUI thread's
share of a Gradients panel update must not grow with the weights (:func:`run_wide_gradients_bench`:
the backward pass in a background job, the drawing bounded). Not timed tests: ``nnviz bench``
calls :func:`run_gradients_bench` and :func:`gradient_stats_cost` and prints the figures.
"""

from __future__ import annotations

import os
import time

import numpy as np

TARGETS = {"backward_median_ms": 1.0, "view_update_median_ms": 16.0, "stage_transition_median_ms": 16.0,
           "grad_stats_cost_percent": 5.0}


def _stats(samples_ms, name: str) -> dict[str, float]:
    a = np.asarray(samples_ms, dtype=np.float64)
    return {f"{name}_median_ms": float(np.median(a)), f"{name}_p95_ms": float(np.percentile(a, 95))}


class _Clock:
    """Wall and CPU milliseconds of each timed block: on a machine shared with other work the CPU
    time is the GUI thread's own cost (background jobs not counted), the wall time what a user
    waits (the target applies to it)."""

    def __init__(self):
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self):
        self._t, self._c = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *exc):
        self.wall.append((time.perf_counter() - self._t) * 1e3)
        self.cpu.append((time.thread_time() - self._c) * 1e3)

    def stats(self, name: str, skip: int = 0) -> dict[str, float]:
        out = _stats(self.wall[skip:], name)
        out[f"{name}_cpu_median_ms"] = float(np.median(self.cpu[skip:]))
        return out


def _drifting(network, n: int, seed: int = 0) -> list:
    """``n`` networks like a run's successive snapshots: the weights drift a little each time."""
    from visualizer.core.network import Network

    rng = np.random.default_rng(seed)
    out, weights = [], list(network.weights)
    for _ in range(n):
        weights = [w + rng.normal(0, 1e-3, w.shape).astype(np.float32) for w in weights]
        out.append(Network.from_arrays(weights, network.biases, network.hidden_activations, output=network.output))
    return out


class _AtOnce:
    """Jobs, Runner and Backend for a Session that only needs its first network: everything runs at once."""

    def __init__(self, snapshot, dataset):
        self._snapshot, self._dataset = snapshot, dataset

    def submit(self, fn, *args, on_success, on_error, on_finished=None, report=None):
        result = fn(*args, report=report) if report is not None else fn(*args)
        on_success(result)
        if on_finished is not None:
            on_finished(result)

    def startup(self, data_spec, dataset, config, run_id, report):
        return self._dataset, None, self._snapshot

    def start(self, request):  # Runner protocol: this bench never trains
        raise RuntimeError("the gradients bench does not train")


class _Images:
    """The dataset a Session needs to show test digit 0: ``x_test`` and ``y_test`` only."""

    is_synthetic = False

    def __init__(self, x, y):
        self.x_test, self.y_test = x, y
        self.x_train, self.y_train = x, y


def run_gradients_bench(snapshot, x_test, y_test, *, repeats: int = 200) -> dict[str, float]:
    """Measure the gradient views with ``snapshot``'s architecture; returns plain floats.

    Keys: ``backward_*`` (example_gradient alone), ``view_update_*`` (a new network's gradient
    plus ``GradientsPanel.set_moment`` and its paint, as one render tick does), ``hover_*`` (one
    hover text with its step preview) and ``stage_transition_*`` (``StepExplainer.next`` plus the
    dialog's redraw and paint, cycling through every frame).
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from visualizer.core.backprop import example_gradient
    from visualizer.session import Session
    from visualizer.session.gradients import Gradients, chosen_config
    from visualizer.session.stepper import StepExplainer
    from visualizer.ui.panels.gradients.explain import ExplainDialog
    from visualizer.ui.panels.gradients.panel import GradientsPanel

    app = QApplication.instance() or QApplication([])
    x, target = np.asarray(x_test[0], np.float32).reshape(-1), int(y_test[0])
    report: dict[str, float] = {}
    net = snapshot.network
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        example_gradient(net, x, target)
        times.append((time.perf_counter() - t) * 1e3)
    report.update(_stats(times, "backward"))

    helper = _AtOnce(snapshot, _Images(np.asarray(x_test[:1], np.float32).reshape(1, -1), np.asarray(y_test[:1])))
    session = Session(helper, helper, helper)
    session.start_loading()
    gradients = Gradients(session)
    panel = GradientsPanel()
    panel.resize(430, 760)
    panel.show()
    app.processEvents()
    clock = _Clock()
    for network in _drifting(net, repeats + 5):
        moment_snap = type(snapshot).of_network(network)
        with clock:
            panel.set_moment(gradients.moment(moment_snap))
            app.processEvents()
    report.update(clock.stats("view_update", skip=5))  # the first frames build caches
    diagram, times = panel.diagram, []
    for i in range(min(repeats, 100)):
        panel.set_moment(gradients.moment())  # a new moment: its step preview is computed on first hover
        t = time.perf_counter()
        diagram.hover_at(diagram.neuron_center(len(net.layer_sizes) - 1, i % net.layer_sizes[-1]))
        times.append((time.perf_counter() - t) * 1e3)
        diagram.hover_at(None)
    report.update(_stats(times, "hover"))

    dialog = ExplainDialog()
    step = StepExplainer(session, gradients.moment(), chosen_config(session))
    dialog.set_explainer(step)
    dialog.show()
    app.processEvents()
    clock = _Clock()
    for _ in range(repeats + len(step.frames)):
        with clock:
            step.next() if not step.at_end else step.go_to(step.frames[0].stage)
            app.processEvents()
    report.update(clock.stats("stage_transition", skip=len(step.frames)))  # first visits lay pages out
    dialog.release()
    for widget in (dialog, panel):
        widget.close()
        widget.deleteLater()
    app.processEvents()
    return report


WIDE_HIDDEN = (1024, 1024, 1024)


def _glorot_network(hidden, seed: int = 0):
    """A freshly initialised network of ``hidden`` layers (Keras' Glorot-uniform, zero biases), without TensorFlow."""
    from visualizer.core.network import Network

    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 10)
    weights = [(rng.uniform(-1, 1, (a, b)) * np.sqrt(6 / (a + b))).astype(np.float32)
               for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    return Network.from_arrays(weights, [np.zeros(b, np.float32) for b in sizes[1:]], ["relu"] * len(hidden))


def run_wide_gradients_bench(x_test, y_test, *, hidden=WIDE_HIDDEN, updates: int = 20) -> dict[str, float]:
    """The Gradients panel with a wide network, its jobs on real worker threads, as in the window.

    Each update is one render tick with a new network (``gradients.moment`` + ``set_moment`` +
    paint: the GUI thread's part, ``wide_gui_*``), then the wait for the background job's
    ``ready`` (``wide_ready_*``, wall) and the redraw it triggers (``wide_redraw_*``). Also the
    items drawn (``wide_edges``, ``wide_arrows``, ``wide_tiles_drawn``) and the results dropped.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from visualizer.core.snapshot import TrainingSnapshot
    from visualizer.session import Session
    from visualizer.session.gradients import Gradients
    from visualizer.ui.panels.gradients.panel import GradientsPanel
    from visualizer.ui.workers import QtJobs, WorkerSet

    app = QApplication.instance() or QApplication([])
    net = _glorot_network(hidden)
    snapshot = TrainingSnapshot.of_network(net)
    helper = _AtOnce(snapshot, _Images(np.asarray(x_test[:1], np.float32).reshape(1, -1), np.asarray(y_test[:1])))
    workers = WorkerSet()
    session = Session(helper, QtJobs(workers), helper)
    session.start_loading()
    _run_until(app, lambda: session.shown is not None)
    gradients = Gradients(session)
    arrived = []
    gradients.ready.connect(lambda: arrived.append(time.perf_counter()))
    panel = GradientsPanel()
    panel.resize(430, 760)
    panel.show()
    app.processEvents()
    gui, redraw, ready = _Clock(), _Clock(), []
    for network in _drifting(net, updates + 2):
        snap = TrainingSnapshot.of_network(network)
        count = len(arrived)
        with gui:
            panel.set_moment(gradients.moment(snap))
            app.processEvents()
        t = time.perf_counter()
        _run_until(app, lambda c=count: len(arrived) > c)
        ready.append((time.perf_counter() - t) * 1e3)
        with redraw:
            panel.set_moment(gradients.moment(snap))
            app.processEvents()
    report = {**gui.stats("wide_gui", skip=2), **redraw.stats("wide_redraw", skip=2), **_stats(ready[2:], "wide_ready")}
    report.update(wide_edges=float(panel.diagram.edge_count()), wide_arrows=float(len(panel.diagram._arrows.arrows())),
                  wide_tiles_drawn=float(panel.tiles.drawn_tiles()), wide_tiles=float(panel.tiles.tile_count()),
                  wide_dropped=float(gradients.dropped), wide_weights=float(sum(w.size for w in net.weights)))
    panel.close()
    panel.deleteLater()
    workers.wait_all(5000)
    app.processEvents()
    return report


def _run_until(app, done, timeout: float = 30.0) -> None:
    """Run the event loop until ``done()`` (bench/scale.py has the same wait; importing it pulls in the window bench)."""
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("the background gradient did not arrive")
        app.processEvents()
        time.sleep(0.001)


def gradient_stats_cost(dataset, *, calls: int = 40, call_seconds: float = 1 / 30) -> dict[str, float]:
    """What the in-graph gradient statistics (‖∂L/∂W‖, ‖ΔW‖/‖W‖ per layer) cost at full speed.

    One Trainer of the default network on ``dataset``, its training loop with and without the
    statistics alternating for ``calls`` graph calls each (:meth:`Trainer.time_loops`), every
    call as long as a full-speed call of the window (``call_seconds``: snapshots at 30 Hz; the
    first batch of each call is measured). Two Trainers built alike differ by 10-20% per batch,
    so comparing two runs (as this bench did) read anything from -12% to +13%. Keys:
    ``grad_stats_on/off_us_per_batch`` (medians), ``..._samples_per_second`` (from them),
    ``grad_stats_call_batches`` and ``grad_stats_cost_percent`` (negative: lost in the noise).
    """
    from visualizer.core.config import TrainingConfig
    from visualizer.training.trainer import Trainer

    trainer = Trainer(TrainingConfig(), dataset)
    try:
        trial = trainer.time_loops(32, 3)  # the pace of a batch, to size the calls
        batches = max(1, round(call_seconds / float(np.median(trial[False]))))
        seconds = trainer.time_loops(batches, calls)
    finally:
        trainer.release()
    width = min(TrainingConfig().batch_size, len(dataset.x_train))
    epoch = -(-len(dataset.x_train) // width)  # time_loops' calls stay within an epoch
    out: dict[str, float] = {"grad_stats_call_batches": float(min(batches, epoch))}
    for stats, name in ((True, "on"), (False, "off")):
        per_batch = float(np.median(seconds[stats]))
        out[f"grad_stats_{name}_us_per_batch"] = per_batch * 1e6
        out[f"grad_stats_{name}_samples_per_second"] = width / per_batch
    out["grad_stats_cost_percent"] = 100.0 * (out["grad_stats_on_us_per_batch"] / out["grad_stats_off_us_per_batch"] - 1.0)
    return out
