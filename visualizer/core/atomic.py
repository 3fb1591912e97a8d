"""Atomic file writes that leave no litter: a reader sees the old file or the complete new one, never half.

Every temporary file is named after its target and its writer (``.model.tmp4242-a1b2c3-….keras``),
so a later write to the same target can tell a partial file left by a killed process (its writer
no longer runs on this machine) from one a concurrent writer is still filling, and remove only
the former. Scratch folders for libraries that insist on a temporary folder of their own are
named the same way (see :func:`private_tempdir`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "atomic_path",
    "atomic_write",
    "atomic_write_bytes",
    "private_tempdir",
    "sweep_stale_temps",
    "temp_name_for",
]

_TEMP_MARK = ".tmp"
_NAME_MAX = 255  # bytes per file name on every common file system
_PID_WIDTH = 10  # room reserved for the pid, so a target's truncated stem never depends on it
_MAX_KEPT_SUFFIX = 40
# A file whose writer cannot be checked (another machine, an old nnviz, a reused pid) is stale
# only once nobody has touched it for this long; no write takes anywhere near a day.
_ABANDONED_AFTER = 24 * 3600
_WRITER = re.compile(r"(\d+)-([0-9a-f]{6})")  # pid, host tag
_OURS = re.compile(_WRITER.pattern + r"-[0-9a-f]{8}")
_LEGACY = re.compile(r"[0-9a-f]{16}")  # nnviz before writer-named temp files
_SCRATCH_PREFIX = "nnviz-scratch-"
_TEMPDIR_LOCK = threading.Lock()


def _host_tag() -> str:
    """Six hex digits naming this machine, so a pid is only ever checked where it means something."""
    return hashlib.blake2s(socket.gethostname().encode("utf-8", "replace"), digest_size=3).hexdigest()


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return _NAME_MAX


def _fits(text: str, budget: int) -> str:
    """The longest prefix of ``text`` whose encoded file name takes at most ``budget`` bytes."""
    while text and len(os.fsencode(text)) > budget:
        text = text[: max(0, min(len(text) - 1, budget))]
    return text


def _temp_parts(target: Path) -> tuple[str, str]:
    """(prefix, suffix) of every temp name for ``target``: ``.<stem>.tmp`` and the kept suffixes."""
    name = target.name
    suffix = "".join(Path(name).suffixes)
    stem = name[: len(name) - len(suffix)] if suffix else name
    if len(suffix) > _MAX_KEPT_SUFFIX:  # "a.b.c.d…": keep the last extension only
        suffix = Path(name).suffix if len(Path(name).suffix) <= _MAX_KEPT_SUFFIX else ""
    # The writer fields take at most len("4294967295-a1b2c3-0123abcd").
    fixed = len(os.fsencode(f"..{_TEMP_MARK}{suffix}")) + _PID_WIDTH + 1 + 6 + 1 + 8
    stem = _fits(stem, _name_max(target.parent) - fixed)
    return f".{stem}{_TEMP_MARK}", suffix


def temp_name_for(target: Path) -> Path:
    """A fresh, unguessable sibling of ``target`` that keeps its suffixes and names its writer.

    ``model.weights.h5`` becomes ``.model.tmp4242-a1b2c3-1a2b3c4d.weights.h5`` (writer pid, host
    tag, random part): the leading dot keeps it out of ordinary folder listings, and the stem is
    shortened when needed so the name fits the file system for any target name that does.
    """
    target = Path(target)
    prefix, suffix = _temp_parts(target)
    return target.with_name(f"{prefix}{os.getpid()}-{_host_tag()}-{secrets.token_hex(4)}{suffix}")


def _pid_running(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would send CTRL_C_EVENT there; rely on age alone
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or not checkable
    return True


def _is_abandoned(writer: str, mtime: float, now: float) -> bool:
    """Whether a temp file or folder written by ``writer`` ("pid-host", or "" if unknown) can go."""
    if now - mtime > _ABANDONED_AFTER:
        return True
    match = _WRITER.fullmatch(writer)
    if match is None:
        return False
    pid, host = int(match.group(1)), match.group(2)
    return host == _host_tag() and pid != os.getpid() and not _pid_running(pid)


def sweep_stale_temps(target: str | os.PathLike) -> list[Path]:
    """Remove temp files that earlier, killed writes of ``target`` left beside it; return them.

    Only files named like this module's temp files *for this target* are considered, and only
    those whose writer no longer runs on this machine (or that nobody touched for a day): a
    concurrent write to the same target keeps its file. Errors are ignored; this is tidying.
    """
    target = Path(target)
    prefix, suffix = _temp_parts(target)
    removed, now = [], time.time()
    with contextlib.suppress(OSError), os.scandir(target.parent) as entries:
        for entry in entries:
            if not entry.name.startswith(prefix):
                continue
            rest = entry.name[len(prefix) :]
            ours = _OURS.match(rest)
            if ours is not None and rest[ours.end() :] != suffix:
                continue  # another target with the same stem ("net.npz" beside "net.keras")
            if ours is None and _LEGACY.match(rest) is None:
                continue
            with contextlib.suppress(OSError):
                st = entry.stat(follow_symlinks=False)
                writer = f"{ours.group(1)}-{ours.group(2)}" if ours else ""
                if entry.is_file(follow_symlinks=False) and _is_abandoned(writer, st.st_mtime, now):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


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


def _check_name_length(target: Path) -> None:
    size, limit = len(os.fsencode(target.name)), _name_max(target.parent)
    if size > limit:
        raise OSError(
            errno.ENAMETOOLONG, f"the file name is {size} bytes long; this folder allows at most {limit}"
        )


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write to; on success it replaces ``path`` atomically.

    The temporary file lives in the target's folder (so ``os.replace`` is a rename, not a copy)
    and keeps the target's suffixes (see :func:`temp_name_for`). It is not created in advance:
    the writer creates it. Stale temp files of earlier, killed writes are swept first (see
    :func:`sweep_stale_temps`). When the block exits normally the file gets the permission bits
    of the file it replaces (a new file keeps the umask default), is fsynced, renamed onto
    ``path`` and the folder is fsynced. When the block raises (or the writer created nothing),
    the temporary file is removed and an existing ``path`` is left untouched.

    Raises
    ------
    OSError
        ``ENAMETOOLONG`` before anything is written when the target's name does not fit the
        file system; otherwise whatever the writer or the rename raised.

    Examples
    --------
    >>> with atomic_path("model.keras") as tmp:  # doctest: +SKIP
    ...     model.save(tmp)
    """
    target = Path(path)
    _check_name_length(target)
    sweep_stale_temps(target)
    tmp = temp_name_for(target)
    try:
        yield tmp
        if not tmp.is_file():
            raise FileNotFoundError(f"the writer did not create a file for {target.name}")
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, os.stat(target).st_mode & 0o777)
        _fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):
        _fsync_dir(target.parent)


def atomic_write(path: str | os.PathLike, write_fn: Callable[[Path], object]) -> Path:
    """Call ``write_fn(temp_path)`` and move the result onto ``path`` atomically; return ``path``.

    Any exception from ``write_fn`` propagates after the temporary file is removed.
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        write_fn(tmp)
    return target


def atomic_write_bytes(path: str | os.PathLike, data: bytes | bytearray | memoryview) -> Path:
    """Write ``data`` to ``path`` atomically; return ``path``.

    The bytes go out with plain ``os.write`` calls, so a full disk is one ``OSError`` (ENOSPC)
    that removes the temporary file; no library sits between the data and the disk.
    """

    def write(tmp: Path) -> None:
        # O_EXCL: never write through a file or link someone else put at the temp name.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            view = memoryview(data).cast("B")
            while view:
                view = view[os.write(fd, view[: 1 << 24]) :]
        finally:
            os.close(fd)

    return atomic_write(path, write)


def _sweep_scratch(base: Path) -> None:
    now, uid = time.time(), os.getuid() if hasattr(os, "getuid") else None
    with contextlib.suppress(OSError), os.scandir(base) as entries:
        for entry in entries:
            if not entry.name.startswith(_SCRATCH_PREFIX):
                continue
            writer = entry.name[len(_SCRATCH_PREFIX) :].rsplit("-", 1)[0]
            with contextlib.suppress(OSError):
                st = entry.stat(follow_symlinks=False)
                if (
                    entry.is_dir(follow_symlinks=False)
                    and uid in (None, st.st_uid)
                    and _is_abandoned(writer, st.st_mtime, now)
                ):
                    shutil.rmtree(entry.path, ignore_errors=True)


@contextlib.contextmanager
def private_tempdir() -> Iterator[Path]:
    """Point :mod:`tempfile` at a fresh private folder for the block; remove it afterwards.

    For libraries that create temporary files and folders of their own (Keras' asset folder,
    TensorFlow's converter) and leave them behind when they fail or the process is killed. The
    folder is ``nnviz-scratch-<pid>-<host>-<random>`` in the usual temporary folder, removed on
    every way out of the block; folders of killed processes are swept the next time. Blocks are
    serialized: ``tempfile.tempdir`` is process-wide.
    """
    with _TEMPDIR_LOCK:
        base = Path(tempfile.gettempdir())
        _sweep_scratch(base)
        folder = Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-{_host_tag()}-", dir=base))
        saved = tempfile.tempdir
        tempfile.tempdir = str(folder)
        try:
            yield folder
        finally:
            tempfile.tempdir = saved
            shutil.rmtree(folder, ignore_errors=True)
