"""Saliency: gradient x input must be the exact gradient of the class logit, signed."""

import importlib.util

import numpy as np
import pytest

from visualizer.core.saliency import saliency
from visualizer.core.network import Network


def network(sizes=(784, 16, 16, 10), seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 1 / np.sqrt(a), (a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [rng.normal(0, 0.1, b).astype(np.float32) for b in sizes[1:]]
    return weights, biases


ACTIVATIONS64 = {"relu": lambda v: np.maximum(v, 0), "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh}


def logit(weights, biases, activation, x, target):
    """The target's pre-softmax value, recomputed independently in float64 for finite differences."""
    a = np.asarray(x, np.float64)
    for w, b in zip(weights[:-1], biases[:-1], strict=True):
        a = ACTIVATIONS64[activation](a @ w.astype(np.float64) + b)
    return float(a @ weights[-1][:, target].astype(np.float64) + biases[-1][target])


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_matches_finite_differences(activation):
    weights, biases = network(seed=1)
    x = np.random.default_rng(2).uniform(0.05, 1, 784)
    target = 3
    sal = saliency(Network.from_arrays(weights, biases, activation), x, target)
    eps = 1e-4
    pixels = np.random.default_rng(3).choice(784, 40, replace=False)
    numeric = []
    for i in pixels:
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        numeric.append((logit(weights, biases, activation, up, target) - logit(weights, biases, activation, down, target)) / (2 * eps))
    np.testing.assert_allclose(sal[pixels], np.array(numeric) * x[pixels], rtol=2e-3, atol=1e-5)


def test_defaults_to_winning_class_and_is_signed():
    weights, biases = network()
    x = np.random.default_rng(0).uniform(0, 1, (28, 28))
    winner = int(np.argmax(Network.from_arrays(weights, biases, "relu").forward(x)[-1]))
    sal = saliency(Network.from_arrays(weights, biases, "relu"), x)
    assert sal.shape == (784,) and sal.dtype == np.float32
    np.testing.assert_array_equal(sal, saliency(Network.from_arrays(weights, biases, "relu"), x, target=winner))
    assert (sal > 0).any() and (sal < 0).any()
    # For a purely linear path (one layer) gradient x input sums to logit minus bias exactly.
    w, b = [weights[0][:, :10]], [biases[0][:10]]
    one = saliency(Network.from_arrays(w, b, "relu"), x, target=4)
    np.testing.assert_allclose(one.sum(), x.ravel() @ w[0][:, 4], rtol=1e-4)


def test_blank_pixels_contribute_nothing_and_bad_target_is_rejected():
    weights, biases = network()
    x = np.zeros(784)
    x[300:320] = 1.0
    sal = saliency(Network.from_arrays(weights, biases, "tanh"), x, target=0)
    assert not sal[:300].any() and not sal[320:].any()
    with pytest.raises(ValueError, match="target"):
        saliency(Network.from_arrays(weights, biases, "tanh"), x, target=10)


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="TensorFlow not installed")
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_matches_tensorflow_gradient_tape(activation):
    import keras
    import tensorflow as tf

    weights, biases = network(seed=5)
    model = keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(16, activation=activation), keras.layers.Dense(16, activation=activation),
         keras.layers.Dense(10)]  # logits: the quantity saliency differentiates
    )
    for layer, w, b in zip(model.layers, weights, biases, strict=True):
        layer.set_weights([w, b])
    x = np.random.default_rng(6).uniform(0, 1, (1, 784)).astype(np.float32)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = model(xt)[0, 7]
    expected = (tape.gradient(out, xt).numpy() * x)[0]
    np.testing.assert_allclose(saliency(Network.from_arrays(weights, biases, activation), x, target=7), expected, rtol=1e-3, atol=1e-6)
