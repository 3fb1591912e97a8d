"""numpy forward pass: what the pad and the network view draw while TensorFlow trains."""

import numpy as np
import pytest

from visualizer.core.errors import ConfigError
from visualizer.core.forward import forward, predict_proba, softmax
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
    batch = forward(weights, biases, activation, x)
    assert [a.shape for a in batch] == [(5, 784), (5, 16), (5, 16), (5, 10)]
    single = forward(weights, biases, activation, x[2])
    assert [a.shape for a in single] == [(784,), (16,), (16,), (10,)]
    for a, b in zip(single, batch, strict=True):
        np.testing.assert_allclose(a, b[2], rtol=1e-5, atol=1e-7)
    # A 28x28 image is one input, not a batch of 28 rows.
    as_image = forward(weights, biases, activation, x[2].reshape(28, 28))
    np.testing.assert_allclose(as_image[-1], single[-1], rtol=1e-6)
    # (1, 784) stays a batch of one.
    assert forward(weights, biases, activation, x[:1])[-1].shape == (1, 10)


def test_probabilities_sum_to_one_and_match_a_manual_pass():
    weights, biases = network()
    x = np.random.default_rng(2).uniform(0, 1, (50, 784))
    proba = forward(weights, biases, "relu", x)[-1]
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
        layers = forward(weights, biases, "sigmoid", x)
    for a in layers:
        assert np.isfinite(a).all()
    assert ((layers[1] >= 0) & (layers[1] <= 1)).all()
    assert (layers[1] == 0).any() and (layers[1] == 1).any()  # saturates, does not overflow
    np.testing.assert_allclose(softmax(np.array([1e4, 0.0, -1e4])), [1.0, 0.0, 0.0])


def test_unknown_activation_is_a_config_error():
    weights, biases = network()
    with pytest.raises(ConfigError, match="gelu"):
        forward(weights, biases, "gelu", np.zeros(784))


def test_predict_proba_from_a_snapshot():
    weights, biases = network()
    snap = snapshot_from_arrays(weights, biases, "tanh")
    x = np.random.default_rng(4).uniform(0, 1, 784)
    np.testing.assert_array_equal(predict_proba(snap, x), forward(weights, biases, "tanh", x)[-1])
