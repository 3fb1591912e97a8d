"""`nnviz` as a user runs it: real subprocesses, real exit codes, one-line errors, JSON outputs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def nnviz(*args, cwd=None, timeout=600, **env_vars):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="3")
    for name in ("NNVIZ_DATA", "NNVIZ_DEBUG", "NNVIZ_TF_THREADS"):
        env.pop(name, None)
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "-m", "visualizer", *map(str, args)],
        cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout, env=env,
    )


def assert_one_line_error(proc, *needles):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle.lower() in lines[0].lower(), lines[0]


def test_version():
    proc = nnviz("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("nnviz ")


@pytest.mark.parametrize(
    "args, needle",
    [
        (["train", "--epochs", "0"], "epochs"),
        (["train", "--lr", "abc"], "lr"),
        (["train", "--optimizer", "rmsprop"], "optimizer"),
        (["train", "--hidden", "16,x"], "hidden"),
        (["train", "--hidden", "0"], "hidden"),
        (["train", "--out", "weights.exe", "--data", "synthetic"], "unsupported"),
        (["predict", "img.png"], "--weights"),
        (["export", "--weights", "a.npz"], "--out"),
        (["predict", "--weights", "a.npz", "--activation", "elu", "img.png"], "relu, sigmoid, tanh, linear"),
        (["predict", "--weights", "a.npz", "--preprocess", "sometimes", "img.png"], "--preprocess"),
        (["frobnicate"], "invalid choice"),
        (["train", "--train-subset", "99999999", "--data", "synthetic"], "between 1 and 10,000,000 images"),
    ],
)
def test_bad_arguments_one_line_exit_2(args, needle):
    assert_one_line_error(nnviz(*args), needle)


def _train_options():
    from visualizer.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return {opt: action for action in sub.choices["train"]._actions for opt in action.option_strings}


def test_one_vs_rest_help_says_the_hidden_layers_stay():
    """`nnviz train --one-vs-rest 6` keeps 784-16-16-1: its help said "train one sigmoid neuron"."""
    help_text = _train_options()["--one-vs-rest"].help
    assert "one sigmoid neuron" not in help_text
    assert "hidden layers stay" in help_text and "--hidden none" in help_text and "single neuron" in help_text


def test_readme_usage_block_lists_every_train_option():
    block = (ROOT / "README.md").read_text(encoding="utf-8").split("## Command line", 1)[1].split("```")[1]
    train = block[block.index("nnviz train"):block.index("nnviz predict")]
    for option in _train_options():
        if option.startswith("--") and option != "--help":
            assert option in train, option
    assert "--hidden 16,16|none" in train


def test_missing_data_path(tmp_path):
    assert_one_line_error(nnviz("train", "--data", tmp_path / "nowhere", "--epochs", "1"), "nowhere")


def test_corrupt_weights_file(tmp_path):
    bad = tmp_path / "w.npz"
    bad.write_bytes(b"not a zip at all")
    img = tmp_path / "d.png"
    img.write_bytes(b"")
    assert_one_line_error(nnviz("predict", "--weights", bad, img), "w.npz")
    assert_one_line_error(nnviz("export", "--weights", bad, "--out", tmp_path / "o.json"), "w.npz")
    assert_one_line_error(nnviz("predict", "--weights", tmp_path / "missing.npz", img), "missing.npz")


def _digit_png(path: Path, image28: np.ndarray, size=(400, 360), scale=5, at=(20, 30), invert=False):
    """Render a 28x28 digit large, off-center, dark-on-light by default, into a PNG."""
    from PIL import Image

    big = np.kron(image28, np.ones((scale, scale)))
    canvas = np.zeros(size[::-1])
    y, x = at
    canvas[y : y + big.shape[0], x : x + big.shape[1]] = big
    pixels = canvas if invert else 1.0 - canvas
    Image.fromarray((pixels * 255).astype(np.uint8)).save(path)


def test_train_predict_export_roundtrip_on_synthetic(tmp_path):
    out = tmp_path / "w.npz"
    proc = nnviz("train", "--data", "synthetic", "--epochs", "1", "--seed", "3", "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["data_source"].lower().startswith("synthetic")
    assert summary["out"] == str(out) and out.exists()
    assert summary["train_samples"] > 0 and summary["test_samples"] > 0
    assert summary["test_accuracy"] > 0.5  # one epoch on the generated digits learns a lot
    assert summary["samples_per_second"] > 0
    assert "synthetic" in proc.stdout.lower()

    from visualizer.data.sources import load_dataset

    ds = load_dataset("synthetic")
    images = []
    for i in range(6):
        img = tmp_path / f"digit{i}.png"
        _digit_png(img, ds.x_test[i].reshape(28, 28), invert=bool(i % 2), at=(10 + 15 * i, 5 + 20 * i))
        images.append(img)
    blank = tmp_path / "blank.png"
    _digit_png(blank, np.zeros((28, 28)))
    proc = nnviz("predict", "--weights", out, "--json", *images, blank)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["path"] for r in rows] == [str(p) for p in [*images, blank]]
    assert rows[-1]["digit"] is None
    for row in rows[:-1]:
        assert len(row["probabilities"]) == 10
        assert abs(sum(row["probabilities"]) - 1) < 1e-4
    hits = sum(r["digit"] == int(ds.y_test[i]) for i, r in enumerate(rows[:-1]))
    assert hits >= 4, rows

    reference = [r["probabilities"] for r in rows[:-1]]
    for fmt in (".json", ".keras", ".weights.h5", ".h5"):
        converted = tmp_path / f"converted{fmt}"
        proc = nnviz("export", "--weights", out, "--out", converted)
        assert proc.returncode == 0, proc.stderr
        again = nnviz("predict", "--weights", converted, "--json", *images)
        assert again.returncode == 0, again.stderr
        assert [json.loads(line)["probabilities"] for line in again.stdout.splitlines()] == reference
    proc = nnviz("export", "--weights", out, "--out", tmp_path / "model.tflite")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "model.tflite").stat().st_size > 1000


def test_train_one_neuron_vs_the_rest_without_hidden_layer_on_a_subset():
    proc = nnviz("train", "--data", "synthetic", "--epochs", "1", "--hidden", "none", "--one-vs-rest", "6",
                 "--train-subset", "300", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["config"]["hidden"] == [] and summary["one_vs_rest"] == 6 and summary["trained_samples"] == 300
    assert 0 <= summary["test_balanced_accuracy"] <= 1 and summary["batches"] == 10
    assert "is it a 6?" in proc.stdout and "balanced accuracy" in proc.stdout and "784-1 no hidden layer" in proc.stderr
    bad = nnviz("train", "--data", "synthetic", "--one-vs-rest", "12")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--one-vs-rest" in bad.stderr


@pytest.mark.mnist
@pytest.mark.slow
def test_train_on_real_mnist_reaches_93_percent(mnist_dir, tmp_path):
    out = tmp_path / "w.npz"
    proc = nnviz("train", "--data", mnist_dir, "--epochs", "5", "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["train_samples"] == 24345 and summary["test_samples"] == 10000
    assert summary["test_accuracy"] >= 0.93, summary
    assert "MNIST" in summary["data_source"]


def test_bench_json_reports_figures_beside_baselines():
    proc = nnviz("bench", "--data", "synthetic", "--epochs", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "propagateSizeHints" not in proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    t = report["training"]
    assert t["fit_samples_per_second"] > 0 and t["trainer_samples_per_second"] > 0
    assert t["speedup"] == pytest.approx(t["trainer_samples_per_second"] / t["fit_samples_per_second"])
    assert 0 <= t["fit_test_accuracy"] <= 1 and 0 <= t["trainer_test_accuracy"] <= 1
    assert t["forward_median_us"] > 0
    pad = report["pad"]
    assert pad["dropped_points"] == 0 and pad["preprocess_forward_median_ms"] > 0
    n = report["neurons"]
    assert n["analysis_images"] == 10_000 and n["analysis_median_ms"] > 0
    assert n["dream_median_ms"] > 0 and n["fool_median_ms"] > 0 and 0 <= n["fool_succeeded"] <= 1
    assert report["data"]["source"].startswith("synthetic")
    tl = report["timeline"]
    assert tl["recording_ratio"] > 0 and tl["runfile_open_seconds"] > 0 and tl["memory_peak_ratio"] <= 1.1
    assert [tl[f"pace_{p}_achieved"] > 0 for p in (1, 10, 100, 1000)] == [True] * 4


def test_predict_reports_a_bad_image_and_still_classifies_the_rest(tmp_path):
    from PIL import Image

    from visualizer.core.network import Network
    from visualizer.core.weights_format import save_npz

    rng = np.random.default_rng(0)
    sizes = (784, 16, 10)
    weights = [rng.standard_normal((a, b)).astype(np.float32) for a, b in zip(sizes, sizes[1:], strict=False)]
    save_npz(Network.from_arrays(weights, [np.zeros(b, np.float32) for b in sizes[1:]]), tmp_path / "w.npz")
    digit = np.full((40, 40), 255, np.uint8)
    digit[8:32, 18:22] = 0
    Image.fromarray(digit).save(tmp_path / "one.png")
    nan = np.zeros((40, 40), np.float32)
    nan[0, 0] = np.nan
    Image.fromarray(nan, mode="F").save(tmp_path / "nan.tif")
    proc = nnviz("predict", "--weights", tmp_path / "w.npz", "--json", tmp_path / "nan.tif", tmp_path / "one.png")
    assert_one_line_error(proc, "nan.tif")
    assert [json.loads(line)["path"] for line in proc.stdout.splitlines()] == [str(tmp_path / "one.png")]


def test_train_out_onto_a_folder_fails_before_training(tmp_path):
    folder = tmp_path / "weights.npz"
    folder.mkdir()
    proc = nnviz("train", "--data", "synthetic", "--epochs", "1", "--out", folder)
    assert_one_line_error(proc, "weights.npz", "folder")  # one line: no minutes of training first
    assert not list(folder.iterdir())


def test_train_summary_values_line_up_for_a_holdout_test_set(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "train_only.npz"
    np.savez(data, x_train=rng.integers(0, 256, (200, 784), dtype=np.uint8), y_train=rng.integers(0, 10, 200))
    proc = nnviz("train", "--data", data, "--epochs", "1")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split(":", 1) for line in proc.stdout.splitlines()]
    labels = [label for label, _ in rows]
    assert labels == [
        "data source", "task", "train samples", "holdout samples", "holdout accuracy", "holdout balanced accuracy",
        "speed", "weights",
    ]
    columns = {len(line) - len(line.split(":", 1)[1].lstrip()) for line in proc.stdout.splitlines()}
    assert len(columns) == 1, proc.stdout  # every value starts in the same column ...
    assert all(value.startswith("  ") for _, value in rows), proc.stdout  # ... after a clear gap


def test_predict_with_overflowing_weights_is_an_error_not_nan_json(tmp_path):
    from PIL import Image

    from visualizer.core.network import Network
    from visualizer.core.weights_format import save_npz

    sizes = (784, 16, 10)
    huge = [np.full((a, b), 3e38, np.float32) for a, b in zip(sizes, sizes[1:], strict=False)]  # finite, valid
    save_npz(Network.from_arrays(huge, [np.zeros(b, np.float32) for b in sizes[1:]]), tmp_path / "w.npz")
    digit = np.full((40, 40), 255, np.uint8)
    digit[8:32, 18:22] = 0
    Image.fromarray(digit).save(tmp_path / "one.png")
    proc = nnviz("predict", "--weights", tmp_path / "w.npz", "--json", tmp_path / "one.png")
    assert_one_line_error(proc, "one.png", "weights")
    assert "NaN" not in proc.stdout


def test_divergence_saves_the_last_good_weights_and_says_so(tmp_path, monkeypatch):
    """A NaN loss stops `nnviz train` with exit 2, and --out still gets the last finite weights."""
    from visualizer import commands
    from visualizer.cli import main
    from visualizer.data.dataset import Dataset
    from visualizer.training.export import import_weights

    rng = np.random.default_rng(0)
    x = rng.random((64, 784), dtype=np.float32)
    x[::2, 0] = np.inf  # validation would refuse such a file; this is how a run can still diverge
    y = rng.integers(0, 10, 64).astype(np.uint8)
    broken = Dataset(x, y, x[1::2], y[1::2], source="broken test digits", kind="synthetic")
    monkeypatch.setattr(commands, "resolve_dataset", lambda spec, **kw: broken)
    out = tmp_path / "kept.npz"
    code = main(["train", "--batch-size", "1", "--epochs", "1", "--out", str(out)])
    assert code == 2
    kept = import_weights(out)
    assert all(np.isfinite(w).all() for w in kept.weights)


def _random_network(hidden=(16,), activation="relu", seed=0):
    from visualizer.core.network import Network

    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 10)
    return Network.from_arrays([rng.normal(0, 0.3, (a, b)) for a, b in zip(sizes, sizes[1:], strict=False)],
                               [rng.normal(0, 0.1, b) for b in sizes[1:]], activation)


def _keras_weights_file(path, net):
    """What Keras 3's save_weights writes for a Sequential of Dense layers (no activations in it)."""
    import h5py

    with h5py.File(path, "w") as f:
        for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            variables = f.create_group(f"layers/{'dense' if i == 0 else f'dense_{i}'}/vars")
            variables.attrs["name"] = f"dense_{i + 1}"
            variables["0"], variables["1"] = w, b
        f.create_group("vars")
    return path


def test_a_foreign_weights_file_needs_activation_and_then_predicts_with_it(tmp_path):
    from PIL import Image

    net = _random_network((12,), "tanh")
    weights = _keras_weights_file(tmp_path / "foreign.weights.h5", net)
    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 12:16] = 255
    Image.fromarray(digit).save(tmp_path / "one.png")
    proc = nnviz("predict", "--weights", weights, tmp_path / "one.png")
    assert_one_line_error(proc, "foreign.weights.h5", "stores no activations", "nnviz never guesses them",
                          "--activation")
    proc = nnviz("predict", "--weights", weights, "--activation", "tanh", "--json", tmp_path / "one.png")
    assert proc.returncode == 0, proc.stderr
    assert "the hidden activations are the ones given (tanh)" in proc.stderr
    np.testing.assert_allclose(json.loads(proc.stdout)["probabilities"], net.probabilities(digit / 255), atol=1e-6)
    # Exported by nnviz, the activation travels with the file.
    proc = nnviz("export", "--weights", weights, "--activation", "tanh", "--out", tmp_path / "ours.weights.h5")
    assert proc.returncode == 0 and "784-12-10 tanh" in proc.stdout, proc.stderr
    again = nnviz("predict", "--weights", tmp_path / "ours.weights.h5", "--json", tmp_path / "one.png")
    assert again.returncode == 0 and again.stderr == "", again.stderr
    np.testing.assert_allclose(json.loads(again.stdout)["probabilities"], net.probabilities(digit / 255), atol=1e-6)


def test_predict_feeds_mnist_format_digits_as_they_are(tmp_path):
    from PIL import Image

    from visualizer.core.preprocess import preprocess
    from visualizer.core.weights_format import save_npz

    net = _random_network()
    save_npz(net, tmp_path / "w.npz")
    digit = np.zeros((28, 28), np.uint8)
    digit[3:17, 4:9] = 200  # a stroke off-center: preprocessing would move and stretch it
    Image.fromarray(digit).save(tmp_path / "mnist.png")
    Image.fromarray(np.kron(digit, np.ones((3, 3), np.uint8))).save(tmp_path / "large.png")
    fed = {}
    for mode in ("auto", "always", "never"):
        proc = nnviz("predict", "--weights", tmp_path / "w.npz", "--preprocess", mode, "--json", tmp_path / "mnist.png")
        assert proc.returncode == 0, proc.stderr
        fed[mode] = json.loads(proc.stdout)
    as_is = net.probabilities(digit / 255)
    prepared = net.probabilities(preprocess(digit).vector)
    assert not np.allclose(as_is, prepared, atol=1e-3)
    for mode, expected in (("auto", as_is), ("never", as_is), ("always", prepared)):
        np.testing.assert_allclose(fed[mode]["probabilities"], expected, atol=1e-6)
        assert fed[mode]["preprocessed"] is (mode == "always")
    proc = nnviz("predict", "--weights", tmp_path / "w.npz", "--json", tmp_path / "large.png")
    assert json.loads(proc.stdout)["preprocessed"] is True  # not 28x28: preprocessed like the pad
    assert_one_line_error(nnviz("predict", "--weights", tmp_path / "w.npz", "--preprocess", "never",
                                tmp_path / "large.png"), "large.png", "84x84", "28x28", "--preprocess never")


@pytest.mark.parametrize("args, needle", [
    (("bench", "--hidden", "16,16"), "add --gui"),
    (("bench", "--gui", "--hidden", "16,x"), "hidden layers"),
    (("bench", "--gui", "--hidden", "2048"), "between 1 and 1024"),
])
def test_bench_hidden_refuses_bad_arguments_in_one_line(args, needle):
    assert_one_line_error(nnviz(*args, timeout=120), needle)
