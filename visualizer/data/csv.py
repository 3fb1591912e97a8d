"""Reader for MNIST as CSV: Kaggle ``train.csv`` (header) and header-less ``mnist_train.csv``.

Files are streamed line by line (never read whole), decoded as UTF-8 or UTF-16 by their byte
order mark or their zero bytes, with the delimiter (comma, semicolon, tab or spaces) taken from
the first line, quoted cells, and blank or all-space lines skipped.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import itertools
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from visualizer.core.errors import DataError
from visualizer.core.safeio import allocation_limit, check_allocation, format_bytes, one_line
from visualizer.data.dataset import IMAGE_SIZE, check_labels, display_name, images_to_float
from visualizer.data.files import MAX_UNPACKED_BYTES, BoundedReader, open_content

COLUMNS = IMAGE_SIZE + 1  # label + 784 pixels
DELIMITERS = (",", ";", "\t")
# A row is at least 785 one-digit cells and their separators; each becomes 1 byte in the parsed
# table and 8 more as float32 images (twice while a test split is held out): at most about 5
# bytes of memory per byte of CSV text.
MEMORY_PER_TEXT_BYTE = 5
# A row of 785 quoted, space-padded 3-digit cells is under 6,000 characters.
MAX_LINE = 1 << 16


def _encoding(start: bytes) -> str:
    """The text encoding of a file beginning with ``start``: by byte order mark, else by zero bytes."""
    if start.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(start) >= 2 and start[0] == 0 and start[1] != 0:
        return "utf-16-be"
    if len(start) >= 2 and start[1] == 0 and start[0] != 0:
        return "utf-16-le"
    return "utf-8-sig"  # strips a UTF-8 byte order mark


def _lines(text: io.TextIOBase, name: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for every line that is not blank; refuses absurdly long lines."""
    number = 0
    while line := text.readline(MAX_LINE + 1):
        number += 1
        if len(line) > MAX_LINE:
            raise DataError(
                f"{name}, line {number}: longer than {MAX_LINE:,} characters; not a row of digits"
            )
        if line.strip():
            yield number, line


@contextlib.contextmanager
def _open_text(path: Path, name: str) -> Iterator[io.TextIOBase]:
    """The file as text, its memory need checked first (plain files) or bounded while reading (gzip)."""
    limit = allocation_limit() // MEMORY_PER_TEXT_BYTE
    with open_content(path) as (stream, size):
        if size is not None:
            check_allocation(
                size * MEMORY_PER_TEXT_BYTE, f"{name}: a {format_bytes(size)} CSV file", DataError
            )
            message = f"{name}: the file grew while it was read"
        else:
            limit = min(limit, MAX_UNPACKED_BYTES)
            message = f"{name}: unpacks to more than {format_bytes(limit)} of CSV text, more than " + (
                "an MNIST file holds" if limit == MAX_UNPACKED_BYTES else "this machine has memory for"
            )
        buffered = io.BufferedReader(BoundedReader(stream, max(limit, size or 0), message), 1 << 16)
        encoding = _encoding(buffered.peek(4)[:4])
        with io.TextIOWrapper(buffered, encoding=encoding, errors="replace", newline=None) as text:
            yield text


def _cells(line: str, delimiter: str | None) -> list[str]:
    return [c.strip().strip("\"'").strip() for c in line.split(delimiter)]


def _unquoted(raw: str) -> str | None:
    """A data cell as numpy reads it: spaces around it and one pair of double quotes dropped; None if unclosed."""
    cell = raw.strip()
    if not cell.startswith('"'):
        return cell
    return cell[1:-1].strip() if len(cell) >= 2 and cell.endswith('"') else None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _delimiter(first: str) -> str | None:
    """The separator the first line uses most; None (any run of spaces) when it has none of them."""
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    if counts[best]:
        return best
    return None if len(first.split()) > 1 else ","


def _label_column(first: str, delimiter: str | None) -> tuple[bool, int]:
    """(the first line is a header, index of the label column or -1)."""
    cells = _cells(first, delimiter)
    if sum(not _is_number(c) for c in cells if c) * 2 < len(cells):
        return False, 0  # mostly numbers, so no header (a stray text cell is reported later): label first
    names = [c.lower() for c in cells]
    return True, (names.index("label") if "label" in names else -1)


def _diagnose(path: Path, name: str, has_header: bool, delimiter: str | None) -> DataError:
    """Find the first bad row (numpy said only that one is) and say what is wrong with it."""
    with _open_text(path, name) as text:
        rows = _lines(text, name)
        if has_header:
            next(rows, None)
        for number, line in rows:
            cells = line.split(delimiter)
            where = f"{name}, line {number}"
            if len(cells) != COLUMNS:
                return DataError(
                    f"{where}: {len(cells)} columns, expected {COLUMNS} (a label and 784 pixels)"
                )
            for j, raw in enumerate(cells):
                text_cell = _unquoted(raw)
                if text_cell is None:
                    return DataError(f"{where}: a quote that is never closed in column {j + 1}")
                if not text_cell.isdecimal() or not text_cell.isascii():
                    shown = one_line(repr(text_cell[:20]))
                    what = "an empty cell" if not text_cell else f"the text cell {shown}"
                    return DataError(f"{where}: {what} in column {j + 1}; expected whole numbers 0-255")
                digits = text_cell.lstrip("0") or "0"
                if len(digits) > 3 or int(digits) > 255:  # int() of thousands of digits would raise
                    value = digits if len(digits) <= 12 else f"{digits[:6]}… ({len(digits):,} digits)"
                    return DataError(f"{where}: value {value} in column {j + 1} is outside 0-255")
    return DataError(
        f"{name}: cannot be read as MNIST CSV (expected rows of a label and 784 whole numbers 0-255, "
        "with a header line or none)"
    )


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
        Not a regular file, too large for memory, empty, no label column, text cells, wrong
        column count, values out of range.
    """
    name = display_name(path)
    with _open_text(path, name) as text:
        rows = _lines(text, name)
        number, first = next(rows, (0, ""))
        if not first:
            raise DataError(f"{name}: the file is empty")
        delimiter = _delimiter(first)
        has_header, label_col = _label_column(first, delimiter)
        if label_col < 0:
            raise DataError(
                f"{name}: the header has no 'label' column, so this file cannot be used for "
                "training or testing (Kaggle's test.csv has no labels; use train.csv)"
            )
        data = rows if has_header else itertools.chain([(number, first)], rows)
        probe_number, probe = next(data, (0, ""))
        if not probe:
            raise DataError(f"{name}: has a header but no data rows")
        if len(probe.split(delimiter)) != COLUMNS:  # say so now, before numpy reads a single row
            raise DataError(
                f"{name}, line {probe_number}: {len(probe.split(delimiter))} columns, "
                f"expected {COLUMNS} (a label and 784 pixels)"
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numpy's warnings are not for the user; errors are diagnosed
                # numpy >= 1.23 parses CSV in C (uint8 rejects values > 255); blank lines never reach it.
                lines = (line for _, line in itertools.chain([(probe_number, probe)], data))
                table = np.loadtxt(
                    lines, dtype=np.uint8, delimiter=delimiter, quotechar='"', comments=None, ndmin=2
                )
        except ValueError:
            table = None
    if table is None:
        raise _diagnose(path, name, has_header, delimiter)
    labels = table[:, label_col]
    pixels = np.delete(table, label_col, axis=1) if label_col else table[:, 1:]
    x = images_to_float(pixels, name)
    return x, check_labels(labels, f"{name} (label column)", count=len(x))


def load_csv_files(
    train: Path, test: Path | None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """Read a training CSV and, when given, a labelled test CSV."""
    return read_csv_digits(train), (read_csv_digits(test) if test is not None else None)
