"""Checks on an output path before any work: a writable folder, not a folder, not one of the inputs."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from visualizer.core.errors import ConfigError
from visualizer.core.safeio import one_line


def check_out_path(out: str | None, *, data: str | None = None) -> None:
    """Fail before minutes of work when ``--out`` cannot be written, or is one of ``data``'s files.

    Raises ConfigError (WeightsError for an unknown extension) with one line naming the problem.
    """
    from visualizer.core.weights_format import detect_format

    if out is None:
        return
    detect_format(out)
    try:
        target = Path(out).expanduser().resolve()
        is_dir, parent_is_dir = target.is_dir(), target.parent.is_dir()
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise ConfigError(_too_long(Path(out))) from None
        raise ConfigError(f"--out {out}: {(exc.strerror or 'cannot be used').lower()}") from None
    if is_dir:
        raise ConfigError(f"--out {out}: that is a folder; give a file name inside it")
    if not parent_is_dir:
        raise ConfigError(f"--out {out}: the folder {target.parent.name or target.parent} does not exist")
    if data is not None:
        for source in _dataset_files(data):
            if same_file(target, source):
                raise ConfigError(f"--out {out}: that is the dataset's file {source.name}; "
                                  "save the weights under another name")
    _check_writable(target, out)


def _dataset_files(spec: str) -> list[Path]:
    """Files reading ``--data spec`` may open: the file itself, and its partners in the folder
    (IDX files bring the other IDX files, a CSV its train/test partner). A folder: every dataset
    file in it. This is wider than what the loader ends up reading (an .npz beside IDX files is
    not read), which only means such an --out is refused too; nothing is overwritten by mistake."""
    from visualizer.data.idx import IDX_NAME
    from visualizer.data.sources import SYNTHETIC

    def is_idx(p: Path) -> bool:
        return bool(IDX_NAME.match(p.name))

    def is_csv(p: Path) -> bool:
        return p.name.lower().endswith((".csv", ".csv.gz"))

    def is_npz(p: Path) -> bool:
        return p.name.lower().endswith(".npz")

    if spec.strip().lower() == SYNTHETIC:
        return []
    path = Path(spec).expanduser()
    if path.is_dir():
        folder, kinds = path, (is_idx, is_csv, is_npz)
    elif path.is_file():
        folder, kinds = path.parent, tuple(k for k in (is_idx, is_csv) if k(path))
    else:
        return []
    files = [path] if path.is_file() else []
    if kinds:
        with contextlib.suppress(OSError):
            files += [p for p in folder.iterdir() if any(k(p) for k in kinds)]
    return files


def same_file(a: Path, b: Path) -> bool:
    """True when both exist and are one file (same device and inode: links and hard links too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_writable(target: Path, shown: str) -> None:
    """Create and remove the temporary file an atomic write of ``target`` will use, so that a
    read-only folder or a name too long for the file system is reported before training."""
    from visualizer.core.atomic import temp_name_for

    probe = temp_name_for(target)
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise ConfigError(_too_long(target)) from None
        reason = (exc.strerror or "not writable").lower()
        raise ConfigError(f"--out {one_line(shown)}: cannot write in the folder "
                          f"{target.parent.name or target.parent} ({reason})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def _too_long(target: Path) -> str:
    from visualizer.core.atomic import temp_name_for

    try:
        limit = os.pathconf(target.parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = 255
    extra = len(temp_name_for(target).name) - len(target.name)  # the file is first written under this name
    shown = target.name if len(target.name) <= 40 else target.name[:40] + "…"
    return (f"--out {one_line(shown)}: the file name is too long ({len(target.name)} characters; "
            f"at most {limit - extra} here, as the file is first written under a name {extra} longer)")
