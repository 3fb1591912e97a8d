"""Metric series with bounded memory: long runs are decimated, never grow without limit."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HistoryView:
    """Read-only copy of the curves, in epochs on the x-axis."""

    train_x: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    val_x: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray


class _Series:
    """Parallel float arrays of bounded length with uniform decimation.

    Every stored row is the mean of ``stride`` consecutive raw rows. When the buffer fills,
    neighbouring rows are averaged pairwise and ``stride`` doubles, so the whole run stays
    covered at one resolution. Raw rows not yet making a full bin are kept as a running sum
    and shown as one extra, partial point, so the newest value is always visible.
    """

    def __init__(self, columns: int, max_points: int):
        # One slot is left for the partial point; pairs need an even count.
        self._max = max(8, int(max_points) - 1) // 2 * 2
        self._data = np.empty((self._max, columns), dtype=np.float64)
        self._n = 0
        self._stride = 1
        self._pending = [0.0] * columns
        self._pending_count = 0

    def append(self, row) -> None:
        pending = self._pending
        for i, value in enumerate(row):
            pending[i] += float(value)
        self._pending_count += 1
        if self._pending_count < self._stride:
            return
        self._data[self._n] = pending
        self._data[self._n] /= self._stride
        self._n += 1
        self._pending = [0.0] * len(pending)
        self._pending_count = 0
        if self._n == self._max:
            # All stored rows carry the same weight here, so plain pair means are exact.
            half = self._max // 2
            self._data[:half] = self._data.reshape(half, 2, -1).mean(axis=1)
            self._n = half
            self._stride *= 2

    def columns(self) -> list[np.ndarray]:
        view = self._data[: self._n]
        if self._pending_count:
            partial = np.asarray(self._pending, dtype=np.float64) / self._pending_count
            view = np.vstack([view, partial])
        else:
            view = view.copy()
        return [view[:, i] for i in range(view.shape[1])]

    def __len__(self) -> int:
        return self._n + (1 if self._pending_count else 0)


class MetricHistory:
    """Training curves: one point per logged chunk of batches, one validation point per epoch."""

    def __init__(self, max_points: int = 4000):
        self._train = _Series(3, max_points)
        self._val = _Series(3, max_points)

    def add_train(self, epoch_float: float, loss: float, accuracy: float) -> None:
        """Record the training loss and accuracy at ``epoch_float`` (epochs on the x-axis)."""
        self._train.append((epoch_float, loss, accuracy))

    def add_validation(self, epoch_float: float, loss: float, accuracy: float) -> None:
        """Record the validation loss and accuracy at the end of an epoch."""
        self._val.append((epoch_float, loss, accuracy))

    def __len__(self) -> int:
        return len(self._train)

    def view(self) -> HistoryView:
        """A copy of the curves so far, safe to hand to another thread."""
        tx, tl, ta = self._train.columns()
        vx, vl, va = self._val.columns()
        return HistoryView(tx, tl, ta, vx, vl, va)


def moving_average(y: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over ``window`` points (shorter at the start), same length as ``y``."""
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0 or window <= 1:
        return y.copy()
    c = np.concatenate([[0.0], np.cumsum(y)])
    i = np.arange(1, y.size + 1)
    lo = np.maximum(i - window, 0)
    return (c[i] - c[lo]) / (i - lo)


def smoothing_window(n: int) -> int:
    """Points in the trailing mean of a curve of ``n`` points: ~4% of it, 1 to 50."""
    return int(np.clip(n // 25, 1, 50))


def nice_ceiling(value: float) -> float:
    """Round up to 1, 2, 2.5 or 5 times a power of ten (axis limits that change rarely)."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10.0 * power


def finite_max(*arrays) -> float:
    """The largest finite value over the arrays (0.0 when there is none)."""
    tops = [float(np.nanmax(a)) for a in arrays if a is not None and np.size(a) and np.isfinite(a).any()]
    return max(tops, default=0.0)


def history_from_metrics(metrics, max_points: int = 4000) -> HistoryView:
    """The curves of a timeline's per-batch metrics (``core.batchlog.Metrics``), at most ``max_points`` each.

    Longer runs are averaged in equal bins of consecutive batches (the curves' shape stays; the
    newest batch is always its own last point), so drawing costs the same at any run length.
    """
    x = np.asarray(metrics.epoch_float, dtype=np.float64)
    loss = np.asarray(metrics.loss, dtype=np.float64)
    acc = np.asarray(metrics.accuracy, dtype=np.float64)
    n = x.size
    if n > max_points:
        per = math.ceil((n - 1) / (max_points - 1))
        full = (n - 1) // per * per
        binned = [a[:full].reshape(-1, per).mean(axis=1) for a in (x, loss, acc)]
        rest = [a[full:] for a in (x, loss, acc)]
        x, loss, acc = (np.concatenate([b, r]) for b, r in zip(binned, rest, strict=True))
    return HistoryView(x, loss, acc, np.asarray(metrics.val_epoch_float, dtype=np.float64),
                       np.asarray(metrics.val_loss, dtype=np.float64),
                       np.asarray(metrics.val_accuracy, dtype=np.float64))
