"""Reading untrusted files safely: regular files only (a FIFO never blocks), allocations bounded by the machine."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

from visualizer.core.errors import NnvizError

_FALLBACK_MEMORY = 4 << 30  # when the machine's free memory cannot be read


def available_memory() -> int:
    """Bytes of memory the machine can still give (MemAvailable on Linux), a conservative guess elsewhere."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return _FALLBACK_MEMORY


def allocation_limit() -> int:
    """The most one dataset or file may take in memory: half of what the machine has free now."""
    return max(available_memory() // 2, 64 << 20)


def format_bytes(n: float) -> str:
    """'1.5 GB', '320 MB', '12 KB' (powers of 1024)."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


def check_allocation(nbytes: int, what: str, error: type[NnvizError] = NnvizError) -> None:
    """Raise ``error`` naming ``what`` when ``nbytes`` is more than :func:`allocation_limit` allows."""
    limit = allocation_limit()
    if nbytes > limit:
        raise error(f"{what} would need {format_bytes(nbytes)} of memory; "
                    f"this machine can spare about {format_bytes(limit)}")


def require_regular_file(path: str | os.PathLike, what: str, error: type[NnvizError] = NnvizError) -> int:
    """Raise ``error`` unless ``path`` is an existing regular file (links followed); return its size.

    FIFOs, devices, sockets and folders are refused: reading them can block forever or never end.
    """
    p = Path(path)
    name = one_line(p.name)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise error(f"{what} {name}: no such file") from None
    except OSError as exc:
        raise error(f"{what} {name}: {exc.strerror or type(exc).__name__}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{what} {name}: that is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{what} {name}: not a regular file (a pipe, device or socket cannot be read)")
    return st.st_size


def open_regular_file(path: str | os.PathLike, what: str, error: type[NnvizError] = NnvizError) -> BinaryIO:
    """Open ``path`` for binary reading; refuses anything but a regular file without ever blocking.

    The file is opened with O_NONBLOCK (opening a FIFO for reading would otherwise wait for a
    writer), checked with fstat (so a file swapped for a FIFO after a check is still caught),
    then switched back to blocking reads.
    """
    p = Path(path)
    name = one_line(p.name)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise error(f"{what} {name}: no such file") from None
    except IsADirectoryError:
        raise error(f"{what} {name}: that is a folder, not a file") from None
    except OSError as exc:
        raise error(f"{what} {name}: {exc.strerror or type(exc).__name__}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise error(f"{what} {name}: that is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise error(f"{what} {name}: not a regular file (a pipe, device or socket cannot be read)")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        raise


def one_line(text: str) -> str:
    """``text`` as one line: newlines and other control characters (e.g. from a file name) shown as spaces."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
