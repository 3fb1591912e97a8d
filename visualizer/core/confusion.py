"""Test-set evaluation for the GUI's digit browser: predictions, confusion matrix, mistakes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.core.network import Network


@dataclass(frozen=True)
class EvalResult:
    """One evaluation pass over a labelled set.

    Attributes
    ----------
    predictions
        (n,) int64 predicted class per sample.
    max_probabilities
        (n,) float32 probability of the predicted class (the network's confidence).
    confusion
        (10, 10) int64, rows = true label, columns = predicted label.
    accuracy
        Fraction of correct predictions, 0..1 (0.0 for an empty set).
    misclassified
        (k,) int64 indices of the wrong predictions, in increasing order.
    """

    predictions: np.ndarray
    max_probabilities: np.ndarray
    confusion: np.ndarray
    accuracy: float
    misclassified: np.ndarray

    @property
    def balanced_accuracy(self) -> float:
        """The mean of the recall on each class present (see :func:`balanced_accuracy`)."""
        return balanced_accuracy(self.confusion)

    @property
    def is_binary(self) -> bool:
        """True for a one-neuron network's 2×2 confusion (row/column 1 = "is the digit")."""
        return self.confusion.shape == (2, 2)

    @property
    def precision(self) -> float:
        """Of the images the neuron said yes to, the fraction that are the digit (binary only; nan without a yes)."""
        return precision_recall(self.confusion)[0]

    @property
    def recall(self) -> float:
        """Of the images of the digit, the fraction the neuron said yes to (binary only; nan without the digit)."""
        return precision_recall(self.confusion)[1]


def balanced_accuracy(confusion) -> float:
    """The mean over classes of the recall (diagonal / row sum), over the classes that occur; nan for none.

    For "is it a 6?" this weighs the 6s and the rest equally, so always answering "no" scores 50%,
    not the 90% plain accuracy gives it.
    """
    m = np.asarray(confusion, dtype=np.float64)
    rows = m.sum(axis=1)
    present = rows > 0
    if not present.any():
        return float("nan")
    return float(np.mean(np.diag(m)[present] / rows[present]))


def precision_recall(confusion) -> tuple[float, float]:
    """(precision, recall) of the positive class 1 of a 2×2 confusion (rows true, columns predicted)."""
    m = np.asarray(confusion, dtype=np.float64)
    if m.shape != (2, 2):
        raise ValueError("precision and recall are for a 2×2 confusion")
    tp, said_yes, is_yes = m[1, 1], m[:, 1].sum(), m[1, :].sum()
    return (float(tp / said_yes) if said_yes else float("nan"), float(tp / is_yes) if is_yes else float("nan"))


def binary_labels(y, digit: int) -> np.ndarray:
    """1 where the label is ``digit``, else 0: the labels of "one digit vs the rest"."""
    return (np.asarray(y).reshape(-1) == int(digit)).astype(np.int64)


def _labels(y, n: int, name: str) -> np.ndarray:
    y = np.asarray(y).reshape(-1)
    if y.size and not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    y = y.astype(np.int64, copy=False)
    if y.size and (y.min() < 0 or y.max() >= n):
        raise ValueError(f"{name} must hold labels between 0 and {n - 1}")
    return y


def confusion_matrix(y_true, y_pred, n: int = 10) -> np.ndarray:
    """Count (true, predicted) pairs.

    Parameters
    ----------
    y_true, y_pred
        Integer labels in ``[0, n)``, same length.
    n
        Number of classes.

    Returns
    -------
    np.ndarray
        (n, n) int64; ``m[t, p]`` is how many samples of class ``t`` were predicted as ``p``.
    """
    t = _labels(y_true, n, "y_true")
    p = _labels(y_pred, n, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length ({t.size} vs {p.size})")
    return np.bincount(t * n + p, minlength=n * n).reshape(n, n).astype(np.int64, copy=False)


def indices_for_cell(y_true, y_pred, true_label: int, pred_label: int) -> np.ndarray:
    """Indices of the samples in one confusion-matrix cell (true ``true_label``, predicted ``pred_label``)."""
    t = np.asarray(y_true).reshape(-1)
    p = np.asarray(y_pred).reshape(-1)
    return np.flatnonzero((t == true_label) & (p == pred_label)).astype(np.int64, copy=False)


def evaluate(network: Network, x: np.ndarray, y, batch: int = 4096, *, digit: int | None = None) -> EvalResult:
    """Run the numpy forward pass over a labelled set in batches and summarise it.

    Parameters
    ----------
    network
        The network to evaluate.
    x
        (n, 784) or (n, 28, 28) inputs: floats in [0, 1], or uint8 0..255 (scaled by 1/255).
    y
        (n,) integer labels.
    batch
        Samples per forward call; bounds the temporary memory.
    digit
        For a one-neuron (sigmoid) network: the digit it answers "is it a ...?" for (default: the
        network's own ``digit``). ``y`` holds
        digits 0-9 and becomes 1 for ``digit``, 0 for the rest; a prediction is "yes" when the
        neuron's output is above 0.5. The confusion is then 2×2 (index 1 = the digit).

    Returns
    -------
    EvalResult
    """
    x = np.asarray(x)
    n_samples = x.shape[0] if x.ndim else 0
    # Explicit width: reshape(0, -1) is ambiguous for an empty set.
    x = x.reshape(n_samples, int(np.prod(x.shape[1:], dtype=np.int64)))
    binary = network.is_binary
    if binary:
        digit = network.digit if digit is None else digit
        if digit is None:
            raise ValueError("a one-neuron network is evaluated for a digit: pass digit=")
        y = binary_labels(_labels(y, 10, "y"), digit)
    else:
        y = _labels(y, network.layer_sizes[-1], "y")
    if y.size != n_samples:
        raise ValueError(f"x has {n_samples} samples but y has {y.size} labels")
    scale = np.float32(1 / 255) if x.dtype == np.uint8 else None
    predictions = np.empty(n_samples, dtype=np.int64)
    confidence = np.empty(n_samples, dtype=np.float32)
    step = max(1, int(batch))
    for start in range(0, n_samples, step):
        chunk = x[start : start + step]
        chunk = chunk.astype(np.float32) * scale if scale is not None else chunk
        proba = network.forward(chunk)[-1]
        if binary:  # one neuron: P(digit); the two classes are "the rest" (0) and "the digit" (1)
            proba = np.concatenate([1 - proba, proba], axis=1)
        predictions[start : start + len(chunk)] = proba.argmax(axis=1)
        confidence[start : start + len(chunk)] = proba.max(axis=1)
    n_classes = 2 if binary else network.layer_sizes[-1]
    wrong = np.flatnonzero(predictions != y)
    return EvalResult(
        predictions=predictions,
        max_probabilities=confidence,
        confusion=confusion_matrix(y, predictions, n_classes),
        accuracy=1.0 - wrong.size / n_samples if n_samples else 0.0,
        misclassified=wrong.astype(np.int64, copy=False),
    )
