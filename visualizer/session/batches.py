"""'This batch': batches of training images from a fixed shuffle, each with its loss, prediction and average gradient.

The trainer shuffles the training set its own way every epoch; which images its last Step used
is not reported yet. Until it is, "This batch" shows what a batch is: the training images at
positions ``32 k .. 32 k + 31`` of one fixed shuffle (seed 0), paged with Previous / Next. The
shuffle is a permutation of the whole training set, so it is made in the background (it grows
with the data); a batch itself is 32 rows, cheap enough for the GUI thread.
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

    def __len__(self) -> int:
        return int(self.labels.size)

    @property
    def title(self) -> str:
        return f"Batch {self.number + 1:,} of {self.count:,}"


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
        self.changed = Event("changed")
        session.dataset_changed.connect(self._on_dataset_changed)
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
        return (f"{self.batch_size} training images at a time, in a fixed shuffle of the training set (seed "
                f"{self.seed}). The trainer shuffles in its own way, so these are batches like the ones Step "
                "trains on, not the very batch it used.")

    def _on_dataset_changed(self, dataset) -> None:
        self._order, self._dataset, self._cached, self.number, self.chosen = None, dataset, None, 0, 0
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
        if number != self.number:
            self.number, self.chosen = number, 0
            self.changed.emit()

    def step(self, delta: int) -> None:
        """The next (+1) or previous (-1) batch."""
        self.go_to(self.number + int(delta))

    def choose(self, i: int) -> None:
        """Show image ``i`` of the batch beside the average (clamped to the batch)."""
        if not self.count:
            return
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
        if snap is None or self._order is None or snap.network.is_binary:
            return None
        hit = self._cached
        if hit is not None and hit.network is snap.network and hit.number == self.number:
            return hit
        indices = self._order[self.number * self.batch_size:(self.number + 1) * self.batch_size]
        images = np.asarray(self._dataset.x_train[indices], dtype=np.float32).reshape(len(indices), -1)
        labels = np.asarray(self._dataset.y_train[indices]).astype(np.int64)
        with np.errstate(all="ignore"):
            gradient = batch_gradient(snap.network, images, labels)
        self._cached = BatchExamples(snap.network, self.number, self.count, np.array(indices), images, labels, gradient)
        return self._cached
