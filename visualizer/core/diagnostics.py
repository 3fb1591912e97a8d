"""Warnings that teach: one-line hints, each saying what it measured, when a training run goes wrong.

:func:`diagnose` looks at a run's :class:`RunMetrics` (per-batch and per-epoch loss and accuracy)
and, optionally, a :class:`~visualizer.core.neurons.NeuronAnalysis`, and returns the hints that
apply, most fundamental first:

- most ReLUs dead (they output 0 for every image): "learning rate too high?";
- the loss stuck at (or above) ln 10 ≈ 2.30, what a network that gives every digit 10% scores,
  after an epoch: not learning;
- accuracy at chance (10% for ten digits) after an epoch;
- validation loss rising for two epochs in a row while the training loss falls: overfitting.

A healthy run gets no hint. Nothing here blocks anything; the views show the lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from visualizer.core.config import NUM_CLASSES
from visualizer.core.history import HistoryView
from visualizer.core.neurons import NeuronAnalysis

DEAD_SHARE = 0.5  # "most" ReLUs: at least this share of all ReLU neurons never fires
STUCK_TOLERANCE = 0.1  # a loss above ln(classes) minus this is no better than giving every class the same odds
CHANCE_MARGIN = 0.05  # accuracy at most chance + this counts as chance
RISING_EPOCHS = 2  # validation loss rising this many epochs in a row (training loss falling) is overfitting


class HintKind(Enum):
    """What went wrong."""

    DEAD_RELUS = "dead_relus"
    NOT_LEARNING = "not_learning"
    CHANCE_ACCURACY = "chance_accuracy"
    OVERFITTING = "overfitting"


@dataclass(frozen=True)
class Hint:
    """One warning: what was measured, and what to try."""

    kind: HintKind
    measured: str
    suggestion: str

    @property
    def text(self) -> str:
        """The one line to show: the measurement, then the suggestion."""
        return f"{self.measured} \u2014 {self.suggestion}"


def _floats(values) -> np.ndarray:
    return np.asarray(values if values is not None else (), dtype=np.float64).reshape(-1)


@dataclass(frozen=True, eq=False)
class RunMetrics:
    """A run's curves as the hints read them.

    Attributes
    ----------
    batch_epochs, batch_loss, batch_accuracy
        One point per logged batch (or chunk of batches): its position in epochs (0.5 = half-way
        through the first epoch), its training loss and accuracy.
    train_loss, train_accuracy, val_loss, val_accuracy
        One value per finished epoch (training figures averaged over the epoch; validation or
        test figures at its end). Any may be empty.
    num_classes
        10 for digits, 2 for a yes/no network.
    chance_accuracy
        The accuracy of guessing; default ``1 / num_classes``. For a yes/no network on an
        unbalanced set pass the share of the larger class (always saying "no" scores 90%).
    """

    batch_epochs: np.ndarray = ()
    batch_loss: np.ndarray = ()
    batch_accuracy: np.ndarray = ()
    train_loss: np.ndarray = ()
    train_accuracy: np.ndarray = ()
    val_loss: np.ndarray = ()
    val_accuracy: np.ndarray = ()
    num_classes: int = NUM_CLASSES
    chance_accuracy: float | None = None

    def __post_init__(self):
        for name in ("batch_epochs", "batch_loss", "batch_accuracy", "train_loss", "train_accuracy",
                     "val_loss", "val_accuracy"):
            object.__setattr__(self, name, _floats(getattr(self, name)))
        if not (self.batch_epochs.size == self.batch_loss.size == self.batch_accuracy.size):
            raise ValueError("batch_epochs, batch_loss and batch_accuracy must have one value per point")

    @classmethod
    def from_history(cls, view: HistoryView, *, num_classes: int = NUM_CLASSES,
                     chance_accuracy: float | None = None) -> RunMetrics:
        """From the curves panel's :class:`HistoryView`: per-epoch training figures are the mean
        of the training points inside each epoch that has a validation point."""
        tx, tl, ta = _floats(view.train_x), _floats(view.train_loss), _floats(view.train_accuracy)
        epochs = np.round(_floats(view.val_x))
        train_loss, train_acc = [], []
        for e in epochs:
            inside = (tx > e - 1) & (tx <= e + 1e-9)
            train_loss.append(tl[inside].mean() if inside.any() else np.nan)
            train_acc.append(ta[inside].mean() if inside.any() else np.nan)
        return cls(tx, tl, ta, train_loss, train_acc, view.val_loss, view.val_accuracy, num_classes, chance_accuracy)

    @property
    def epochs_done(self) -> float:
        """How far the run got, in epochs (finished epochs, or the last batch point if further)."""
        last = float(self.batch_epochs.max()) if self.batch_epochs.size else 0.0
        return max(last, float(max(self.train_loss.size, self.val_loss.size)))


def _latest(metrics: RunMetrics, per_epoch: np.ndarray, per_batch: np.ndarray) -> float | None:
    """The latest whole-epoch figure: from the per-epoch series, else the mean of the last epoch's batch points."""
    finite = per_epoch[np.isfinite(per_epoch)]
    if finite.size:
        return float(finite[-1])
    if per_batch.size and metrics.epochs_done >= 1:
        return float(per_batch[metrics.batch_epochs > metrics.epochs_done - 1].mean())
    return None


def _epochs_text(epochs: float) -> str:
    n = int(epochs) if float(epochs).is_integer() else round(epochs, 1)
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def dead_relu_hint(neurons: NeuronAnalysis) -> Hint | None:
    """Most ReLU neurons never fire on the analysed images."""
    relu = [layer for layer in neurons.layers if layer.activation == "relu"]
    total = sum(layer.units for layer in relu)
    dead = sum(layer.dead_count for layer in relu)
    if not total or dead / total < DEAD_SHARE:
        return None
    where = ", ".join(f"{layer.name}: {layer.dead_count} of {layer.units}" for layer in relu)
    return Hint(HintKind.DEAD_RELUS,
                f"{dead} of {total} ReLU neurons ({dead / total:.0%}) output 0 for all {neurons.count:,} images ({where})",
                "learning rate too high? Big steps push ReLUs to where they never fire, and then they get no "
                "gradient and stop learning; try a 10x smaller learning rate and Reset")


def not_learning_hint(metrics: RunMetrics) -> Hint | None:
    """The training loss is still no lower than ln(classes) (every class equally likely) after at least one epoch."""
    if metrics.epochs_done < 1:
        return None
    loss = _latest(metrics, metrics.train_loss, metrics.batch_loss)
    guess = math.log(metrics.num_classes)
    # A NaN loss is the trainer's to report (it stops with "training diverged").
    if loss is None or not np.isfinite(loss) or loss < guess - STUCK_TOLERANCE:
        return None
    kind = "digit" if metrics.num_classes == NUM_CLASSES else "class"
    return Hint(HintKind.NOT_LEARNING,
                f"training loss {loss:.2f} after {_epochs_text(metrics.epochs_done)}, "
                f"{'about' if abs(loss - guess) <= STUCK_TOLERANCE else 'above'} ln {metrics.num_classes} = "
                f"{guess:.2f}, the loss of giving every {kind} {1 / metrics.num_classes:.0%}",
                "it is not learning. Try a 10x smaller learning rate (a batch of 1 needs a far smaller one than "
                "32), or Adam, and Reset")


def chance_accuracy_hint(metrics: RunMetrics) -> Hint | None:
    """Accuracy no better than guessing after at least one epoch."""
    if metrics.epochs_done < 1:
        return None
    chance = 1 / metrics.num_classes if metrics.chance_accuracy is None else float(metrics.chance_accuracy)
    on_test = bool(np.isfinite(metrics.val_accuracy).any())
    if on_test:
        acc = _latest(metrics, metrics.val_accuracy, np.empty(0))
    else:
        acc = _latest(metrics, metrics.train_accuracy, metrics.batch_accuracy)
    if acc is None or acc > chance + CHANCE_MARGIN:
        return None
    which = "test" if on_test else "training"
    return Hint(HintKind.CHANCE_ACCURACY,
                f"{which} accuracy {acc:.1%} after {_epochs_text(metrics.epochs_done)}, where guessing scores {chance:.0%}",
                "it answers no better than chance. Check the learning rate (too high kills ReLUs; SGD with a "
                "batch of 1 needs a small one), then Reset")


def overfitting_hint(metrics: RunMetrics) -> Hint | None:
    """Validation loss rose for two epochs in a row while the training loss fell."""
    n = RISING_EPOCHS + 1
    val, train = metrics.val_loss, metrics.train_loss
    if val.size < n or train.size < n:
        return None
    v, t = val[-n:], train[-n:]
    if not (np.isfinite(v).all() and np.isfinite(t).all() and (np.diff(v) > 0).all() and (np.diff(t) < 0).all()):
        return None
    arrow = " \u2192 "
    best = int(np.nanargmin(val)) + 1
    return Hint(HintKind.OVERFITTING,
                f"validation loss rose for {RISING_EPOCHS} epochs ({arrow.join(f'{x:.3f}' for x in v)}) while training "
                f"loss fell ({arrow.join(f'{x:.3f}' for x in t)})",
                f"overfitting: it is memorising the training images. The best validation loss came after epoch "
                f"{best}; stop there, or try a smaller network or more data")


def diagnose(metrics: RunMetrics, neurons: NeuronAnalysis | None = None) -> list[Hint]:
    """Every hint that applies to this run, most fundamental first (empty for a healthy run)."""
    hints = [dead_relu_hint(neurons) if neurons is not None else None, not_learning_hint(metrics),
             chance_accuracy_hint(metrics), overfitting_hint(metrics)]
    return [h for h in hints if h is not None]
