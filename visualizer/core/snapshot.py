"""TrainingSnapshot: an immutable copy of the network and its metrics at one moment of training."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from visualizer.core.history import HistoryView


@dataclass(frozen=True)
class TrainingSnapshot:
    """What the views draw. Arrays are private copies, never live training buffers.

    weights[i] has shape (layer_sizes[i], layer_sizes[i+1]) (Keras Dense layout: in x out);
    biases[i] has shape (layer_sizes[i+1],).
    """

    run_id: int  # changes on every new run / reset, so stale snapshots can be dropped
    step: int  # global batch counter since the weights were initialized
    epoch: int  # 0-based epoch currently running (== epochs when finished)
    epochs: int
    batch: int  # batches done in the current epoch
    batches_per_epoch: int
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    activation: str
    metrics: dict = field(default_factory=dict)  # loss, accuracy, val_loss, val_accuracy, samples_per_second, eta_seconds
    history: HistoryView | None = None
    event: str = "batch"  # "start" | "batch" | "epoch_end" | "train_end"

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """All layer widths, input to output, read from the weight shapes."""
        return (self.weights[0].shape[0], *(w.shape[1] for w in self.weights))

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
    """Build a snapshot from plain arrays (imported weights, tests); counters default to zero."""
    w = tuple(np.array(a, dtype=np.float32, copy=True) for a in weights)
    b = tuple(np.array(a, dtype=np.float32, copy=True) for a in biases)
    base = dict(run_id=0, step=0, epoch=0, epochs=0, batch=0, batches_per_epoch=0)
    base.update(kwargs)
    return TrainingSnapshot(weights=w, biases=b, activation=activation, **base)
