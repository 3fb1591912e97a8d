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
