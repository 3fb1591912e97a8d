"""`nnviz` refuses what would lose work before doing any, and its output never crashes the command."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_cli import ROOT, assert_one_line_error, nnviz


def _digits_npz(path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(path, x_train=rng.integers(0, 256, (200, 784), dtype=np.uint8), y_train=rng.integers(0, 10, 200))


def _weights_and_images(folder: Path, names: list[str]) -> tuple[Path, list[Path]]:
    from PIL import Image

    from visualizer.core.network import Network
    from visualizer.core.weights_format import save_npz

    rng = np.random.default_rng(0)
    sizes = (784, 16, 10)
    weights = [rng.standard_normal((a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    save_npz(Network.from_arrays(weights, [np.zeros(b, np.float32) for b in sizes[1:]]), folder / "w.npz")
    digit = np.full((40, 40), 255, np.uint8)
    digit[8:32, 18:22] = 0
    images = [folder / name for name in names]
    for image in images:
        Image.fromarray(digit).save(image)
    return folder / "w.npz", images


def test_out_that_is_the_data_file_is_refused(tmp_path):
    data = tmp_path / "digits.npz"
    _digits_npz(data)
    before = data.read_bytes()
    assert_one_line_error(nnviz("train", "--data", data, "--out", data), "digits.npz", "dataset")
    os.link(data, tmp_path / "w.npz")  # another name, the same file (one inode)
    assert_one_line_error(nnviz("train", "--data", data, "--out", tmp_path / "w.npz"), "dataset")
    assert data.read_bytes() == before


def test_out_that_is_a_file_the_data_folder_provides_is_refused(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    _digits_npz(folder / "mnist.npz")
    before = (folder / "mnist.npz").read_bytes()
    assert_one_line_error(nnviz("train", "--data", folder, "--out", folder / "mnist.npz"), "mnist.npz")
    assert_one_line_error(nnviz("train", "--out", folder / "mnist.npz", NNVIZ_DATA=str(folder)), "mnist.npz")
    assert (folder / "mnist.npz").read_bytes() == before


def _folder_refusing_new_files(tmp_path: Path) -> Path:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    for folder in (locked, Path("/sys")):  # root ignores modes; sysfs refuses new files to everyone
        probe = folder / "nnviz-probe.npz"
        try:
            probe.touch()
        except OSError:
            return folder
        probe.unlink()
    pytest.skip("no folder here refuses new files")


def test_out_in_a_folder_that_cannot_be_written_fails_before_training(tmp_path):
    folder = _folder_refusing_new_files(tmp_path)
    proc = nnviz("train", "--data", "synthetic", "--epochs", "1", "--out", folder / "w.npz")
    assert_one_line_error(proc, "w.npz", "cannot write")  # one line: no data loaded, nothing trained


def test_out_name_too_long_for_the_file_system_fails_before_training(tmp_path):
    proc = nnviz("train", "--data", "synthetic", "--out", tmp_path / ("w" * 300 + ".npz"))
    assert_one_line_error(proc, "too long", "304 characters")


@pytest.mark.parametrize("value", ["100000,100000", "4", "two,three", "-1,1"])
def test_tf_threads_setting_out_of_range_is_one_line(value):
    proc = nnviz("train", "--data", "synthetic", "--epochs", "1", NNVIZ_TF_THREADS=value)
    assert_one_line_error(proc, "NNVIZ_TF_THREADS", "0 to 256")


def test_tf_threads_setting_accepts_pairs_in_range(monkeypatch):
    from visualizer.training.tfenv import thread_setting

    monkeypatch.setenv("NNVIZ_TF_THREADS", " 2,0 ")
    assert thread_setting() == (2, 0)
    monkeypatch.setenv("NNVIZ_TF_THREADS", "")
    assert thread_setting() == (1, 1)


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["text", "json"])
def test_predict_into_a_closed_pipe_exits_141_quietly(tmp_path, json_flag):
    """`nnviz predict ... | head`: the reader left; no BrokenPipeError traceback, the shell's 141."""
    weights, images = _weights_and_images(tmp_path, ["a.png", "b.png", "c.png"])
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen(
        [sys.executable, "-m", "visualizer", "predict", "--weights", str(weights), *json_flag, *map(str, images)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    proc.stdout.close()  # like `| true`: every write nnviz makes finds the pipe closed
    stderr = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141
    assert stderr == ""


def test_names_the_terminal_cannot_encode_are_escaped_not_a_crash(tmp_path):
    weights, images = _weights_and_images(tmp_path, ["zähler.png"])
    proc = nnviz("predict", "--weights", weights, images[0], tmp_path / "fehlt-ö.png", PYTHONIOENCODING="ascii")
    assert_one_line_error(proc, "fehlt-\\xf6.png")  # the missing image: exit 2, the others still done
    assert "z\\xe4hler.png: " in proc.stdout


def test_a_bug_is_one_line_and_our_messages_stay_on_one_line(monkeypatch, capsys):
    from visualizer import commands
    from visualizer.cli import main
    from visualizer.core.errors import WeightsError

    monkeypatch.delenv("NNVIZ_DEBUG", raising=False)
    monkeypatch.delenv("NNVIZ_TF_THREADS", raising=False)
    args = ["predict", "--weights", "w.npz", "a.png"]

    def bug(_args):
        raise RuntimeError("first line\nsecond line")

    monkeypatch.setattr(commands, "cmd_predict", bug)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err == "nnviz: internal error: RuntimeError: first line second line (set NNVIZ_DEBUG=1 for details)\n"

    def bad_file(_args):
        raise WeightsError("w\nx.npz: not a weights file")

    monkeypatch.setattr(commands, "cmd_predict", bad_file)
    assert main(args) == 2
    assert capsys.readouterr().err == "nnviz: error: w x.npz: not a weights file\n"
