"""The recording, pace and run file benchmarks run end to end on tiny data (figures present, no thresholds)."""

from __future__ import annotations

import math

import pytest

from visualizer.core.config import TrainingConfig
from visualizer.data.synthetic import synthetic_dataset

SMALL = TrainingConfig(batch_size=32)


@pytest.fixture(scope="module")
def tiny():
    return synthetic_dataset(n_train=256, n_test=64)


def _finite(out: dict, keys) -> None:
    for key in keys:
        assert key in out and math.isfinite(out[key]) and out[key] > 0, key


def test_the_recording_bench_reports_a_ratio(tiny):
    from visualizer.bench.timeline import recording_ratio

    out = recording_ratio(tiny, epochs=1, pairs=1, config=SMALL, min_seconds=0.05)
    _finite(out, ("recording_ratio", "recording_samples_per_second", "plain_samples_per_second"))


def test_the_pace_bench_reports_the_achieved_rate(tiny):
    from visualizer.bench.timeline import pace_accuracy

    out = pace_accuracy(tiny, paces=(200,), seconds=0.2, min_batches=20)
    _finite(out, ("pace_200_achieved", "pace_200_ratio"))


def test_the_prepare_and_runfile_benches_report_seconds(tiny):
    from visualizer.bench.timeline import prepare_seconds, runfile_seconds

    _finite(prepare_seconds(tiny, SMALL), ("prepare_seconds", "first_batch_after_prepare_seconds"))
    out = runfile_seconds(tiny, epochs=1, config=SMALL)
    _finite(out, ("runfile_moments", "runfile_megabytes", "runfile_save_seconds", "runfile_open_seconds"))
    assert out["runfile_moments"] == 9  # the start and 8 batches of 32


def test_the_simulated_long_recording_stays_within_its_budget():
    from visualizer.bench.memory import recording_memory

    budget = 50 * 4 * SMALL.parameter_count  # 50 moments: full after a quarter of the run
    out = recording_memory(epochs=4, batches_per_epoch=50, budget=budget, block=16, config=SMALL)
    assert out["memory_batches"] == 200
    assert out["memory_full_at_batch"] < 200
    assert 0.5 <= out["memory_end_ratio"] <= out["memory_peak_ratio"] <= 1.0
    assert out["memory_moments"] <= 50
    assert math.isfinite(out["memory_rss_growth_mb"]) and out["memory_metrics_mb"] > 0


def test_nnviz_bench_prints_every_timeline_figure_beside_its_target(tiny):
    from visualizer.bench.report import _timeline_lines
    from visualizer.bench.timeline import run_timeline_bench

    out = run_timeline_bench(tiny, pairs=1, epochs=1, runfile_epochs=1, paces=(200,), pace_seconds=0.2,
                             memory_epochs=2, log=lambda text: None)
    _finite(out, ("recording_ratio", "pace_200_ratio", "runfile_save_seconds", "runfile_open_seconds",
                  "prepare_seconds", "memory_peak_ratio"))
    text = "\n".join(_timeline_lines(out))
    assert f"{out['recording_ratio']:.2f} (pairs" in text and "≥ 0.9" in text
    assert f"{out['pace_200_ratio']:.2f}" in text and "±5%" in text
    assert f"save {out['runfile_save_seconds']:.2f} s" in text and "≤ 1 s each" in text
    assert "simulated" in text and "no training" in text


def test_the_long_runs_report_memory_once_the_timeline_is_full(tiny):
    from visualizer.bench.memory import format_long, long_runs

    # Two-moment budgets fill at once; the "full-size" set is the tiny one repeated to 512 + 128.
    small_budget = 4 * SMALL.parameter_count * 2
    wide_budget = 4 * TrainingConfig(hidden=(512, 512)).parameter_count * 2
    out = long_runs(tiny, subset=128, test_images=32, epochs=(6, 2), budgets=(small_budget, wide_budget),
                    full_size=(512, 128), log=lambda text: None)
    for key in ("long_default", "long_512"):
        run = out[key]
        assert run["moments"] <= 3 and run["batches"] == run["epochs"] * 4  # 128 images, batch 32
        assert math.isfinite(run["rss_full_mb"]) and math.isfinite(run["rss_growth_after_full_mb"])
    assert out["full_size"]["train_images"] == 512 and out["full_size"]["test_images"] == 128
    text = format_long(out)
    assert "6 epochs of 16,16" in text and "2 epochs of 512,512" in text and "512 + 128" in text
    assert text.count("flat (≤ 10 MB)") == 2


def test_bench_long_is_not_a_window_measurement():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "visualizer", "bench", "--long", "--gui"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--long" in proc.stderr, proc.stderr
