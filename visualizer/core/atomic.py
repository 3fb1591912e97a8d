"""Atomic file writes: a reader sees the old file or the complete new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from collections.abc import Callable, Iterator

__all__ = ["atomic_path", "atomic_write", "atomic_write_bytes", "temp_name_for"]

_TEMP_MARK = ".tmp"


def temp_name_for(target: Path, suffix: str | None = None) -> Path:
    """A fresh, unguessable sibling of ``target`` that keeps all of its suffixes.

    ``model.weights.h5`` becomes ``.model.tmp1a2b3c4d5e6f7a8b.weights.h5``: writers that insist on
    an extension (Keras' ``model.save`` wants ``.keras``, ``save_weights`` wants ``.weights.h5``)
    accept it, and the leading dot keeps it out of ordinary folder listings. ``suffix`` overrides
    the kept suffixes (e.g. ``".weights.h5"`` for a writer that needs it while the target is ``.h5``).
    """
    name = target.name
    kept = "".join(Path(name).suffixes)
    stem = name[: len(name) - len(kept)] if kept else name
    suffix = kept if suffix is None else suffix
    return target.with_name(f".{stem}{_TEMP_MARK}{secrets.token_hex(8)}{suffix}")


def _fsync_file(path: Path) -> None:
    # Windows only flushes handles opened for writing; POSIX is happy with read-only.
    flags = os.O_RDWR if os.name == "nt" else os.O_RDONLY
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable. Directories cannot be opened on Windows; skip there.
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path to write to; on success it replaces ``path`` atomically.

    The temporary file lives in the target's folder (so ``os.replace`` is a rename, not a copy)
    and keeps the target's suffixes (see :func:`temp_name_for`). It is not created in advance:
    the writer creates it. When the block exits normally the file is fsynced, renamed onto
    ``path`` and the folder is fsynced. When the block raises (or the writer created nothing),
    the temporary file is removed and an existing ``path`` is left untouched. ``suffix``: see
    :func:`temp_name_for`.

    Examples
    --------
    >>> with atomic_path("model.keras") as tmp:  # doctest: +SKIP
    ...     model.save(tmp)
    """
    target = Path(path)
    tmp = temp_name_for(target, suffix)
    try:
        yield tmp
        if not tmp.is_file():
            raise FileNotFoundError(f"the writer did not create a file for {target.name}")
        _fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):
        _fsync_dir(target.parent)


def atomic_write(
    path: str | os.PathLike, write_fn: Callable[[Path], object], *, suffix: str | None = None
) -> Path:
    """Call ``write_fn(temp_path)`` and move the result onto ``path`` atomically; return ``path``.

    Any exception from ``write_fn`` propagates after the temporary file is removed.
    """
    target = Path(path)
    with atomic_path(target, suffix=suffix) as tmp:
        write_fn(tmp)
    return target


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return ``path``."""

    def write(tmp: Path) -> None:
        # O_EXCL: never write through a file or link someone else put at the temp name.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()

    return atomic_write(path, write)
