"""Dataset: arrays ready for training plus a human-readable description of where they came from."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from visualizer.core.errors import DataError
from visualizer.core.safeio import check_allocation, one_line

IMAGE_SIDE = 28
IMAGE_SIZE = IMAGE_SIDE * IMAGE_SIDE
NUM_CLASSES = 10


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
        """True for generated digits, which must never be passed off as MNIST."""
        return self.kind == "synthetic"

    def describe(self) -> str:
        """One line for a status bar or the CLI: source, sizes and any note."""
        text = f"{self.source}: {len(self.x_train):,} training / {len(self.x_test):,} test images"
        return f"{text} ({self.note})" if self.note else text

    def class_counts(self, split: str = "train") -> np.ndarray:
        """Number of images per digit 0..9 in ``split`` ("train" or "test")."""
        y = self.y_train if split == "train" else self.y_test
        return np.bincount(y, minlength=NUM_CLASSES)


def display_name(path: str | os.PathLike) -> str:
    """The file or folder name the user gave, without the machine-specific part in front, on one line."""
    p = Path(path)
    return one_line(p.name or str(p))


def check_pixels_fit(n_pixels: int, itemsize: int, what: str) -> None:
    """DataError (saying the limit) unless the machine can hold ``n_pixels`` images' worth of pixels.

    Loading keeps the raw pixels and their float32 copy at once, and holding out a test split
    copies the float32 images again: at most ``max(itemsize + 4, 8)`` bytes per pixel.
    """
    check_allocation(n_pixels * max(itemsize + 4, 8), what, DataError)


def images_to_float(x: np.ndarray, name: str) -> np.ndarray:
    """Validate raw images and turn them into float32 (n, 784) in [0, 1], C-contiguous.

    Parameters
    ----------
    x : ndarray
        Images of shape (n, 28, 28) or (n, 784); uint8 0..255, integers 0..255, or floats
        either in [0, 1] or in [0, 255].
    name : str
        File name used in error messages.

    Raises
    ------
    DataError
        On a wrong shape, dtype or value range.
    """
    if x.dtype == object:
        raise DataError(f"{name}: images are stored as Python objects, expected numbers")
    if x.ndim == 3 and x.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{name}: images are {x.shape[1]}x{x.shape[2]} pixels, expected 28x28")
    if x.ndim not in (2, 3) or (x.ndim == 2 and x.shape[1] != IMAGE_SIZE):
        raise DataError(f"{name}: images have shape {x.shape}, expected (n, 28, 28) or (n, 784)")
    if len(x) == 0:
        raise DataError(f"{name}: contains no images")
    flat = x.reshape(len(x), IMAGE_SIZE)
    if flat.dtype == np.uint8:
        out = flat.astype(np.float32)
        out *= np.float32(1 / 255)
        return np.ascontiguousarray(out)
    if not (np.issubdtype(flat.dtype, np.integer) or np.issubdtype(flat.dtype, np.floating)):
        raise DataError(f"{name}: images have dtype {flat.dtype}, expected uint8 or float pixel values")
    lo, hi = float(flat.min()), float(flat.max())
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0 or hi > 255:
        raise DataError(f"{name}: pixel values range from {lo:g} to {hi:g}, expected 0..255 (or 0..1)")
    scale = 1.0 if np.issubdtype(flat.dtype, np.floating) and hi <= 1.0 else 1 / 255
    out = flat.astype(np.float32)
    out *= np.float32(scale)
    return np.ascontiguousarray(out)


def check_labels(y: np.ndarray, name: str, count: int | None = None) -> np.ndarray:
    """Validate class labels and return them as uint8 of shape (n,).

    Parameters
    ----------
    y : ndarray
        Integer labels, one per image.
    name : str
        File name used in error messages.
    count : int, optional
        Number of images the labels belong to; a different label count is an error.
    """
    if y.dtype == object or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{name}: labels have dtype {y.dtype}, expected integers 0-9")
    if y.ndim != 1:
        raise DataError(f"{name}: labels have shape {y.shape}, expected one digit 0-9 per image")
    if count is not None and len(y) != count:
        raise DataError(f"{name}: {len(y):,} labels for {count:,} images; the counts must agree")
    if len(y) and (y.min() < 0 or y.max() > 9):
        bad = y[(y < 0) | (y > 9)]
        raise DataError(
            f"{name}: {len(bad):,} labels are outside 0-9 (e.g. {int(bad[0])}); expected digits 0-9"
        )
    return np.ascontiguousarray(y, dtype=np.uint8)


def holdout_split(
    x: np.ndarray, y: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle with ``seed`` and hold out ``fraction`` of the rows as a test set.

    Returns
    -------
    x_train, y_train, x_test, y_test
    """
    if not 0 < fraction < 1:
        raise DataError(f"validation split must be between 0 and 1, not {fraction}")
    n = len(x)
    n_test = int(round(n * fraction))
    if n_test < 1 or n_test >= n:
        noun = "image" if n == 1 else "images"
        raise DataError(f"only {n:,} training {noun}: too few to hold out {fraction:.0%} for testing")
    order = np.random.default_rng(seed).permutation(n)
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return x[train], y[train], x[test], y[test]


def build_dataset(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray] | None,
    *,
    source: str,
    kind: str,
    validation_split: float,
    seed: int,
    note: str = "",
) -> Dataset:
    """Assemble a Dataset from validated arrays, holding out a test split when ``test`` is None."""
    x_train, y_train = train
    if test is not None:
        return Dataset(x_train, y_train, test[0], test[1], source=source, kind=kind, note=note)
    try:
        x_train, y_train, x_test, y_test = holdout_split(x_train, y_train, validation_split, seed)
    except DataError as exc:
        raise DataError(f"{source}: {exc}") from None  # name the file, like every other data error
    held = f"no test set: {validation_split:.0%} of the training images held out for testing"
    return Dataset(
        x_train,
        y_train,
        x_test,
        y_test,
        source=source,
        kind=kind,
        test_is_holdout=True,
        note=f"{note}; {held}" if note else held,
    )
