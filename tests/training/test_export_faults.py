"""Unlucky and hostile exports/imports: HDF5 that hangs the library, a full disk, Ctrl+C, kill -9, names, modes."""

import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from export_helpers import names, probs, random_net

from visualizer.core.errors import WeightsError
from visualizer.training import export as export_mod
from visualizer.training.export import export_weights, import_weights, keras_model_from

ROOT = Path(__file__).resolve().parents[2]
ALL_FORMATS = ["npz", "json", "keras", "weights.h5", "h5", "tflite"]
IMPORTABLE = ["npz", "json", "keras", "weights.h5", "h5"]
HDF5_FORMATS = ["keras", "weights.h5", "h5"]
SPIN_OFFSET = 2073  # issue 15: this byte of Keras' own .weights.h5 set to 0x02 makes HDF5 spin forever


def _one_line(message: str) -> None:
    assert "\n" not in message and "\r" not in message and "Traceback" not in message


def _run_python(script: str, *args, timeout=180) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, timeout=timeout,
        env=env, cwd=ROOT,
    )


CHILDREN = """
import os
def children():
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
            found.append(pid)
    return found
"""


# -------------------------------------------------------------------- HDF5 that makes h5py spin


@pytest.fixture
def spinning_h5(tmp_path):
    """The issue's file: a .weights.h5 written by Keras itself, with byte 2073 set to 0x02."""
    written = tmp_path / "keras.weights.h5"
    keras_model_from(random_net()).save_weights(written)
    data = bytearray(written.read_bytes())
    data[SPIN_OFFSET] = 2
    written.unlink()
    bad = tmp_path / "spin.weights.h5"
    bad.write_bytes(bytes(data))
    return bad


def _as_keras(spinning_h5: Path) -> Path:
    good = export_weights(random_net(), spinning_h5.with_name("good.keras"))
    bad = spinning_h5.with_name("spin.keras")
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = spinning_h5.read_bytes() if info.filename == "model.weights.h5" else zin.read(info)
            zout.writestr(info.filename, data)
    return bad


@pytest.mark.parametrize("container", ["weights.h5", "keras"])
def test_hdf5_that_makes_the_library_spin_gives_one_line_in_time(spinning_h5, container):
    path = spinning_h5 if container == "weights.h5" else _as_keras(spinning_h5)
    script = CHILDREN + """
import sys
from visualizer.training import h5child
from visualizer.training.export import import_weights
h5child.PARSE_TIMEOUT = 2
try:
    import_weights(sys.argv[1])
except Exception as exc:
    print(type(exc).__name__, exc)
print("children", len(children()))
"""
    run = _run_python(script, path)  # a regression hangs here and fails on the subprocess timeout
    assert run.stdout.splitlines() == [
        f"WeightsError Could not read weights from {path.name}: it could not be parsed within 2 s; "
        "the file is probably corrupt",
        "children 0",
    ], run.stderr


def test_ctrl_c_while_hdf5_spins_kills_the_parser(spinning_h5):
    script = CHILDREN + """
import sys
from visualizer.training import h5child
from visualizer.training.export import import_weights
h5child.PARSE_TIMEOUT = 120
try:
    import_weights(sys.argv[1])
except KeyboardInterrupt:
    print("interrupted; children", len(children()))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script, str(spinning_h5)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not _has_child(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _has_child(proc.pid), "the HDF5 parser never started"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert out.splitlines() == ["interrupted; children 0"], err


def _has_child(pid: int) -> bool:
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            return True
    return False


# --------------------------------------------------------------------------------- a full disk


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KB tmpfs, nearly filled, holding one precious file per format."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a 64 KB tmpfs needs root and mount(8)")
    run = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        pytest.skip(f"cannot mount a 64 KB tmpfs here: {run.stderr.strip()}")
    try:
        for ext in ALL_FORMATS:
            (disk / f"keep.{ext}").write_bytes(b"precious")
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
        try:  # fill up, then leave 16 KB free
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        os.truncate(disk / "filler", max(os.path.getsize(disk / "filler") - (16 << 10), 0))
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


@pytest.mark.parametrize("ext", ALL_FORMATS)
def test_full_disk_fails_with_one_line_and_keeps_the_old_file(tiny_disk, ext):
    before = names(tiny_disk)
    with pytest.raises(WeightsError, match=f"Could not export to keep.{ext}: No space left on device") as err:
        export_weights(random_net((64,)), tiny_disk / f"keep.{ext}")
    _one_line(str(err.value))
    assert (tiny_disk / f"keep.{ext}").read_bytes() == b"precious"
    assert names(tiny_disk) == before


def _fail_temp_writes(monkeypatch, exc_type, after=1000):
    """os.write into one of nnviz's temp files writes ``after`` bytes, then raises ``exc_type``."""
    real_write = os.write
    written = {}

    def write(fd, data):
        if ".tmp" not in os.readlink(f"/proc/self/fd/{fd}"):
            return real_write(fd, data)
        if written.get(fd, 0) >= after:
            raise exc_type(errno.ENOSPC, "No space left on device") if exc_type is OSError else exc_type()
        n = real_write(fd, bytes(data)[: after - written.get(fd, 0)])
        written[fd] = written.get(fd, 0) + n
        return n

    monkeypatch.setattr(os, "write", write)


def _precious(folder: Path, ext: str) -> Path:
    target = folder / f"keep.{ext}"
    target.write_bytes(b"precious")
    return target


def _untouched(target: Path) -> None:
    assert target.read_bytes() == b"precious"
    assert names(target.parent) == [target.name]


@pytest.mark.parametrize("ext", ALL_FORMATS)
@pytest.mark.parametrize("failure, raised", [(OSError, WeightsError), (KeyboardInterrupt, KeyboardInterrupt)])
def test_a_write_failing_midway_keeps_the_old_file_and_no_partial(tmp_path, monkeypatch, ext, failure, raised):
    target = _precious(tmp_path, ext)
    _fail_temp_writes(monkeypatch, failure)
    with pytest.raises(raised) as err:
        export_weights(random_net(), target)
    if raised is WeightsError:
        assert str(err.value) == f"Could not export to keep.{ext}: No space left on device"
    _untouched(target)


# ------------------------------------------------------------------------------------- Ctrl+C


@pytest.mark.parametrize("ext", HDF5_FORMATS)
def test_ctrl_c_inside_the_hdf5_writer_is_raised_cleanly_after_it(tmp_path, monkeypatch, ext):
    target = _precious(tmp_path, ext)
    real_write = export_mod._MemoryFile.write

    def write_then_interrupt(self, data):  # h5py calls this from C while it writes the file
        signal.raise_signal(signal.SIGINT)
        return real_write(self, data)

    monkeypatch.setattr(export_mod._MemoryFile, "write", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        export_weights(random_net(), target)
    _untouched(target)


# ------------------------------------------------------------------------ kill -9 and leftovers


def test_partial_file_of_a_killed_export_is_removed_by_the_next_one(tmp_path):
    target = tmp_path / "net.npz"
    export_weights(random_net(seed=1), target)
    before = target.read_bytes()
    script = """
import os, sys, time
from visualizer.training.export import export_weights
from export_helpers import random_net
real_write = os.write
def stuck(fd, data):
    if ".tmp" in os.readlink(f"/proc/self/fd/{fd}"):
        real_write(fd, bytes(data)[:1000])
        print("partial", flush=True)
        time.sleep(600)
    return real_write(fd, data)
os.write = stuck
export_weights(random_net(seed=2), sys.argv[1])
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(__file__).parent)])}
    with subprocess.Popen([sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True,
                          env=env, cwd=ROOT) as proc:
        try:
            assert proc.stdout.readline() == "partial\n"
        finally:
            proc.kill()  # SIGKILL: no cleanup of any kind runs in the writer
    leftover = [n for n in names(tmp_path) if n != target.name]
    assert len(leftover) == 1 and leftover[0].startswith(".net.tmp")
    assert target.read_bytes() == before  # the kill never touched the target
    export_weights(random_net(seed=3), target)
    assert names(tmp_path) == [target.name]
    assert np.array_equal(probs(import_weights(target)), probs(random_net(seed=3)))


@pytest.fixture
def own_tempdir(tmp_path, monkeypatch):
    """tempfile's folder (where Keras and TensorFlow make theirs) pointed at an empty folder."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize("ext", ["keras", "weights.h5", "tflite"])
def test_keras_exports_leave_no_temporary_folders(tmp_path, own_tempdir, ext):
    export_weights(random_net(), tmp_path / f"net.{ext}")
    assert names(own_tempdir) == []


def test_failed_keras_export_leaves_no_temporary_folders(tmp_path, own_tempdir, monkeypatch):
    def save_with_assets_then_fail(self, filepath, *args, **kwargs):
        Path(tempfile.mkdtemp(), "assets").mkdir()  # what Keras' asset store does first
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(keras.Model, "save", save_with_assets_then_fail)
    with pytest.raises(WeightsError, match="simulated failure"):
        export_weights(random_net(), tmp_path / "net.keras")
    assert names(own_tempdir) == []


# ------------------------------------------------------------------ names, modes, odd file types


@pytest.mark.parametrize("ext", ALL_FORMATS)
def test_replacing_a_file_keeps_its_permissions(tmp_path, ext):
    target = tmp_path / f"private.{ext}"
    target.write_bytes(b"old")
    target.chmod(0o600)
    export_weights(random_net(), target)
    assert target.stat().st_mode & 0o777 == 0o600
    fresh = export_weights(random_net(), tmp_path / f"fresh.{ext}")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("ext", ALL_FORMATS)
def test_longest_possible_names_work(tmp_path, ext):
    target = tmp_path / ("n" * (255 - len(ext) - 1) + f".{ext}")
    export_weights(random_net(), target)
    assert names(tmp_path) == [target.name]
    if ext in IMPORTABLE:
        assert np.array_equal(probs(import_weights(target)), probs(random_net()))


def test_a_name_too_long_for_the_file_system_is_one_line(tmp_path):
    with pytest.raises(WeightsError, match="the file name is 300 bytes long; this folder allows at most 255") as err:
        export_weights(random_net(), tmp_path / ("n" * 296 + ".npz"))
    _one_line(str(err.value))
    assert names(tmp_path) == []


def test_newlines_in_names_never_make_a_multi_line_error(tmp_path):
    bad = tmp_path / "two\nlines.weights.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n then garbage")
    for action in (lambda: import_weights(bad), lambda: export_weights(random_net(), tmp_path / "no\nsuch" / "a\nb.npz")):
        with pytest.raises(WeightsError) as err:
            action()
        _one_line(str(err.value))


@pytest.mark.parametrize("ext", IMPORTABLE)
def test_fifos_and_devices_are_refused_without_blocking(tmp_path, ext):
    fifo = tmp_path / f"pipe.{ext}"
    os.mkfifo(fifo)
    device = tmp_path / f"zero.{ext}"
    device.symlink_to("/dev/zero")
    errors = []

    def try_both():
        for path in (fifo, device):
            try:
                import_weights(path)
            except WeightsError as exc:
                errors.append(str(exc))

    reader = threading.Thread(target=try_both, daemon=True)
    reader.start()
    reader.join(60)
    if reader.is_alive():  # unblock the stuck open before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("import blocked on a FIFO")
    assert len(errors) == 2 and all("not a regular file" in e for e in errors), errors


def test_a_frozen_bundle_runs_the_hdf5_reader_through_its_launcher(tmp_path, monkeypatch):
    """A PyInstaller bundle has no interpreter to start: its executable is the child, by a flag."""
    bundle = tmp_path / "nnviz"
    bundle.write_text(
        f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" "{ROOT / "packaging" / "launcher.py"}" "$@"\n'
    )
    bundle.chmod(0o755)
    path = export_weights(random_net(), tmp_path / "w.weights.h5")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle))
    assert np.array_equal(probs(import_weights(path)), probs(random_net()))
