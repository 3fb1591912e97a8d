"""The benchmarks run end to end on tiny data and report every figure (no timing thresholds here)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from visualizer.data.dataset import Dataset


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    x = rng.random((320, 784), dtype=np.float32)
    y = rng.integers(0, 10, 320)
    return Dataset(x[:256], y[:256], x[256:], y[256:], source="random test data", kind="synthetic")


def test_the_window_bench_reports_its_figures(qapp, tiny, tmp_path, monkeypatch):
    from visualizer.bench.window import run_gui_bench

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    out = run_gui_bench(tiny, epochs=1, snapshots=3, startup_runs=1, baseline=False, min_seconds=0.0,
                        scrub_moments=10, replay_seconds=0.5)
    for key in ("startup_seconds", "update_median_ms", "lateness_p99_ms", "gui_frames_per_second",
                "gui_samples_per_second", "browser_lateness_p99_ms", "rss_peak_mb", "scrub_median_ms",
                "replay_lateness_p99_ms", "replay_frames_per_second", "tab_front_median_ms"):
        assert key in out and math.isfinite(out[key]), key
    assert out["targets_met"] and "Training" in out["visible_panels"]


def test_the_pad_bench_reports_its_figures(qapp, tiny):
    from visualizer.bench.pad import run_pad_bench
    from visualizer.core.network import Network
    from visualizer.core.snapshot import TrainingSnapshot

    rng = np.random.default_rng(1)
    net = Network.from_arrays([rng.normal(0, 0.05, (784, 16)), rng.normal(0, 0.2, (16, 10))], [np.zeros(16), np.zeros(10)])
    out = run_pad_bench(TrainingSnapshot.of_network(net), repeats=6)
    for key in ("preprocess_forward_median_ms", "saliency_median_ms", "panel_update_median_ms"):
        assert key in out and math.isfinite(out[key]), key


def test_the_gradient_statistics_bench_reports_their_cost(tiny):
    from visualizer.bench.gradients import gradient_stats_cost
    from visualizer.bench.report import _gradient_lines

    out = gradient_stats_cost(tiny, calls=2)
    for key in ("grad_stats_on_samples_per_second", "grad_stats_off_samples_per_second", "grad_stats_on_us_per_batch",
                "grad_stats_off_us_per_batch", "grad_stats_cost_percent", "grad_stats_call_batches"):
        assert key in out and math.isfinite(out[key]), key
    figures = dict.fromkeys(("backward_median_ms", "backward_p95_ms", "view_update_median_ms", "view_update_p95_ms",
                             "view_update_cpu_median_ms", "hover_median_ms", "hover_p95_ms",
                             "stage_transition_median_ms", "stage_transition_p95_ms",
                             "stage_transition_cpu_median_ms"), 1.0)
    assert "gradient size and update ratio in the graph" in "\n".join(_gradient_lines({**figures, **out}))


def test_the_wide_gradients_bench_reports_bounded_items(qapp, tiny, monkeypatch):
    import visualizer.session.gradients as gradients
    from visualizer.bench.gradients import run_wide_gradients_bench
    from visualizer.core import edges

    monkeypatch.setattr(gradients, "BACKGROUND_WEIGHTS", 0)  # a small network, on the background path
    out = run_wide_gradients_bench(tiny.x_test[:1], tiny.y_test[:1], hidden=(100, 40), updates=3)
    for key in ("wide_gui_median_ms", "wide_gui_cpu_median_ms", "wide_redraw_median_ms", "wide_ready_median_ms"):
        assert math.isfinite(out[key]), key
    assert 0 < out["wide_edges"] <= 3 * edges.WIDE_EDGES and out["wide_tiles_drawn"] == 64 and out["wide_tiles"] == 100
