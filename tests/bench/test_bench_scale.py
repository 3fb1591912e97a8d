"""The scale bench measures training from the run's first trained batch, not from the weights shown before Start."""

from __future__ import annotations

from types import SimpleNamespace

from visualizer.bench.scale import _latest_step, _training
from visualizer.core.snapshot import SnapshotEvent


def _window(step, event=SnapshotEvent.BATCH, run_id=3):
    snap = SimpleNamespace(step=step, event=event, run_id=run_id)
    return SimpleNamespace(session=SimpleNamespace(latest=snap, run_id=3))


def test_the_weights_shown_before_start_are_not_the_first_trained_batch():
    before = _latest_step(_window(0))  # the freshly initialised network: a BATCH snapshot of this run at step 0
    assert not _training(_window(0), before), "counting from here timed the tracing as training"
    assert not _training(_window(1, SnapshotEvent.START), before)
    assert not _training(_window(5, run_id=2), before)
    assert _training(_window(1), before)


def test_a_continued_run_counts_from_where_it_started():
    before = _latest_step(_window(700))
    assert not _training(_window(700), before) and _training(_window(701), before)
    assert _latest_step(SimpleNamespace(session=SimpleNamespace(latest=None))) == -1


def test_a_scale_row_reports_every_figure_and_says_which_targets_it_met(qapp, tmp_path, monkeypatch):
    import math

    import numpy as np

    from visualizer.bench.report import format_scale
    from visualizer.bench.scale import measure_scale
    from visualizer.data.dataset import Dataset

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    rng = np.random.default_rng(0)
    x, y = rng.random((320, 784), dtype=np.float32), rng.integers(0, 10, 320)
    tiny = Dataset(x[:256], y[:256], x[256:], y[256:], source="random test data", kind="synthetic")
    row = measure_scale(tiny, (24, 8), seconds=0.5, baseline=False, rounds=2)
    for key in ("window_samples_per_second", "lateness_p99_ms", "view_all_median_ms", "view_network_median_ms",
                "stop_seconds", "close_seconds"):
        assert math.isfinite(row[key]), key
    assert set(row["targets_met"]) >= {"lateness_p99_ms", "view_all_median_ms", "stop_seconds"} and row["rounds"] == 2
    row.update(no_window_samples_per_second=1.0, fit_samples_per_second=1.0, snapshot_copy_ms=0.1)
    row["targets_met"] = {"lateness_p99_ms": True, "window_vs_fit": False}
    text = format_scale([row])
    assert "| 24,8 |" in text and "24,8: MISSED window_vs_fit" in text


def test_rounds_combine_as_medians_but_the_worst_lateness_and_stop():
    from visualizer.bench.scale import _combine

    runs = [{"lateness_p99_ms": p, "lateness_max_ms": m, "stop_seconds": s, "window_samples_per_second": w}
            for p, m, s, w in ((10, 30, 0.1, 100), (30, 90, 0.4, 300), (20, 40, 0.2, 200))]
    row = _combine(runs)
    assert row == {"lateness_p99_ms": 20, "lateness_max_ms": 90, "stop_seconds": 0.4, "window_samples_per_second": 200}
