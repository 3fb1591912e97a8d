"""Run files from the command line: `train --record`, `export --at`, metrics CSV, `nnviz FILE`; bad files are one line."""

from __future__ import annotations

import csv
import io
import json
import signal
import zipfile

import numpy as np
import pytest
from test_cli import assert_one_line_error, nnviz
from test_cli_signals import Run, assert_clean

from visualizer.core.runfile import load_run, save_run

EPOCHS = 2
BATCHES_PER_EPOCH = 375  # the 12,000 synthetic training images at batch size 32


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """One recorded run, with its --out weights and the JSON summary."""
    folder = tmp_path_factory.mktemp("recorded")
    run, weights = folder / "run.nnvizrun", folder / "w.npz"
    proc = nnviz("train", "--data", "synthetic", "--epochs", EPOCHS, "--record", run, "--out", weights, "--json")
    assert proc.returncode == 0, proc.stderr
    return run, weights, json.loads(proc.stdout.strip().splitlines()[-1])


def _weights_of(path):
    from visualizer.training.export import import_weights

    net = import_weights(path)
    return list(net.weights) + list(net.biases)


def _assert_same_network(path, network):
    for got, want in zip(_weights_of(path), list(network.weights) + list(network.biases), strict=True):
        np.testing.assert_array_equal(got, want)


def test_record_writes_a_run_file_with_every_batch(recorded):
    path, weights, summary = recorded
    run = load_run(path)
    batches = EPOCHS * BATCHES_PER_EPOCH
    assert summary["batches"] == batches and summary["record"] == str(path)
    assert summary["recorded_batches"] == batches and summary["recorded_moments"] == batches + 1
    assert run.timeline.batch_count == batches and len(run.timeline) == batches + 1  # every batch and the start
    assert run.config.epochs == EPOCHS and run.config.hidden == (16, 16)
    assert run.dataset_name.lower().startswith("synthetic") and "12,000 training" in run.dataset_description
    np.testing.assert_array_equal(run.timeline.epoch_end_steps(), [BATCHES_PER_EPOCH, batches])
    _assert_same_network(weights, run.timeline.latest.network)  # --out and --record hold the same end


@pytest.mark.parametrize("at, step, says", [
    ("1", BATCHES_PER_EPOCH, "end of epoch 1"),
    ("0", 0, "the start"),
    ("b123", 123, "batch 123 "),
    (None, EPOCHS * BATCHES_PER_EPOCH, "the latest moment"),
])
def test_export_at_takes_that_moments_weights(recorded, tmp_path, at, step, says):
    path = recorded[0]
    out = tmp_path / "moment.npz"
    proc = nnviz("export", "--weights", path, *(["--at", at] if at else []), "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert says in proc.stdout, proc.stdout
    moment = load_run(path).timeline.moment_at(step)
    assert moment.step == step
    _assert_same_network(out, moment.network)


def test_export_at_a_thinned_batch_takes_the_nearest_moment_before_it(recorded, tmp_path):
    timeline = load_run(recorded[0]).timeline
    run = load_run(recorded[0])
    timeline.budget = 100 * 4 * timeline.latest.network.parameter_count  # thins the recording at once
    steps = timeline.steps()
    gaps = np.flatnonzero(np.diff(steps) > 1)
    assert len(gaps), steps
    before = int(steps[gaps[-1]])
    asked = before + 1  # recorded in full, thinned away here
    thinned = save_run(tmp_path / "thin.nnvizrun", timeline, run.config, dataset_name=run.dataset_name)
    out = tmp_path / "moment.json"
    proc = nnviz("export", "--weights", thinned, "--at", f"b{asked}", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert f"from batch {before:,} " in proc.stdout and f"nearest recorded moment before batch {asked:,}" in proc.stdout
    _assert_same_network(out, run.timeline.moment_at(before).network)


def test_metrics_csv_has_a_header_and_one_row_per_batch(recorded, tmp_path):
    out = tmp_path / "metrics.csv"
    proc = nnviz("export", "--weights", recorded[0], "--out", out)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["step", "epoch", "batch", "epoch_float", "loss", "accuracy", "val_loss", "val_accuracy"]
    assert [int(r["step"]) for r in rows] == list(range(1, EPOCHS * BATCHES_PER_EPOCH + 1))
    validated = [int(r["step"]) for r in rows if r["val_accuracy"]]
    assert validated == [BATCHES_PER_EPOCH, EPOCHS * BATCHES_PER_EPOCH]
    metrics = load_run(recorded[0]).timeline.metrics()
    np.testing.assert_array_equal(np.array([r["loss"] for r in rows], np.float32), metrics.loss)


def test_at_or_csv_with_a_weights_file_is_one_line(recorded, tmp_path):
    weights = recorded[1]
    assert_one_line_error(nnviz("export", "--weights", weights, "--at", "2", "--out", tmp_path / "x.npz"),
                          "--at", "not a run file")
    assert_one_line_error(nnviz("export", "--weights", weights, "--out", tmp_path / "m.csv"), "run file")
    proc = nnviz("export", "--weights", weights, "--out", tmp_path / "x.json")  # as before
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("at, needle", [("3", "no epoch 3"), ("b99999", "99999"), ("two", "bN")])
def test_a_moment_the_run_does_not_have_is_one_line(recorded, tmp_path, at, needle):
    out = tmp_path / "x.npz"
    assert_one_line_error(nnviz("export", "--weights", recorded[0], "--at", at, "--out", out), "--at", needle)
    assert not out.exists()


def _bad_run_files(folder, good) -> dict:
    data = good.read_bytes()
    files = {
        "garbage.nnvizrun": b"this is not a zip file\n" * 10,
        "truncated.nnvizrun": data[: len(data) // 2],
        "flipped.nnvizrun": data[:4000] + bytes([data[4000] ^ 0xFF]) + data[4001:],
    }
    with zipfile.ZipFile(folder / "foreign.nnvizrun", "w") as zf:  # a zip, but not a run file
        zf.writestr("header.npy", b"\x93NUMPY something else")
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return {name: folder / name for name in [*files, "foreign.nnvizrun"]}


def test_bad_run_files_are_one_line_in_export_and_open(recorded, tmp_path):
    for name, path in _bad_run_files(tmp_path, recorded[0]).items():
        out = tmp_path / "x.npz"
        assert_one_line_error(nnviz("export", "--weights", path, "--out", out), name)
        assert not out.exists()
        assert_one_line_error(nnviz(path, timeout=60), name)  # said before any window opens
        assert_one_line_error(nnviz("--open", path, timeout=60), name)
    assert_one_line_error(nnviz(tmp_path / "missing.nnvizrun", timeout=60), "missing.nnvizrun", "no such file")
    assert_one_line_error(nnviz(recorded[1], timeout=60), "w.npz", "not an nnviz run file")


@pytest.mark.parametrize("args, needle", [
    (["--record", "w.npz"], "--record"),
    (["--record", "metrics.csv"], "--record"),
    (["--record", "same.nnvizrun", "--out", "same.nnvizrun"], "unsupported"),
    (["--record", "nowhere/run.nnvizrun"], "does not exist"),
    (["--pace", "0"], "--pace"),
    (["--pace", "fast"], "--pace"),
])
def test_record_and_pace_are_checked_before_training(tmp_path, args, needle):
    assert_one_line_error(nnviz("train", "--data", "synthetic", *args, cwd=tmp_path), needle)
    assert not list(tmp_path.iterdir())


def test_record_and_out_must_differ(tmp_path):
    (tmp_path / "w.npz").write_bytes(b"old")
    (tmp_path / "link.nnvizrun").symlink_to(tmp_path / "w.npz")
    proc = nnviz("train", "--data", "synthetic", "--record", "link.nnvizrun", "--out", "w.npz", cwd=tmp_path)
    assert_one_line_error(proc, "--record and --out")
    assert (tmp_path / "w.npz").read_bytes() == b"old"


def test_a_paced_run_records_every_batch(tmp_path):
    path = tmp_path / "paced.nnvizrun"
    proc = nnviz("train", "--data", "synthetic", "--epochs", "1", "--batch-size", "512", "--pace", "200",
                 "--record", path, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "200 batches/s" in proc.stderr
    assert load_run(path).timeline.batch_count == json.loads(proc.stdout.splitlines()[-1])["batches"] == 24


def test_a_stopped_run_records_what_it_trained(tmp_path):
    path = tmp_path / "run.nnvizrun"
    run = Run("train", "--data", "synthetic", "--epochs", "10000", "--record", path, "--json")
    run.wait_for("epoch 1/")
    run.signal(signal.SIGTERM)
    code, stdout, stderr = run.finish()
    assert code == 128 + signal.SIGTERM, stderr
    assert_clean(stderr)
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["stopped"] and summary["record"] == str(path)
    assert load_run(path).timeline.batch_count == summary["batches"] >= BATCHES_PER_EPOCH


def test_a_run_stopped_before_its_first_batch_writes_no_run_file(tmp_path):
    path = tmp_path / "run.nnvizrun"
    run = Run("train", "--data", "synthetic", "--epochs", "10000", "--record", path, "--json")
    run.wait_for("network:")  # TensorFlow is imported and traced after this line: seconds to go
    run.signal(signal.SIGINT)
    code, stdout, stderr = run.finish()
    assert code == 130, stderr
    assert "nothing was trained" in stderr and "run.nnvizrun not written" in stderr
    assert json.loads(stdout.strip().splitlines()[-1])["record"] is None
    assert not path.exists()


def test_a_diverged_run_records_the_batches_before_the_bad_one(tmp_path, monkeypatch, capsys):
    """Paced at one batch per graph call, every batch before the one with a NaN loss is kept."""
    import re

    from visualizer import commands
    from visualizer.cli import main
    from visualizer.data.dataset import Dataset

    rng = np.random.default_rng(0)
    x = rng.random((64, 784), dtype=np.float32)
    x[40, 0] = np.inf
    y = rng.integers(0, 10, 64).astype(np.uint8)
    broken = Dataset(x, y, x[:8], y[:8], source="broken test digits", kind="synthetic")
    monkeypatch.setattr(commands, "resolve_dataset", lambda spec, **kw: broken)
    path, out = tmp_path / "run.nnvizrun", tmp_path / "kept.npz"
    code = main(["train", "--batch-size", "1", "--epochs", "1", "--pace", "30", "--record", str(path), "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    bad = int(re.search(r"diverged at epoch 1, batch (\d+)", err).group(1))
    assert f"saved to {out} and {path}" in err
    run = load_run(path)
    assert run.timeline.batch_count == bad - 1 and np.isfinite(run.timeline.metrics().loss).all()
    _assert_same_network(out, run.timeline.latest.network)


# --- `nnviz FILE`: the parsing, and the hand-over to the window (without one) ----------------------
def test_a_leading_file_means_open_it():
    from visualizer.cli import parse_args

    assert parse_args(["run.nnvizrun"]).open == "run.nnvizrun"
    assert parse_args(["--data", "synthetic", "runs/latest"]).open == "runs/latest"
    assert parse_args(["--open", "run"]).open == "run"
    args = parse_args(["train", "--record", "run.nnvizrun"])
    assert args.open is None and args.command == "train" and args.record == "run.nnvizrun"
    assert parse_args([]).open is None


@pytest.mark.parametrize("argv", [["trian"], ["--open", "run.nnvizrun", "train"], ["--self-test", "run.nnvizrun"]])
def test_a_mistyped_command_or_a_file_with_a_command_is_a_usage_error(argv, capsys):
    from visualizer.cli import parse_args

    with pytest.raises(SystemExit) as exc:
        parse_args(argv)
    assert exc.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_good_run_file_goes_to_the_window_and_a_bad_one_never_does(recorded, tmp_path, monkeypatch, capsys):
    from visualizer import cli

    calls = []
    monkeypatch.setattr("visualizer.app.run_app", lambda **kwargs: calls.append(kwargs) or 0)
    assert cli.main([str(recorded[0])]) == 0
    assert calls == [{"data": None, "open_run": str(recorded[0])}]
    bad = tmp_path / "bad.nnvizrun"
    bad.write_bytes(recorded[0].read_bytes()[:1000])
    assert cli.main(["--open", str(bad)]) == 2
    assert len(calls) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("nnviz: error: run file bad.nnvizrun"), err
