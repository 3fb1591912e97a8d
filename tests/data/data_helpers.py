"""Writers for tiny MNIST-format files (IDX, npz, CSV, sparse and FIFO cases) for the data-layer tests."""

from __future__ import annotations

import contextlib
import gzip
import os
import threading
from pathlib import Path

import numpy as np


def tiny_digits(n: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random 28x28 uint8 images and labels cycling through 0-9."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), (np.arange(n) % 10).astype(np.uint8)


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """The IDX encoding of a uint8 array (magic 0x0000 08 ndim, big-endian dims, raw bytes)."""
    array = np.asarray(array, dtype=np.uint8)
    magic = magic if magic is not None else 0x0800 + array.ndim
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def write_idx(path: Path, array: np.ndarray, *, gz: bool | None = None, magic: int | None = None) -> Path:
    data = idx_bytes(array, magic)
    gz = path.name.endswith(".gz") if gz is None else gz
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_idx_set(folder: Path, x_train, y_train, x_test=None, y_test=None, *, gz=True, dot=False) -> Path:
    """Write train (and optionally t10k) IDX files with the original names into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    sep = "." if dot else "-"
    ext = ".gz" if gz else ""
    write_idx(folder / f"train-images{sep}idx3-ubyte{ext}", x_train)
    write_idx(folder / f"train-labels{sep}idx1-ubyte{ext}", y_train)
    if x_test is not None:
        write_idx(folder / f"t10k-images{sep}idx3-ubyte{ext}", x_test)
        write_idx(folder / f"t10k-labels{sep}idx1-ubyte{ext}", y_test)
    return folder


def csv_text(x: np.ndarray, y: np.ndarray | None, *, header: bool) -> str:
    """Kaggle layout when ``header`` (label,pixel0..pixel783), else mnist_train.csv layout."""
    flat = np.asarray(x).reshape(len(x), -1)
    rows = flat if y is None else np.column_stack([y, flat])
    lines = [",".join(map(str, r)) for r in rows.tolist()]
    if header:
        cols = [f"pixel{i}" for i in range(flat.shape[1])]
        lines.insert(0, ",".join((["label"] if y is not None else []) + cols))
    return "\n".join(lines) + "\n"


def write_csv(path: Path, x, y, *, header: bool) -> Path:
    path.write_text(csv_text(x, y, header=header))
    return path


def raised_without_blocking(call, *fifos: Path, timeout: float = 30.0) -> BaseException | None:
    """Run ``call()`` in a thread; return what it raised (None if it returned).

    A regression that opens or reads one of ``fifos`` would block forever: after ``timeout``
    seconds the FIFOs get a writer that closes at once (so the blocked reader sees end of file)
    and the test fails instead of hanging.
    """
    outcome: list[BaseException | None] = []

    def run():
        try:
            call()
            outcome.append(None)
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        for fifo in fifos:
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(timeout)
        raise AssertionError(f"blocked on a FIFO for {timeout:.0f} s: {', '.join(f.name for f in fifos)}")
    return outcome[0]


def sparse_file(path: Path, size: int, head: bytes = b"") -> Path:
    """A file of ``size`` bytes that takes no disk space: ``head``, then a hole of zeros."""
    with path.open("wb") as f:
        f.write(head)
        f.truncate(size)
    return path


def idx_header(magic: int, *dims: int) -> bytes:
    return magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
