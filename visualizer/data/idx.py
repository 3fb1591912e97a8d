"""Reader for the original MNIST IDX files (gzipped or not), with validation of every header field."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from visualizer.core.errors import DataError
from visualizer.core.safeio import check_allocation, format_bytes
from visualizer.data.dataset import IMAGE_SIDE, check_labels, check_pixels_fit, display_name, images_to_float
from visualizer.data.files import MAX_UNPACKED_BYTES, count_rest, open_content, read_exactly

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension

# train-images-idx3-ubyte, t10k-labels.idx1-ubyte.gz, ... (the dot variant comes from some mirrors)
IDX_NAME = re.compile(r"^(train|t10k|test)-(images|labels)[.-]idx([13])-ubyte(\.gz)?\Z", re.IGNORECASE)
EXPECTED_NAMES = "train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz] (and t10k-... for the test set)"


# Trailing bytes after the items are counted up to this much, so a gzip bomb behind a small
# header is refused after a megabyte of unpacking, not gigabytes.
TRAILING_COUNT_CAP = 1 << 20

_IDX_TYPES = {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}


def _read_header(stream: BinaryIO, name: str, expected_magic: int) -> tuple[int, tuple[int, ...]]:
    """Read and check the magic number and dimensions; return (header length, dims)."""
    head = stream.read(4)
    if not head:
        raise DataError(f"{name}: the file is empty")
    if len(head) < 4:
        raise DataError(f"{name}: truncated file ({len(head)} bytes, too short for an IDX header)")
    magic = int.from_bytes(head, "big")
    if magic != expected_magic:
        what = {IMAGES_MAGIC: "an image file", LABELS_MAGIC: "a label file"}.get(
            magic, "not an MNIST IDX file"
        )
        want = "an image file" if expected_magic == IMAGES_MAGIC else "a label file"
        raise DataError(f"{name}: wrong magic number {magic} ({what}); expected {expected_magic} for {want}")
    ndim = head[3]  # 3 for images, 1 for labels: the magic number says so
    header = 4 + 4 * ndim
    raw_dims = stream.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DataError(
            f"{name}: truncated file ({4 + len(raw_dims)} bytes, the header alone needs {header})"
        )
    return header, tuple(int.from_bytes(raw_dims[i : i + 4], "big") for i in range(0, 4 * ndim, 4))


def _truncated(name: str, dims: tuple[int, ...], expected: int, actual: int) -> DataError:
    return DataError(
        f"{name}: truncated file: the header announces {dims[0]:,} items "
        f"({expected:,} bytes) but only {actual:,} bytes follow"
    )


def read_idx(
    path: Path, expected_magic: int, check_dims: Callable[[tuple[int, ...]], None] | None = None
) -> np.ndarray:
    """Parse one IDX file into a uint8 array shaped as its header says.

    The header is checked before any data is read: the sizes it declares must match the file
    (for a plain file) and fit in memory; gzipped data is unpacked as it is read, never beyond
    what the header announces (plus a bounded look at what follows).

    Parameters
    ----------
    path : Path
        An IDX file, optionally gzipped.
    expected_magic : int
        ``IMAGES_MAGIC`` or ``LABELS_MAGIC``.
    check_dims : callable, optional
        Called with the header's dimensions before the data is read; raises DataError to refuse.

    Raises
    ------
    DataError
        Not a regular file, empty, wrong magic number, truncated, oversized or corrupt data.
    """
    name = display_name(path)
    with open_content(path) as (stream, size):
        header, dims = _read_header(stream, name, expected_magic)
        expected = math.prod(dims)  # exact: numpy's int64 product of 32-bit dimensions could wrap
        if size is not None and size - header < expected:
            raise _truncated(name, dims, expected, size - header)
        if size is not None and size - header > expected:
            raise DataError(
                f"{name}: {size - header - expected:,} unexpected bytes after the {dims[0]:,} items "
                "the header announces"
            )
        try:
            if expected > MAX_UNPACKED_BYTES:
                raise DataError(
                    f"{name}: the header announces {dims[0]:,} {_IDX_TYPES[expected_magic]} ({expected:,} bytes), "
                    f"more than the {format_bytes(MAX_UNPACKED_BYTES)} an MNIST file can hold"
                )
            if check_dims is not None:
                check_dims(dims)
            check_allocation(expected, f"{name}: {dims[0]:,} {_IDX_TYPES[expected_magic]}", DataError)
        except DataError:
            if size is None:  # gzip: a damaged stream can decode to any header; look a little further
                rest = count_rest(stream, TRAILING_COUNT_CAP)  # raises for corrupt gzip data
                if rest <= TRAILING_COUNT_CAP and rest < expected:
                    raise _truncated(name, dims, expected, rest) from None
            raise
        out = np.empty(expected, dtype=np.uint8)
        got = read_exactly(stream, memoryview(out))
        if got < expected:
            raise _truncated(name, dims, expected, got)
        extra = count_rest(stream, TRAILING_COUNT_CAP) if size is None else 0
    if extra:
        amount = f"more than {TRAILING_COUNT_CAP:,}" if extra > TRAILING_COUNT_CAP else f"{extra:,}"
        raise DataError(f"{name}: {amount} unexpected bytes after the {dims[0]:,} items the header announces")
    return out.reshape(dims)


def load_idx_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Load matching image and label files into float32 (n, 784) images and uint8 labels."""
    images_name, labels_name = display_name(images_path), display_name(labels_path)

    def check_images(dims: tuple[int, ...]) -> None:
        if dims[1:] != (IMAGE_SIDE, IMAGE_SIDE):
            raise DataError(f"{images_name}: images are {dims[1]}x{dims[2]} pixels, expected 28x28")
        check_pixels_fit(math.prod(dims), 1, f"{images_name}: {dims[0]:,} images")

    raw = read_idx(images_path, IMAGES_MAGIC, check_images)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if len(labels) != len(raw):
        raise DataError(
            f"{labels_name} has {len(labels):,} labels but {images_name} has "
            f"{len(raw):,} images; the counts must agree"
        )
    return images_to_float(raw, images_name), check_labels(labels, labels_name)


def find_idx_files(folder: Path) -> dict[tuple[str, str], Path]:
    """Map ("train"|"test", "images"|"labels") to the IDX files in ``folder`` (uncompressed first)."""
    found: dict[tuple[str, str], Path] = {}
    for path in sorted(folder.iterdir(), key=lambda p: (p.name.lower().endswith(".gz"), p.name)):
        m = IDX_NAME.match(path.name)
        if m and not path.is_dir():  # a FIFO or device of that name is refused when read, not skipped
            split = "train" if m.group(1).lower() == "train" else "test"
            found.setdefault((split, m.group(2).lower()), path)
    return found


def load_idx_folder(
    folder: Path,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """Load the train pair (required) and the test pair (optional) from an IDX folder.

    Returns
    -------
    train : (x, y)
    test : (x, y) or None when the folder has no test files.
    """
    files = find_idx_files(folder)
    pairs = {}
    for split in ("train", "test"):
        img, lab = files.get((split, "images")), files.get((split, "labels"))
        if img is None and lab is None:
            continue
        if img is None or lab is None:
            have, missing = display_name(img or lab), "images" if img is None else "labels"
            prefix = "train" if split == "train" else "t10k"
            want = (
                f"{prefix}-images-idx3-ubyte[.gz]"
                if missing == "images"
                else f"{prefix}-labels-idx1-ubyte[.gz]"
            )
            raise DataError(
                f"{display_name(folder)}/: found {have} but not the matching {missing} file {want}"
            )
        pairs[split] = load_idx_pair(img, lab)
    if "train" not in pairs:
        raise DataError(f"{display_name(folder)}/: no training IDX files (looked for {EXPECTED_NAMES})")
    return pairs["train"], pairs.get("test")
