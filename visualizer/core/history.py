"""Metric series with bounded memory: long runs are decimated, never grow without limit."""

from __future__ import annotations

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
    """Parallel float arrays that halve their resolution when full (pairs are averaged)."""

    def __init__(self, columns: int, max_points: int):
        self._max = max(8, int(max_points)) // 2 * 2
        self._data = np.empty((self._max, columns), dtype=np.float64)
        self._n = 0

    def append(self, row) -> None:
        if self._n == self._max:
            half = self._data.reshape(self._max // 2, 2, -1).mean(axis=1)
            self._data[: self._max // 2] = half
            self._n = self._max // 2
        self._data[self._n] = row
        self._n += 1

    def columns(self) -> list[np.ndarray]:
        view = self._data[: self._n].copy()
        return [view[:, i] for i in range(view.shape[1])]

    def __len__(self) -> int:
        return self._n


class MetricHistory:
    """Training curves: one point per logged chunk of batches, one validation point per epoch."""

    def __init__(self, max_points: int = 4000):
        self._train = _Series(3, max_points)
        self._val = _Series(3, max_points)

    def add_train(self, epoch_float: float, loss: float, accuracy: float) -> None:
        self._train.append((epoch_float, loss, accuracy))

    def add_validation(self, epoch_float: float, loss: float, accuracy: float) -> None:
        self._val.append((epoch_float, loss, accuracy))

    def __len__(self) -> int:
        return len(self._train)

    def view(self) -> HistoryView:
        tx, tl, ta = self._train.columns()
        vx, vl, va = self._val.columns()
        return HistoryView(tx, tl, ta, vx, vl, va)
