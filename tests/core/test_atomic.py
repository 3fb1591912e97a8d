"""Atomic writes: a failed save never damages the file a user already has, and leaves no litter."""

import errno
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from visualizer.core import atomic
from visualizer.core.atomic import atomic_path, atomic_write, atomic_write_bytes, temp_name_for


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_write_bytes_creates_file_and_nothing_else(tmp_path):
    target = tmp_path / "weights.npz"
    assert atomic_write_bytes(target, b"hello") == target
    assert target.read_bytes() == b"hello"
    assert _names(tmp_path) == ["weights.npz"]


def test_write_bytes_replaces_existing_file(tmp_path):
    target = tmp_path / "w.json"
    target.write_bytes(b"old")
    atomic_write_bytes(str(target), b"new contents")
    assert target.read_bytes() == b"new contents"
    assert _names(tmp_path) == ["w.json"]


@pytest.mark.parametrize(
    "name, suffix",
    [
        ("model.keras", ".keras"),
        ("model.weights.h5", ".weights.h5"),
        ("run.v2.npz", ".v2.npz"),
        ("plain", ""),
    ],
)
def test_temp_name_keeps_suffixes_and_folder(tmp_path, name, suffix):
    tmp = temp_name_for(tmp_path / name)
    assert tmp.parent == tmp_path
    assert tmp.name.startswith(".") and ".tmp" in tmp.name
    assert tmp.name.endswith(suffix)
    assert tmp != temp_name_for(tmp_path / name)  # unguessable, fresh each time


def test_failing_writer_leaves_existing_target_and_no_temp(tmp_path):
    target = tmp_path / "model.keras"
    target.write_bytes(b"the user's good model")

    def half_then_crash(tmp):
        tmp.write_bytes(b"half a mod")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        atomic_write(target, half_then_crash)
    assert target.read_bytes() == b"the user's good model"
    assert _names(tmp_path) == ["model.keras"]


def test_interrupt_inside_block_also_cleans_up(tmp_path):
    target = tmp_path / "a.json"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("{")
            raise KeyboardInterrupt
    assert _names(tmp_path) == []


def test_writer_that_creates_nothing_is_an_error(tmp_path):
    target = tmp_path / "w.npz"
    target.write_bytes(b"keep")
    with pytest.raises(FileNotFoundError):
        atomic_write(target, lambda tmp: None)
    assert target.read_bytes() == b"keep"
    assert _names(tmp_path) == ["w.npz"]


def test_failed_rename_removes_temp(tmp_path):
    target = tmp_path / "occupied.npz"
    target.mkdir()  # a folder cannot be replaced by a file
    (target / "inside").write_text("x")
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"data")
    assert _names(tmp_path) == ["occupied.npz"]
    assert os.listdir(target) == ["inside"]


def test_missing_folder_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        atomic_write_bytes(tmp_path / "nope" / "w.npz", b"x")
    assert _names(tmp_path) == []


# ------------------------------------------------------------- names that fit, modes that stay


@pytest.mark.parametrize("ext", [".npz", ".weights.h5", ".keras"])
@pytest.mark.parametrize("letter", ["n", "é", "数"])
def test_temp_name_fits_for_every_target_name_that_fits(tmp_path, ext, letter):
    stem = letter * 300
    while len(os.fsencode(stem + ext)) > 255:
        stem = stem[:-1]
    target = tmp_path / (stem + ext)
    tmp = temp_name_for(target)
    assert len(os.fsencode(tmp.name)) <= 255 and tmp.name.endswith(ext)
    atomic_write_bytes(target, b"x")
    assert _names(tmp_path) == [target.name]


def test_target_name_too_long_is_refused_before_writing(tmp_path):
    with pytest.raises(OSError) as err:
        atomic_write_bytes(tmp_path / ("n" * 300 + ".npz"), b"x")
    assert err.value.errno == errno.ENAMETOOLONG and "304 bytes long" in str(err.value)
    assert _names(tmp_path) == []


def test_replacing_keeps_the_old_files_permissions(tmp_path):
    target = tmp_path / "secret.json"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write_bytes(target, b"new")
    assert target.stat().st_mode & 0o777 == 0o640
    fresh = atomic_write_bytes(tmp_path / "fresh.json", b"new")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask


def test_enospc_midway_removes_the_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "w.npz"
    target.write_bytes(b"keep")
    real_write = os.write
    calls = []

    def write(fd, data):
        calls.append(fd)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, bytes(data)[:10])

    monkeypatch.setattr(os, "write", write)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(target, b"0123456789" * 100)
    assert target.read_bytes() == b"keep"
    assert _names(tmp_path) == ["w.npz"]


# ------------------------------------------------------------------- leftovers of killed writers


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def live_pid():
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]) as proc:
        yield proc.pid
        proc.kill()


def test_sweep_removes_only_abandoned_temp_files_of_this_target(tmp_path, live_pid):
    host, dead = atomic._host_tag(), _dead_pid()
    old = time.time() - 2 * 86400
    files = {
        f".net.tmp{dead}-{host}-0123abcd.keras": "gone",  # its writer was killed
        f".net.tmp{live_pid}-{host}-0123abcd.keras": "kept",  # a concurrent writer
        f".net.tmp{dead}-000000-0123abcd.keras": "kept",  # another machine's writer
        ".net.tmp0123456789abcdef.keras": "kept",  # an older nnviz's, maybe still writing
        ".net.tmpfedcba9876543210.keras": "old",  # an older nnviz's, untouched for two days
        f".other.tmp{dead}-{host}-0123abcd.keras": "kept",  # another target's
        f".net.tmp{dead}-{host}-0123abcd.npz": "kept",  # net.npz's, not net.keras's
        ".net.keras.swp": "kept",  # not ours at all
    }
    for name, fate in files.items():
        (tmp_path / name).write_bytes(b"partial")
        if fate == "old":
            os.utime(tmp_path / name, (old, old))
    atomic_write_bytes(tmp_path / "net.keras", b"complete")
    expected = sorted(["net.keras", *(n for n, fate in files.items() if fate == "kept")])
    assert _names(tmp_path) == expected


def test_private_tempdir_is_removed_on_every_exit_and_swept_after_a_kill(tmp_path, monkeypatch, live_pid):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    host = atomic._host_tag()
    (tmp_path / f"nnviz-scratch-{_dead_pid()}-{host}-abc").mkdir()  # left by a killed export
    (tmp_path / f"nnviz-scratch-{live_pid}-{host}-abc").mkdir()  # another export, still running
    (tmp_path / "someone-elses").mkdir()
    with pytest.raises(RuntimeError), atomic.private_tempdir() as folder:
        assert tempfile.gettempdir() == str(folder)
        Path(tempfile.mkdtemp(), "assets").mkdir()
        raise RuntimeError("library failed")
    assert tempfile.gettempdir() == str(tmp_path)
    assert _names(tmp_path) == sorted([f"nnviz-scratch-{live_pid}-{host}-abc", "someone-elses"])
