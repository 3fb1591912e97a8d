"""Reader for the original MNIST IDX files (gzipped or not), with validation of every header field."""

from __future__ import annotations

import gzip
import io
import re
import zlib
from pathlib import Path

import numpy as np

from visualizer.core.errors import DataError
from visualizer.data.dataset import check_labels, display_name, images_to_float

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
_TYPE_NAMES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "int16",
    0x0C: "int32",
    0x0D: "float32",
    0x0E: "float64",
}

# train-images-idx3-ubyte, t10k-labels.idx1-ubyte.gz, ... (the dot variant comes from some mirrors)
IDX_NAME = re.compile(r"^(train|t10k|test)-(images|labels)[.-]idx([13])-ubyte(\.gz)?$", re.IGNORECASE)
EXPECTED_NAMES = "train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz] (and t10k-... for the test set)"


# The full 70,000-image MNIST is 55 MB unpacked; anything past this is not a digit set but a
# gzip bomb that would exhaust memory.
MAX_UNPACKED_BYTES = 2 << 30


def read_file_bytes(path: Path, limit: int = MAX_UNPACKED_BYTES) -> bytes:
    """Read a file, transparently un-gzipping it when it starts with the gzip magic bytes.

    Unpacking stops at ``limit`` bytes (DataError), so a gzip bomb cannot exhaust memory.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        unpacked = _gunzip(raw, limit)
    except EOFError as exc:
        raise DataError(f"{path.name}: the gzip data is truncated (the file was cut off)") from exc
    except (OSError, zlib.error) as exc:
        raise DataError(f"{path.name}: corrupt gzip data ({exc})") from exc
    if unpacked is None:
        raise DataError(f"{path.name}: unpacks to more than {limit >> 20:,} MB; that is not an MNIST file")
    return unpacked


def _gunzip(raw: bytes, limit: int) -> bytes | None:
    """Decompress gzip ``raw`` (all members); None when the result would exceed ``limit`` bytes."""
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
        data = stream.read(limit + 1)
    return None if len(data) > limit else data


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Parse one IDX file into a uint8 array shaped as its header says.

    Parameters
    ----------
    path : Path
        An IDX file, optionally gzipped.
    expected_magic : int
        ``IMAGES_MAGIC`` or ``LABELS_MAGIC``.

    Raises
    ------
    DataError
        Empty file, wrong magic number, unsupported data type, truncated or oversized data.
    """
    name = path.name
    data = read_file_bytes(path)
    if not data:
        raise DataError(f"{name}: the file is empty")
    if len(data) < 4:
        raise DataError(f"{name}: truncated file ({len(data)} bytes, too short for an IDX header)")
    magic = int.from_bytes(data[:4], "big")
    if magic != expected_magic:
        what = {IMAGES_MAGIC: "an image file", LABELS_MAGIC: "a label file"}.get(
            magic, "not an MNIST IDX file"
        )
        want = "an image file" if expected_magic == IMAGES_MAGIC else "a label file"
        raise DataError(f"{name}: wrong magic number {magic} ({what}); expected {expected_magic} for {want}")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: truncated file ({len(data)} bytes, the header alone needs {header})")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims, dtype=np.int64))
    actual = len(data) - header
    if actual < expected:
        raise DataError(
            f"{name}: truncated file: the header announces {dims[0]:,} items "
            f"({expected:,} bytes) but only {actual:,} bytes follow"
        )
    if actual > expected:
        raise DataError(
            f"{name}: {actual - expected:,} unexpected bytes after the {dims[0]:,} items the header announces"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_idx_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Load matching image and label files into float32 (n, 784) images and uint8 labels."""
    raw = read_idx(images_path, IMAGES_MAGIC)
    if raw.ndim == 3 and raw.shape[1:] != (28, 28):
        raise DataError(
            f"{images_path.name}: images are {raw.shape[1]}x{raw.shape[2]} pixels, expected 28x28"
        )
    labels = read_idx(labels_path, LABELS_MAGIC)
    if len(labels) != len(raw):
        raise DataError(
            f"{labels_path.name} has {len(labels):,} labels but {images_path.name} has "
            f"{len(raw):,} images; the counts must agree"
        )
    return images_to_float(raw, images_path.name), check_labels(labels, labels_path.name)


def find_idx_files(folder: Path) -> dict[tuple[str, str], Path]:
    """Map ("train"|"test", "images"|"labels") to the IDX files in ``folder`` (uncompressed first)."""
    found: dict[tuple[str, str], Path] = {}
    for path in sorted(folder.iterdir(), key=lambda p: (p.name.lower().endswith(".gz"), p.name)):
        m = IDX_NAME.match(path.name)
        if m and path.is_file():
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
            have, missing = (img or lab).name, "images" if img is None else "labels"
            prefix = "train" if split == "train" else "t10k"
            want = (
                f"{prefix}-images-idx3-ubyte[.gz]"
                if missing == "images"
                else f"{prefix}-labels-idx1-ubyte[.gz]"
            )
            raise DataError(f"{display_name(folder)}/: found {have} but not the matching {missing} file {want}")
        pairs[split] = load_idx_pair(img, lab)
    if "train" not in pairs:
        raise DataError(f"{display_name(folder)}/: no training IDX files (looked for {EXPECTED_NAMES})")
    return pairs["train"], pairs.get("test")
