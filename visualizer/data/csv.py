"""Reader for MNIST as CSV: Kaggle ``train.csv`` (header) and header-less ``mnist_train.csv``."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from visualizer.core.errors import DataError
from visualizer.data.dataset import IMAGE_SIZE, check_labels, images_to_float
from visualizer.data.idx import read_file_bytes

COLUMNS = IMAGE_SIZE + 1  # label + 784 pixels


def _is_number(cell: bytes) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _split_header(data: bytes, name: str) -> tuple[int, int]:
    """Return (offset of the first data row, index of the label column); -1 when there is none."""
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)]
    cells = first.split(b",")
    if sum(not _is_number(c) for c in cells if c.strip()) * 2 < len(cells):
        return 0, 0  # mostly numbers, so no header (a stray text cell is reported later): label first
    names = [c.strip().strip("\"'").lower() for c in first.decode("utf-8-sig", "replace").split(",")]
    start = end + 1 if end >= 0 else len(data)
    return start, (names.index("label") if "label" in names else -1)


def _diagnose(body: bytes, line_offset: int, name: str, exc: ValueError) -> DataError:
    """Turn numpy's parse error into a message that names the line and the problem."""
    lines = body.split(b"\n")
    for i, line in enumerate(lines):
        line = line.strip()
        if not line:
            continue
        cells = line.split(b",")
        where = f"{name}, line {i + 1 + line_offset}"
        if len(cells) != COLUMNS:
            return DataError(f"{where}: {len(cells)} columns, expected {COLUMNS} (a label and 784 pixels)")
        for j, cell in enumerate(cells):
            text = cell.strip()
            if not text.isdigit():
                shown = text.decode("utf-8", "replace")[:20]
                what = "an empty cell" if not text else f"the text cell {shown!r}"
                return DataError(f"{where}: {what} in column {j + 1}; expected whole numbers 0-255")
            if int(text) > 255:
                return DataError(f"{where}: value {int(text)} in column {j + 1} is outside 0-255")
    return DataError(f"{name}: cannot parse the CSV ({exc})")


def read_csv_digits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one labelled MNIST CSV file (optionally gzipped).

    Accepts a header row (Kaggle ``label,pixel0,...,pixel783``) or none (``mnist_train.csv``:
    label first, then 784 pixel values 0-255 per row).

    Returns
    -------
    x : float32 (n, 784) in [0, 1]
    y : uint8 (n,)

    Raises
    ------
    DataError
        Empty file, no label column, text cells, wrong column count, values out of range.
    """
    name = path.name
    data = read_file_bytes(path)
    if not data or data.isspace():
        raise DataError(f"{name}: the file is empty")
    start, label_col = _split_header(data, name)
    if label_col < 0:
        raise DataError(
            f"{name}: the header has no 'label' column, so this file cannot be used for "
            "training or testing (Kaggle's test.csv has no labels; use train.csv)"
        )
    if data[start : start + 1_000_000].isspace() or start >= len(data):
        raise DataError(f"{name}: has a header but no data rows")
    skip = 1 if start else 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy warns about blank lines; they are harmless here
            # numpy >= 1.23 parses CSV in C: 60,000 rows take about 0.8 s (uint8 rejects values > 255).
            table = np.loadtxt(io.BytesIO(data), dtype=np.uint8, delimiter=",", ndmin=2, skiprows=skip)
    except ValueError as exc:
        raise _diagnose(data[start:], skip, name, exc) from exc
    if table.shape[1] != COLUMNS:
        raise DataError(f"{name}: {table.shape[1]} columns, expected {COLUMNS} (a label and 784 pixels)")
    labels = table[:, label_col]
    pixels = np.delete(table, label_col, axis=1) if label_col else table[:, 1:]
    x = images_to_float(pixels, name)
    return x, check_labels(labels, f"{name} (label column)", count=len(x))


def load_csv_files(
    train: Path, test: Path | None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """Read a training CSV and, when given, a labelled test CSV."""
    return read_csv_digits(train), (read_csv_digits(test) if test is not None else None)
