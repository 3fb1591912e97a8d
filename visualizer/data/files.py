"""Opening dataset files safely: regular files only (never blocking), gzip streamed, errors as one DataError line."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from visualizer.core.errors import DataError
from visualizer.core.safeio import open_regular_file, one_line
from visualizer.data.dataset import display_name

GZIP_MAGIC = b"\x1f\x8b"

# The full 70,000-image MNIST is 55 MB unpacked; a gzip stream past this is not a digit set but a
# gzip bomb. Memory is bounded separately, by what the machine has (core.safeio.check_allocation).
MAX_UNPACKED_BYTES = 2 << 30


def open_data_file(path: Path) -> BinaryIO:
    """Open ``path`` for binary reading; a FIFO, device, folder or missing file is a DataError at once."""
    try:
        return open_regular_file(path, "cannot read", DataError)
    except DataError as exc:
        raise DataError(one_line(str(exc))) from None  # the file name may hold a newline


@contextlib.contextmanager
def read_errors(name: str, gzipped: bool) -> Iterator[None]:
    """Turn what reading (and un-gzipping) can raise into one DataError naming the file."""
    try:
        yield
    except EOFError as exc:
        raise DataError(f"{name}: the gzip data is truncated (the file was cut off)") from exc
    except zlib.error as exc:
        raise DataError(f"{name}: corrupt gzip data ({one_line(exc)})") from exc
    except OSError as exc:
        if gzipped and isinstance(exc, gzip.BadGzipFile):
            raise DataError(f"{name}: corrupt gzip data ({one_line(exc)})") from exc
        raise DataError(f"cannot read {name}: {one_line(exc.strerror or exc)}") from exc


@contextlib.contextmanager
def open_content(path: Path) -> Iterator[tuple[BinaryIO, int | None]]:
    """Yield ``(stream, size)``: the file's content, un-gzipped when it starts with the gzip magic.

    ``size`` is the content's length when it is known without reading (a plain file), None for
    gzip (whose own size field is only the length modulo 4 GiB). Read and gzip errors inside the
    ``with`` block become DataError.
    """
    name = display_name(path)
    with open_data_file(path) as raw:
        with read_errors(name, gzipped=False):
            size = os.fstat(raw.fileno()).st_size
            gzipped = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
        with read_errors(name, gzipped):
            if not gzipped:
                yield raw, size
                return
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                yield stream, None


def read_exactly(stream: BinaryIO, out: memoryview) -> int:
    """Fill ``out`` from ``stream``; return how many bytes arrived (fewer only at the end of the data)."""
    got = 0
    while got < len(out):
        n = stream.readinto(out[got:])
        if not n:
            break
        got += n
    return got


def count_rest(stream: BinaryIO, cap: int) -> int:
    """Bytes left in ``stream``, counted in chunks without keeping them; stops past ``cap``."""
    total = 0
    while total <= cap:
        chunk = stream.read(1 << 16)
        if not chunk:
            break
        total += len(chunk)
    return total


class BoundedReader(io.RawIOBase):
    """A read-only stream that raises DataError once more than ``limit`` bytes have been read."""

    def __init__(self, stream: BinaryIO, limit: int, message: str):
        self._stream, self._left, self._message = stream, limit, message

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        n = self._stream.readinto(view[: max(self._left + 1, 1)]) or 0
        self._left -= n
        if self._left < 0:
            raise DataError(self._message)
        return n
