"""The task a network answers travels with it: a one-neuron network's digit in the Network, its words,
the numpy weights files, the evaluation and run files; no hidden layer everywhere."""

from __future__ import annotations

import json

import numpy as np
import pytest

from visualizer.core.backprop import example_gradient, sgd_step
from visualizer.core.config import TrainingConfig, answer_text, class_name, task_question, yes_no_text
from visualizer.core.confusion import evaluate
from visualizer.core.errors import RunFileError, WeightsError
from visualizer.core.network import Network
from visualizer.core.runfile import load_run, save_run
from visualizer.core.timeline import Batches, Timeline
from visualizer.core.weights_format import load_json, load_npz, save_json, save_npz, to_json_dict

RNG = np.random.default_rng(5)


def one_neuron(digit=6, hidden=()):
    sizes = (784, *hidden, 1)
    weights = [RNG.normal(0, 0.1, (a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [RNG.normal(0, 0.1, b).astype(np.float32) for b in sizes[1:]]
    return Network.from_arrays(weights, biases, "tanh", digit=digit)


def softmax_regression():
    return Network.from_arrays([RNG.normal(0, 0.1, (784, 10)).astype(np.float32)], [np.zeros(10, np.float32)])


# -- the Network and its words ---------------------------------------------------------------------------
def test_a_one_neuron_network_knows_its_question():
    net = one_neuron(6)
    assert net.digit == 6 and net.question == "is it a 6?" and net.positive_name() == "6"
    assert net.describe() == "784-1, sigmoid output (is it a 6?)"
    assert one_neuron(None).question == "yes or no?" and softmax_regression().question == "which digit?"
    assert one_neuron(8).question == "is it an 8?"


@pytest.mark.parametrize("digit, output, match", [
    (10, "sigmoid", "must be 0-9"), (-1, "sigmoid", "must be 0-9"), (True, "sigmoid", "must be 0-9"),
    ("6", "sigmoid", "must be 0-9"), (3, "softmax", "only a one-neuron"),
])
def test_a_bad_digit_is_refused(digit, output, match):
    units = 1 if output == "sigmoid" else 10
    with pytest.raises(WeightsError, match=match):
        Network.from_arrays([np.zeros((784, units), np.float32)], [np.zeros(units, np.float32)], digit=digit)


def test_the_digit_is_part_of_the_architecture_and_survives_a_step():
    net = one_neuron(6, hidden=(4,))
    assert not net.same_architecture(Network(net.weights, net.biases, net.activations, 3))
    g = example_gradient(net, RNG.random(784, dtype=np.float32), 1)
    after = sgd_step(net, g, 0.1)
    assert after.digit == 6 and after.same_architecture(net)
    assert not np.array_equal(after.weights[0], net.weights[0])


def test_answers_read_as_sentences():
    assert answer_text(0.93, 6) == "P(6) = 0.93 — yes, a 6"
    assert answer_text(0.07, 8) == "P(8) = 0.07 — no, not an 8"
    assert answer_text(0.5, None) == "P(yes) = 0.50 — yes"
    assert yes_no_text(False, 6) == "no, not a 6" and task_question(3) == "is it a 3?"
    assert [class_name(i, 6) for i in (0, 1)] == ["not 6", "6"]


# -- the numpy files -------------------------------------------------------------------------------------
@pytest.mark.parametrize("save, load, ext", [(save_npz, load_npz, "npz"), (save_json, load_json, "json")])
@pytest.mark.parametrize("make", [lambda: one_neuron(6), lambda: one_neuron(3, (5,)), softmax_regression])
def test_numpy_files_keep_the_task(tmp_path, save, load, ext, make):
    net = make()
    back = load(save(net, tmp_path / f"w.{ext}"))
    assert back.layer_sizes == net.layer_sizes and back.activations == net.activations
    assert back.digit == net.digit and back.question == net.question
    x = RNG.random((5, 784), dtype=np.float32)
    np.testing.assert_array_equal(back.probabilities(x), net.probabilities(x))


def test_the_json_says_what_the_neuron_answers():
    doc = to_json_dict(one_neuron(6))
    assert doc["digit"] == 6 and doc["output"]["question"] == "is it a 6?" and doc["output"]["activation"] == "sigmoid"
    assert "digit" not in to_json_dict(softmax_regression())


@pytest.mark.parametrize("digit", [6.0, "6", True, 12, None])
def test_a_bad_json_digit_is_one_clear_error(tmp_path, digit):
    doc = to_json_dict(one_neuron(6))
    doc["digit"] = digit
    path = tmp_path / "w.json"
    path.write_text(json.dumps(doc))
    if digit is None:  # a file without a digit: a yes/no neuron of unknown digit
        assert load_json(path).digit is None
        return
    with pytest.raises(WeightsError, match="w.json.*digit"):
        load_json(path)


def test_an_npz_digit_that_is_text_is_refused(tmp_path):
    path = save_npz(one_neuron(6), tmp_path / "w.npz")
    with np.load(path) as f:
        arrays = dict(f)
    arrays["digit"] = np.array("six")
    np.savez(path, **arrays)
    with pytest.raises(WeightsError, match="'digit' must be a single integer"):
        load_npz(path)


def test_a_ten_digit_file_with_a_digit_is_refused(tmp_path):
    doc = to_json_dict(softmax_regression())
    doc["digit"] = 4
    path = tmp_path / "w.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(WeightsError, match="only a one-neuron"):
        load_json(path)


# -- evaluation and run files ----------------------------------------------------------------------------
def test_evaluation_uses_the_networks_own_digit():
    net = one_neuron(6)
    x, y = RNG.random((40, 784), dtype=np.float32), np.arange(40) % 10
    result = evaluate(net, x, y)
    assert result.confusion.shape == (2, 2) and result.confusion[1].sum() == 4  # four 6s
    assert result.confusion.tolist() == evaluate(net, x, y, digit=6).confusion.tolist()
    with pytest.raises(ValueError, match="digit"):
        evaluate(one_neuron(None), x, y)


def _recorded(net: Network, steps: int = 3) -> Timeline:
    tl = Timeline(1 << 20)
    tl.extend(net, 0)
    for s in range(1, steps + 1):
        w = [np.asarray(a) + s for a in net.weights]
        later = net.with_arrays(w, net.biases)
        tl.append(Batches(first_step=s, epoch=0, first_batch=s, batches_per_epoch=steps,
                          loss=np.array([1.0 / s], np.float32), accuracy=np.array([0.5], np.float32),
                          weight_steps=[s], weights=[np.concatenate([later.weights[0].ravel(), later.biases[0]])]))
    return tl


def test_a_run_file_keeps_the_task(tmp_path):
    net = one_neuron(6)
    tl = _recorded(net)
    config = TrainingConfig(hidden=(), one_vs_rest=6, epochs=1)
    run = load_run(save_run(tmp_path / "r.nnvizrun", tl, config, dataset_name="MNIST"))
    assert run.config.one_vs_rest == 6 and run.config.hidden == ()
    moment = run.timeline.latest
    assert moment.network.digit == 6 and moment.network.question == "is it a 6?"
    np.testing.assert_array_equal(moment.network.weights[0], np.asarray(net.weights[0]) + 3)


def test_a_run_file_whose_settings_ask_another_digit_is_refused(tmp_path):
    path = save_run(tmp_path / "r.nnvizrun", _recorded(one_neuron(6)), TrainingConfig(hidden=(), one_vs_rest=2),
                    dataset_name="MNIST")
    with pytest.raises(RunFileError, match="different networks"):
        load_run(path)


def test_a_recording_refuses_another_question():
    tl = _recorded(one_neuron(6), steps=1)
    with pytest.raises(Exception, match="starts a new one"):
        tl.extend(Network(tl.latest.network.weights, tl.latest.network.biases, ("sigmoid",), 3), 1)
