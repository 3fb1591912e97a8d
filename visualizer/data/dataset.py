"""Dataset: arrays ready for training plus a human-readable description of where they came from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """Images as float32 in [0, 1] with shape (n, 784); labels as uint8 in 0..9.

    ``x_test``/``y_test`` hold the official test set when the source has one; otherwise they
    hold a held-out validation split of the training data and ``test_is_holdout`` is True.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # short name for status bars and CLI output, e.g. "MNIST (IDX files in ../data)"
    kind: str  # "mnist-keras" | "idx" | "npz" | "csv" | "synthetic"
    test_is_holdout: bool = False
    note: str = ""  # e.g. "no test set found: 10% of the training images held out for testing"

    @property
    def is_synthetic(self) -> bool:
        return self.kind == "synthetic"

    def describe(self) -> str:
        text = f"{self.source}: {len(self.x_train):,} training / {len(self.x_test):,} test images"
        return f"{text} ({self.note})" if self.note else text
