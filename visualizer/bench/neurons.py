"""Neuron-analysis benchmark: the response matrix over 10,000 test digits, one dream image, one fool-it.

All three run off the GUI thread in the app (the session's jobs); these figures are what each
job costs on its own, with the public API: :func:`visualizer.session.neurons.analyse_test_set`
(what the Neurons panel runs at every epoch end: means per digit, top-9 images per neuron and per
digit, histograms, dead flags), :func:`visualizer.core.dream.dream_digit` and
:func:`visualizer.core.dream.fool`.
"""

from __future__ import annotations

import time

import numpy as np

N_IMAGES = 10_000  # MNIST's whole test set: what the panel analyses


def _stats(samples_s: list[float], name: str) -> dict[str, float]:
    ms = np.asarray(samples_s, dtype=np.float64) * 1e3
    return {f"{name}_median_ms": float(np.median(ms)), f"{name}_p90_ms": float(np.percentile(ms, 90))}


def run_neurons_bench(snapshot, images: np.ndarray, labels: np.ndarray, *, repeats: int = 15,
                      dreams: int = 10, fools: int = 10) -> dict[str, float]:
    """Time the analysis, dreams and fool-it for ``snapshot``'s network on test ``images`` (n, 784).

    A test set smaller than ``N_IMAGES`` is repeated up to that many digits, so the figure is
    always for 10,000. Keys: ``analysis_*`` (one response matrix), ``dream_*`` (one digit's
    image, digits 0-9 in turn; ``dream_rose``: share whose output rose), ``fool_*`` (one test
    digit made to read as the next digit; ``fool_succeeded``: share that worked within the budget).
    """
    from visualizer.core.dream import dream_digit, fool
    from visualizer.session.neurons import analyse_test_set

    net = snapshot.network
    rows = np.arange(N_IMAGES) % len(images)
    x = np.ascontiguousarray(np.asarray(images, np.float32)[rows])
    y = np.asarray(labels)[rows]
    report: dict[str, float] = {"analysis_images": float(len(x))}

    analyse_test_set(net, x, y)  # first call: page in the arrays, warm BLAS
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        analyse_test_set(net, x, y)
        times.append(time.perf_counter() - t)
    report.update(_stats(times, "analysis"))

    times, rose = [], 0
    for k in range(dreams):
        t = time.perf_counter()
        d = dream_digit(net, k % 10)
        times.append(time.perf_counter() - t)
        rose += d.value > d.value_start
    report.update(_stats(times, "dream"))
    report["dream_rose"] = rose / max(dreams, 1)

    times, succeeded = [], 0
    for k in range(fools):
        target = (int(y[k]) + 1) % 10
        t = time.perf_counter()
        result = fool(net, x[k], target)
        times.append(time.perf_counter() - t)
        succeeded += result.succeeded
    report.update(_stats(times, "fool"))
    report["fool_succeeded"] = succeeded / max(fools, 1)
    return report
