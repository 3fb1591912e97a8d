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

    out = recording_ratio(tiny, epochs=1, pairs=1, config=SMALL)
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
