"""Atomic writes: a failed save never damages the file a user already has, and leaves no litter."""

import os

import pytest

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


def test_suffix_override_for_writers_that_need_another_extension(tmp_path):
    with atomic_path(tmp_path / "net.h5", suffix=".weights.h5") as tmp:
        assert tmp.name.endswith(".weights.h5")
        tmp.write_bytes(b"x")
    assert (tmp_path / "net.h5").read_bytes() == b"x"


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
