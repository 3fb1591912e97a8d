"""'This batch': the batch the trainer's Step used (or runs next), or batches of a fixed shuffle; each image's loss and the average gradient.

The trainer shuffles the training set its own way every epoch and says, in the snapshot after a
Step (``batch_indices``) and in the start and pause snapshots (``next_batch_indices``), which
training images that batch holds: "This batch" then shows exactly those. Previous / Next page
through batches like them: the training images at positions ``32 k .. 32 k + 31`` of one fixed
shuffle (seed 0). The shuffle is a permutation of the whole training set, so it is made in the
background (it grows with the data); a batch itself is 32 rows, cheap enough for the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.core.backprop import BatchGradient, ExampleGradient, batch_gradient
from visualizer.core.network import Network
from visualizer.session.events import Event
from visualizer.session.gradients import GradientCache

BATCH_SIZE = 32
SHUFFLE_SEED = 0


def shuffle_order(n: int, seed: int = SHUFFLE_SEED) -> np.ndarray:
    """The fixed shuffle of ``n`` training images: a permutation of ``range(n)`` (run it in the background)."""
    order = np.random.default_rng(seed).permutation(int(n))
    order.flags.writeable = False
    return order


@dataclass(frozen=True, eq=False)
class BatchExamples:
    """One batch under one network: its images, labels and the batch gradient (per-example losses too).

    Attributes
    ----------
    number, count
        0-based batch number in the shuffle, and how many batches the shuffle holds.
    indices
        Positions of the images in the training set.
    images, labels
        (n, 784) float32 pixels and (n,) labels, copies.
    gradient
        :class:`visualizer.core.backprop.BatchGradient`: mean loss and gradient, and per example
        its loss and the network's answer.
    """

    network: Network
    number: int
    count: int
    indices: np.ndarray
    images: np.ndarray
    labels: np.ndarray
    gradient: BatchGradient
    label: str = ""  # the trainer's batch: what it is ("The batch step 12 trained on"); "" for the shuffle's

    def __len__(self) -> int:
        return int(self.labels.size)

    @property
    def title(self) -> str:
        return self.label or f"Batch {self.number + 1:,} of {self.count:,}"


@dataclass(frozen=True, eq=False)
class TrainerBatch:
    """Training-set rows the trainer reported: the batch a Step ran (``upcoming`` False) or runs next."""

    indices: np.ndarray
    step: int  # the global step of the snapshot that reported it
    upcoming: bool

    @property
    def label(self) -> str:
        return "The batch Step trains next" if self.upcoming else f"The batch step {self.step:,} trained on"


class TrainingBatches:
    """Pages through the training set in batches of a fixed shuffle; computes the shown batch's gradient once.

    Parameters
    ----------
    session
        The :class:`visualizer.session.Session`: its dataset, jobs (for the shuffle) and moment shown.

    Events
    ------
    changed()
        The shuffle became ready, or another batch or image was chosen.
    """

    def __init__(self, session, *, batch_size: int = BATCH_SIZE, seed: int = SHUFFLE_SEED):
        self.session = session
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.number = 0
        self.chosen = 0  # the image of the batch whose own gradient is shown beside the average
        self._examples = GradientCache(2)
        self._order: np.ndarray | None = None
        self._dataset = None  # the dataset the order belongs to
        self._cached: BatchExamples | None = None
        self.trainer: TrainerBatch | None = None  # shown instead of the shuffle's batch until paged away
        self.changed = Event("changed")
        session.dataset_changed.connect(self._on_dataset_changed)
        session.batch_reported.connect(self.show_reported)
        if session.dataset is not None:
            self._on_dataset_changed(session.dataset)

    @property
    def ready(self) -> bool:
        return self._order is not None

    @property
    def count(self) -> int:
        """Batches in the shuffle (the last one may be smaller)."""
        return 0 if self._order is None else -(-self._order.size // self.batch_size)

    def describe(self) -> str:
        """One line that says what these batches are (and are not)."""
        if self.trainer is not None:
            return ("Exactly the training images the trainer " + ("will use in its next step" if self.trainer.upcoming
                    else "used in that step") + "; the losses and gradients are those of the weights shown. "
                    "Previous / Next: other batches like it.")
        return (f"{self.batch_size} training images at a time, in a fixed shuffle of the training set (seed "
                f"{self.seed}). The trainer shuffles in its own way, so these are batches like the ones Step "
                "trains on, not the very batch it used (press Step to see that one).")

    def show_reported(self, snap) -> None:
        """Show the batch ``snap`` names: the one its Step ran, else the one training runs next."""
        rows = snap.batch_indices if snap.batch_indices is not None else snap.next_batch_indices
        if rows is None or self._dataset is None:
            return
        rows = np.asarray(rows, dtype=np.int64)
        if not rows.size or rows.min() < 0 or rows.max() >= len(self._dataset.x_train):
            return  # not this dataset's rows (another dataset was opened meanwhile)
        self.trainer = TrainerBatch(rows, int(snap.step), snap.batch_indices is None)
        self._cached, self.chosen = None, 0
        self.changed.emit()

    def _on_dataset_changed(self, dataset) -> None:
        self._order, self._dataset, self._cached, self.number, self.chosen = None, dataset, None, 0, 0
        self.trainer = None
        n = len(dataset.x_train)
        if not n:
            return
        self.session.jobs.submit(shuffle_order, n, self.seed,
                                 on_success=lambda order: self._on_shuffled(dataset, order),
                                 on_error=lambda exc: None)  # no batches to show; the view says so

    def _on_shuffled(self, dataset, order: np.ndarray) -> None:
        if dataset is not self._dataset:
            return  # another dataset was opened meanwhile
        self._order = order
        self.changed.emit()

    def go_to(self, number: int) -> None:
        """Show batch ``number`` (0-based, wrapped around)."""
        if not self.count:
            return
        number = int(number) % self.count
        if number != self.number or self.trainer is not None:
            self.number, self.chosen, self.trainer, self._cached = number, 0, None, None
            self.changed.emit()

    def step(self, delta: int) -> None:
        """The next (+1) or previous (-1) batch (from the trainer's batch: the shuffle's current one and on)."""
        delta = int(delta)
        self.go_to(self.number + (delta if self.trainer is None else min(delta, 0)))

    def choose(self, i: int) -> None:
        """Show image ``i`` of the batch beside the average (clamped to the batch)."""
        if self.trainer is not None:
            size = self.trainer.indices.size
        elif not self.count:
            return
        else:
            size = min(self.batch_size, self._order.size - self.number * self.batch_size)
        i = int(np.clip(i, 0, size - 1))
        if i != self.chosen:
            self.chosen = i
            self.changed.emit()

    def example_gradient(self, snap=None) -> ExampleGradient | None:
        """The chosen image's own gradient under ``snap``'s network (computed once per network and image)."""
        batch = self.batch(snap)
        if batch is None:
            return None
        i = min(self.chosen, len(batch) - 1)
        return self._examples.gradient(batch.network, batch.images[i], int(batch.labels[i]))

    def batch(self, snap=None) -> BatchExamples | None:
        """The chosen batch under ``snap``'s network (default: the moment shown); None until the shuffle is ready."""
        snap = self.session.shown if snap is None else snap
        trainer = self.trainer
        if snap is None or (self._order is None and trainer is None) or snap.network.is_binary:
            return None
        hit = self._cached
        if hit is not None and hit.network is snap.network and hit.number == self.number:
            return hit  # (a new trainer's batch or a page clears the cache)
        if trainer is not None:
            indices = trainer.indices
        else:
            indices = self._order[self.number * self.batch_size:(self.number + 1) * self.batch_size]
        images = np.asarray(self._dataset.x_train[indices], dtype=np.float32).reshape(len(indices), -1)
        labels = np.asarray(self._dataset.y_train[indices]).astype(np.int64)
        with np.errstate(all="ignore"):
            gradient = batch_gradient(snap.network, images, labels)
        self._cached = BatchExamples(snap.network, self.number, self.count, np.array(indices), images, labels, gradient,
                                     "" if trainer is None else trainer.label)
        return self._cached
