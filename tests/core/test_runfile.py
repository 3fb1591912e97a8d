"""Run files: exact round trip, atomic writes, one clear error for corrupt, truncated, foreign or newer files."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile

import numpy as np
import pytest
from timeline_helpers import feed, started

from visualizer.core.config import TrainingConfig
from visualizer.core.errors import NnvizError, RunFileError
from visualizer.core.runfile import find_moment, is_run_file, load_run, metrics_csv, save_run, write_metrics_csv

CONFIG = TrainingConfig(hidden=(2,), batch_size=16, epochs=3)


@pytest.fixture
def timeline():
    tl = started(40, keep_first=5)  # small budget: the recording is thinned, stride > 1
    feed(tl, 150, per_epoch=50, every_row=False, trainer_like=True)
    return tl


@pytest.fixture
def run_path(tmp_path, timeline):
    return save_run(tmp_path / "run.nnvizrun", timeline, CONFIG, dataset_name="MNIST",
                    dataset_description="MNIST (IDX files in mnist/): 150 training images")


def _same_state(a, b):
    with a.export() as (ha, aa, ra), b.export() as (hb, ab, rb):
        assert ha == hb
        assert aa.keys() == ab.keys()
        for key in aa:
            assert aa[key].dtype == ab[key].dtype
            np.testing.assert_array_equal(aa[key], ab[key])
        assert len(ra) == len(rb)
        for x, y in zip(ra, rb, strict=True):
            np.testing.assert_array_equal(x, y)


def test_round_trip_is_exact(run_path, timeline):
    run = load_run(run_path)
    assert run.config == CONFIG and run.dataset_name == "MNIST" and "150 training" in run.dataset_description
    assert run.written_by.startswith("nnviz ")
    assert timeline.stride > 1
    _same_state(run.timeline, timeline)
    assert run.timeline.budget == timeline.budget and run.timeline.stride == timeline.stride
    np.testing.assert_array_equal(run.timeline.epoch_end_steps(), [50, 100, 150])
    for step in run.timeline.steps():
        assert np.all(run.timeline.moment_at(step).network.weights[0] == step)


def test_an_opened_run_can_be_continued(run_path):
    tl = load_run(run_path).timeline
    tl.extend(tl.latest.network, 150)
    feed(tl, 10, per_epoch=10, trainer_like=True)
    assert tl.latest.step == 160 and tl.latest.epoch_float == pytest.approx(4.0) and tl.latest.epoch == 3


def test_saving_replaces_the_file_atomically(run_path, timeline, monkeypatch):
    before = run_path.read_bytes()

    def broken(tmp, *args):
        tmp.write_bytes(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("visualizer.core.runfile._write", broken)
    with pytest.raises(RunFileError, match="cannot write run file run.nnvizrun: No space left"):
        save_run(run_path, timeline, CONFIG, dataset_name="MNIST")
    assert run_path.read_bytes() == before
    assert [p.name for p in run_path.parent.iterdir()] == ["run.nnvizrun"], "a temporary file was left behind"


def test_an_empty_timeline_is_not_saved(tmp_path):
    from visualizer.core.timeline import Timeline

    with pytest.raises(RunFileError, match="nothing is recorded"):
        save_run(tmp_path / "x.nnvizrun", Timeline(), CONFIG, dataset_name="MNIST")
    assert not (tmp_path / "x.nnvizrun").exists()


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _rewrite(path, members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> None:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _with_header(path, change) -> None:
    members = _members(path)
    header = json.loads(np.load(io.BytesIO(members["header.npy"])).tobytes())
    change(header)
    members["header.npy"] = _npy(np.frombuffer(json.dumps(header).encode(), np.uint8))
    _rewrite(path, members)


def test_a_newer_version_says_so(run_path):
    _with_header(run_path, lambda h: h.update(version=2))
    with pytest.raises(RunFileError, match=r"run.nnvizrun has format version 2; this nnviz reads version 1 "
                                           r"\(it was written by a newer nnviz\)"):
        load_run(run_path)


def test_another_format_is_foreign(run_path):
    _with_header(run_path, lambda h: h.update(format="something-else"))
    with pytest.raises(RunFileError, match="is not an nnviz run file"):
        load_run(run_path)


@pytest.mark.parametrize("content", [b"", b"hello, not a run\n", b"PK\x03\x04" + b"\0" * 40])
def test_foreign_bytes_are_refused(tmp_path, content):
    path = tmp_path / "foreign.nnvizrun"
    path.write_bytes(content)
    with pytest.raises(RunFileError, match="foreign.nnvizrun"):
        load_run(path)
    assert not is_run_file(path)


def test_a_weights_npz_is_not_a_run(tmp_path):
    path = tmp_path / "weights.npz"
    np.savez(path, W1=np.zeros((784, 2), np.float32), b1=np.zeros(2, np.float32))
    with pytest.raises(RunFileError, match="weights.npz is not an nnviz run file"):
        load_run(path)
    assert not is_run_file(path)


def test_is_run_file_recognises_a_run(run_path, tmp_path):
    assert is_run_file(run_path)
    assert not is_run_file(tmp_path / "missing.nnvizrun") and not is_run_file(tmp_path)


@pytest.mark.parametrize("keep", [0.5, 0.99, 100])
def test_a_truncated_file_gives_one_clear_error(run_path, keep):
    data = run_path.read_bytes()
    cut = int(len(data) * keep) if keep < 1 else keep
    run_path.write_bytes(data[:cut])
    with pytest.raises(RunFileError, match="run.nnvizrun is (damaged|truncated|not an nnviz run file)"):
        load_run(run_path)


def test_a_damaged_byte_in_the_weights_is_caught(run_path):
    data = bytearray(run_path.read_bytes())
    with zipfile.ZipFile(run_path) as zf:
        info = zf.getinfo("weights.npy")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200 + 4 * 1000
    data[at] ^= 0x40
    run_path.write_bytes(bytes(data))
    with pytest.raises(RunFileError, match="run.nnvizrun is damaged or truncated .*CRC"):
        load_run(run_path)


def test_a_header_that_promises_more_than_the_file_holds(run_path):
    _with_header(run_path, lambda h: h["counts"].update(moments=10**9))
    with pytest.raises(RunFileError, match="(truncated|would need)"):
        load_run(run_path)


def test_a_column_of_the_wrong_type_is_refused(run_path):
    members = _members(run_path)
    loss = np.load(io.BytesIO(members["loss.npy"]))
    members["loss.npy"] = _npy(loss.astype(np.float64))
    _rewrite(run_path, members)
    with pytest.raises(RunFileError, match="damaged: loss.npy holds float64"):
        load_run(run_path)


def test_an_object_array_is_never_unpickled(run_path):
    members = _members(run_path)
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    members["loss.npy"] = buf.getvalue()
    _rewrite(run_path, members)
    with pytest.raises(RunFileError, match="damaged: loss.npy holds object"):
        load_run(run_path)


def test_compressed_members_are_refused(run_path):
    _rewrite(run_path, _members(run_path), compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(RunFileError, match="compressed"):
        load_run(run_path)


def test_bad_settings_in_the_header(run_path):
    _with_header(run_path, lambda h: h["config"].update(learning_rate=-1))
    with pytest.raises(RunFileError, match="run.nnvizrun: learning rate must be greater than 0"):
        load_run(run_path)


def test_weights_with_nan_are_refused(run_path):
    members = _members(run_path)
    weights = np.load(io.BytesIO(members["weights.npy"]))
    weights[3, 7] = np.nan
    members["weights.npy"] = _npy(weights)
    _rewrite(run_path, members)
    with pytest.raises(RunFileError, match="NaN or infinite"):
        load_run(run_path)


def test_a_pipe_or_a_folder_is_refused_without_blocking(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "run.nnvizrun"
    os.mkfifo(fifo)
    with pytest.raises(RunFileError, match="not a regular file"):
        load_run(fifo)
    with pytest.raises(RunFileError, match="folder"):
        load_run(tmp_path)
    with pytest.raises(RunFileError, match="no such file"):
        load_run(tmp_path / "missing.nnvizrun")


def test_every_error_is_a_one_line_nnviz_error(run_path):
    run_path.write_bytes(b"PK\x03\x04\n\nnewlines\n")
    with pytest.raises(NnvizError) as info:
        load_run(run_path)
    assert "\n" not in str(info.value)


def test_find_moment_by_epoch_or_batch(timeline):
    assert find_moment(timeline, "0").step == 0
    assert find_moment(timeline, "2").step == 100 and find_moment(timeline, " 2 ").is_epoch_end
    assert find_moment(timeline, "b3").step == 3 and find_moment(timeline, "B150").step == 150
    thinned = next(s for s in range(6, 150) if s not in set(timeline.steps()))
    assert find_moment(timeline, f"b{thinned}").step == max(s for s in timeline.steps() if s < thinned)


@pytest.mark.parametrize("text, message", [
    ("4", "the run has 3 epochs, so there is no epoch 4"),
    ("b151", "the run has batches 0 to 150, not 151"),
    ("x", "a moment is an epoch number"),
    ("b", "a moment is an epoch number"),
    ("-1", "a moment is an epoch number"),
])
def test_find_moment_explains_what_it_cannot_find(timeline, text, message):
    with pytest.raises(RunFileError, match=message):
        find_moment(timeline, text)


def test_metrics_csv_holds_every_batch_exactly(timeline, tmp_path):
    rows = list(csv.DictReader(io.StringIO(metrics_csv(timeline))))
    metrics = timeline.metrics()
    assert len(rows) == 150 == len(metrics.step)
    assert [int(r["step"]) for r in rows] == list(range(1, 151))
    np.testing.assert_array_equal(np.array([float(r["loss"]) for r in rows], np.float32), metrics.loss)
    np.testing.assert_array_equal(np.array([float(r["accuracy"]) for r in rows], np.float32), metrics.accuracy)
    filled = [int(r["step"]) for r in rows if r["val_loss"]]
    assert filled == [50, 100, 150] and float(rows[49]["val_loss"]) == -50.0
    assert float(rows[-1]["epoch_float"]) == 3.0
    out = write_metrics_csv(tmp_path / "metrics.csv", timeline)
    assert out.read_text() == metrics_csv(timeline)


def test_an_archive_with_too_many_members_is_refused_before_it_is_parsed(run_path):
    members = _members(run_path)
    members.update({f"extra{i}.npy": b"" for i in range(100)})
    _rewrite(run_path, members)
    with pytest.raises(RunFileError, match=r"run.nnvizrun: the archive lists 1\d\d members"):
        load_run(run_path)
