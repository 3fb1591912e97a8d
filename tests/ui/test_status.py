"""The progress bar says where a run is: preparing, running, done, or where it stopped."""

from __future__ import annotations

from visualizer.core.snapshot import SnapshotEvent
from visualizer.ui.status import ProgressPanel


def test_the_progress_bar_says_where_a_stopped_run_stopped(qtbot, make_snapshot):
    panel = ProgressPanel()
    qtbot.addWidget(panel)
    panel.set_preparing()
    assert "Preparing" in panel.bar.format()
    panel.set_snapshot(make_snapshot(epochs=5, epoch=0, batch=0, batches_per_epoch=100, event=SnapshotEvent.START))
    assert "preparing the first batch" in panel.bar.format()
    panel.set_snapshot(make_snapshot(epochs=5, epoch=2, batch=40, batches_per_epoch=100, event=SnapshotEvent.TRAIN_END))
    assert panel.bar.format() == "Stopped at epoch 3/5 · batch 40/100" and panel.bar.value() == 480
    panel.set_snapshot(make_snapshot(epochs=5, epoch=5, batch=0, batches_per_epoch=100, event=SnapshotEvent.TRAIN_END))
    assert panel.bar.format() == "Done: 5 epochs"
