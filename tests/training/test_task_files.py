"""A trained one-digit-vs-the-rest network and a network without hidden layers survive every export
format, keep their task ("is it a 6?"), train on from the imported file and answer in `nnviz predict`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ConfigError, WeightsError
from visualizer.core.snapshot import TrainingSnapshot
from visualizer.training.export import export_weights, import_model
from visualizer.training.tfenv import import_keras
from visualizer.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ("npz", "json", "weights.h5", "keras", "h5")


def _trained(config, data):
    return Trainer(config, data).run(lambda _snap: None).snapshot.network


@pytest.fixture(scope="module")
def networks(make_data):
    data = make_data(n_train=120, n_test=40)
    small = dict(epochs=1, batch_size=16)
    return {
        "784-1 is it a 6?": _trained(TrainingConfig(hidden=(), one_vs_rest=6, **small), data),
        "784-4-1 is it a 3?": _trained(TrainingConfig(hidden=(4,), activation="tanh", one_vs_rest=3, **small), data),
        "784-10 no hidden": _trained(TrainingConfig(hidden=(), **small), data),
    }


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("name", ["784-1 is it a 6?", "784-4-1 is it a 3?", "784-10 no hidden"])
def test_every_format_keeps_the_task_and_the_answers(tmp_path, networks, name, ext):
    net = networks[name]
    back = import_model(export_weights(net, tmp_path / f"model.{ext}")).network
    assert back.layer_sizes == net.layer_sizes and back.activations == net.activations
    assert back.digit == net.digit and back.question == net.question
    x = np.random.default_rng(0).random((20, 784), dtype=np.float32)
    np.testing.assert_allclose(back.probabilities(x), net.probabilities(x), rtol=1e-6, atol=1e-7)
    assert np.array_equal(back.predict(x), net.predict(x))


def test_tflite_exports_the_lone_neuron(tmp_path, networks):
    path = export_weights(networks["784-1 is it a 6?"], tmp_path / "six.tflite")
    assert path.stat().st_size > 1000


def test_keras_itself_loads_the_one_neuron_model(tmp_path, networks):
    net = networks["784-1 is it a 6?"]
    model = import_keras().models.load_model(export_weights(net, tmp_path / "six.keras"))
    x = np.random.default_rng(1).random((8, 784), dtype=np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), net.probabilities(x), rtol=1e-5, atol=1e-6)
    assert model.name == "nnviz_is_it_6"  # where the .keras file keeps the digit


def test_a_weights_h5_digit_that_is_not_a_digit_is_refused(tmp_path, networks):
    path = export_weights(networks["784-1 is it a 6?"], tmp_path / "six.weights.h5")
    with h5py.File(path, "r+") as f:
        f.attrs["nnviz_digit"] = 42
    with pytest.raises(WeightsError, match="six.weights.h5.*not a digit"):
        import_model(path)


def test_training_continues_from_an_imported_one_neuron_file_and_refuses_another_digit(tmp_path, networks,
                                                                                        make_data):
    net = import_model(export_weights(networks["784-1 is it a 6?"], tmp_path / "six.keras")).network
    initial = TrainingSnapshot.of_network(net)
    config = TrainingConfig(hidden=(), one_vs_rest=6, epochs=1, batch_size=16)
    after = Trainer(config, make_data(), initial=initial).run(lambda _s: None).snapshot.network
    assert after.digit == 6 and not np.array_equal(after.weights[0], net.weights[0])
    with pytest.raises(ConfigError, match="cannot continue"):
        Trainer(config.with_changes(one_vs_rest=2), make_data(), initial=initial)


def _predict(*args):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "visualizer", "predict", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=env)


def test_nnviz_predict_answers_yes_or_no_with_p(tmp_path, networks):
    from PIL import Image

    net = networks["784-1 is it a 6?"]
    weights = export_weights(net, tmp_path / "six.weights.h5")
    image = np.zeros((28, 28), np.uint8)
    image[6:22, 12:16] = 255
    Image.fromarray(image).save(tmp_path / "stroke.png")
    p = float(net.probabilities(image.astype(np.float32) / 255)[0])
    proc = _predict("--weights", weights, "--preprocess", "never", tmp_path / "stroke.png")
    assert proc.returncode == 0, proc.stderr
    answer = "yes, a 6" if p >= 0.5 else "no, not a 6"
    assert proc.stdout.strip() == f"{tmp_path / 'stroke.png'}: P(6) = {p:.2f} — {answer}"
    record = json.loads(_predict("--weights", weights, "--preprocess", "never", "--json", tmp_path / "stroke.png").stdout)
    assert record["question"] == "is it a 6?" and record["task_digit"] == 6
    assert record["answer"] == ("yes" if p >= 0.5 else "no") and record["probabilities"] == [round(p, 6)]
    assert record["p_yes"] == round(p, 6) and record["digit"] == int(p >= 0.5)  # the old key, kept
