"""TrainingSnapshot: an immutable copy of the network and its metrics at one moment of training."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from visualizer.core.history import HistoryView
from visualizer.core.network import Network


class SnapshotEvent(Enum):
    """Why a snapshot was sent."""

    START = "start"  # the run begins (weights as they start)
    BATCH = "batch"  # during an epoch (throttled to the redraw rate)
    EPOCH_END = "epoch_end"  # an epoch ended (validation figures updated)
    TRAIN_END = "train_end"  # the run ended, finished or stopped


@dataclass(frozen=True)
class TrainingSnapshot:
    """What the views draw: a :class:`Network` (private read-only arrays) plus where training is."""

    run_id: int  # changes on every new run / reset, so stale snapshots can be dropped
    step: int  # global batch counter since the weights were initialized
    epoch: int  # 0-based epoch currently running (== epochs when finished)
    epochs: int
    batch: int  # batches done in the current epoch
    batches_per_epoch: int
    network: Network
    metrics: dict = field(default_factory=dict)  # loss, accuracy, val_loss, val_accuracy, samples_per_second,
    # eta_seconds; while training also grad_norms and update_ratios (one float per layer, see Trainer)
    history: HistoryView | None = None
    event: SnapshotEvent = SnapshotEvent.BATCH
    replayed: bool = False  # a recorded moment shown again (the timeline's cursor), not a live one
    # Training-set rows (read-only int32) of the batch a step() request ran last, on the snapshot
    # sent after that request only; and of the batch training runs next (on the start, pause and
    # step snapshots, None when the next batch is not shuffled yet). Never set at full speed.
    batch_indices: np.ndarray | None = field(default=None, compare=False)
    next_batch_indices: np.ndarray | None = field(default=None, compare=False)

    @classmethod
    def of_network(cls, network: Network, **kwargs) -> TrainingSnapshot:
        """A snapshot of ``network`` outside any training (imported, tests); counters default to zero."""
        base = dict(run_id=0, step=0, epoch=0, epochs=0, batch=0, batches_per_epoch=0)
        base.update(kwargs)
        return cls(network=network, **base)

    # The network's arrays, read through the snapshot (the views draw them).
    @property
    def weights(self) -> tuple[np.ndarray, ...]:
        return self.network.weights

    @property
    def biases(self) -> tuple[np.ndarray, ...]:
        return self.network.biases

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """All layer widths, input to output."""
        return self.network.layer_sizes

    @property
    def settled(self) -> bool:
        """Weights worth a full evaluation: the end of an epoch or run, a moment looked at again, or
        weights not from a running training."""
        return self.event in (SnapshotEvent.EPOCH_END, SnapshotEvent.TRAIN_END) or self.epochs == 0 or self.replayed

    @property
    def progress(self) -> float:
        """Fraction of the run done, 0..1."""
        total = self.epochs * max(self.batches_per_epoch, 1)
        done = min(self.epoch, self.epochs) * self.batches_per_epoch + self.batch
        return 0.0 if total == 0 else min(1.0, done / total)

    @property
    def epoch_float(self) -> float:
        """Position on an x-axis in epochs, e.g. 2.5 = half-way through the third epoch."""
        return self.epoch + (self.batch / self.batches_per_epoch if self.batches_per_epoch else 0.0)

    def newer_than(self, other: TrainingSnapshot | None) -> bool:
        """Latest-wins ordering: a snapshot from another run, or a later step, is newer."""
        if other is None or other.run_id != self.run_id:
            return other is None or self.run_id > other.run_id
        return self.step > other.step or (self.step == other.step and self.event != other.event)


def snapshot_from_arrays(weights, biases, activation: str = "relu", **kwargs) -> TrainingSnapshot:
    """A snapshot from plain arrays (tests, benchmarks): copies them into a :class:`Network`."""
    return TrainingSnapshot.of_network(Network.from_arrays(weights, biases, activation), **kwargs)
