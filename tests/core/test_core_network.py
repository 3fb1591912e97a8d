"""The Network value and its numpy forward pass: what the pad and the network view draw while TensorFlow trains."""

import numpy as np
import pytest

from visualizer.core.errors import WeightsError
from visualizer.core.network import Network, layer_names, softmax
from visualizer.core.snapshot import snapshot_from_arrays


def network(sizes=(784, 16, 16, 10), seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    weights = [scale * rng.normal(0, 1 / np.sqrt(a), (a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [rng.normal(0, 0.1, b).astype(np.float32) for b in sizes[1:]]
    return weights, biases


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_shapes_for_one_input_and_a_batch(activation):
    weights, biases = network()
    x = np.random.default_rng(1).uniform(0, 1, (5, 784)).astype(np.float32)
    batch = Network.from_arrays(weights, biases, activation).forward(x)
    assert [a.shape for a in batch] == [(5, 784), (5, 16), (5, 16), (5, 10)]
    single = Network.from_arrays(weights, biases, activation).forward(x[2])
    assert [a.shape for a in single] == [(784,), (16,), (16,), (10,)]
    for a, b in zip(single, batch, strict=True):
        np.testing.assert_allclose(a, b[2], rtol=1e-5, atol=1e-7)
    # A 28x28 image is one input, not a batch of 28 rows.
    as_image = Network.from_arrays(weights, biases, activation).forward(x[2].reshape(28, 28))
    np.testing.assert_allclose(as_image[-1], single[-1], rtol=1e-6)
    # (1, 784) stays a batch of one.
    assert Network.from_arrays(weights, biases, activation).forward(x[:1])[-1].shape == (1, 10)


def test_probabilities_sum_to_one_and_match_a_manual_pass():
    weights, biases = network()
    x = np.random.default_rng(2).uniform(0, 1, (50, 784))
    proba = Network.from_arrays(weights, biases, "relu").forward(x)[-1]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert (proba >= 0).all()
    h1 = np.maximum(x @ weights[0] + biases[0], 0)
    h2 = np.maximum(h1 @ weights[1] + biases[1], 0)
    z = h2 @ weights[2] + biases[2]
    expected = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(proba, expected / expected.sum(1, keepdims=True), rtol=1e-4, atol=1e-7)


def test_sigmoid_and_softmax_are_stable_for_huge_inputs():
    weights, biases = network(scale=1e4)  # pre-activations in the tens of thousands
    x = np.random.default_rng(3).uniform(0, 1, (20, 784))
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        layers = Network.from_arrays(weights, biases, "sigmoid").forward(x)
    for a in layers:
        assert np.isfinite(a).all()
    assert ((layers[1] >= 0) & (layers[1] <= 1)).all()
    assert (layers[1] == 0).any() and (layers[1] == 1).any()  # saturates, does not overflow
    np.testing.assert_allclose(softmax(np.array([1e4, 0.0, -1e4])), [1.0, 0.0, 0.0])


def test_unknown_activation_is_refused_when_the_network_is_built():
    weights, biases = network()
    with pytest.raises(WeightsError, match="gelu"):
        Network.from_arrays(weights, biases, "gelu")


def test_a_snapshot_carries_its_network():
    weights, biases = network()
    snap = snapshot_from_arrays(weights, biases, "tanh")
    x = np.random.default_rng(4).uniform(0, 1, 784)
    np.testing.assert_array_equal(snap.network.forward(x)[-1], Network.from_arrays(weights, biases, "tanh").forward(x)[-1])
    assert snap.layer_sizes == (784, 16, 16, 10) and snap.network.activation == "tanh"


def test_arrays_are_read_only_float32_copies():
    weights, biases = network()
    net = Network.from_arrays(weights, biases)
    weights[0][0, 0] = 123.0
    assert net.weights[0][0, 0] != 123.0 and net.weights[0].dtype == np.float32
    with pytest.raises(ValueError):
        net.weights[0][0, 0] = 1.0


def test_one_activation_per_layer_names_and_description():
    weights, biases = network(sizes=(784, 8, 6, 10))
    net = Network.from_arrays(weights, biases, ("relu", "tanh"))
    assert net.activations == ("relu", "tanh", "softmax") and net.activation == "mixed"
    assert net.layer_names == ("Input", "Hidden 1", "Hidden 2", "Output") == layer_names(4)
    assert net.describe() == "784-8-6-10 relu/tanh"
    x = np.random.default_rng(5).uniform(0, 1, 784)
    h1 = np.maximum(x @ weights[0] + biases[0], 0)
    h2 = np.tanh(h1 @ weights[1] + biases[1])
    np.testing.assert_allclose(net.forward(x)[2], h2, rtol=1e-5, atol=1e-6)


def test_no_hidden_layer_and_one_yes_no_neuron():
    rng = np.random.default_rng(6)
    softmax_regression = Network.from_arrays([rng.normal(size=(784, 10))], [np.zeros(10)])
    assert softmax_regression.hidden == () and softmax_regression.output == "softmax"
    one = Network.from_arrays([rng.normal(size=(784, 1))], [np.zeros(1)])
    assert one.is_binary and one.output == "sigmoid"
    x = rng.uniform(0, 1, (3, 784))
    p = one.probabilities(x)
    assert p.shape == (3, 1) and ((p > 0) & (p < 1)).all()
    np.testing.assert_array_equal(one.predict(x), (p[:, 0] >= 0.5).astype(int))


@pytest.mark.parametrize("weights, biases, match", [
    ([np.zeros((700, 10))], [np.zeros(10)], "784 inputs"),
    ([np.zeros((784, 9))], [np.zeros(9)], "10 units"),
    ([np.zeros((784, 16)), np.zeros((15, 10))], [np.zeros(16), np.zeros(10)], "shape"),
    ([np.zeros((784, 10))], [np.zeros(9)], "bias vector 1"),
    ([np.full((784, 10), np.nan)], [np.zeros(10)], "NaN"),
    ([np.zeros((784, 2000)), np.zeros((2000, 10))], [np.zeros(2000), np.zeros(10)], "1 to 1024"),
])
def test_unusable_networks_are_refused_in_one_sentence(weights, biases, match):
    with pytest.raises(WeightsError, match=match):
        Network.from_arrays(weights, biases)
