"""keras_config: Keras model configs read as plain data and folded into a Network, checked against a manual forward pass."""

from __future__ import annotations

import numpy as np
import pytest

from visualizer.core.errors import WeightsError
from visualizer.core.keras_config import fold_network, group_key, plan_model

RNG = np.random.default_rng(0)
X = RNG.random((20, 784))


def layer(cls, **config):
    return {"module": "keras.layers", "class_name": cls, "config": {"name": config.pop("name", cls.lower()), **config},
            "registered_name": None}


def sequential(*layers, shape=(784,)):
    return {"class_name": "Sequential",
            "config": {"name": "s", "layers": [layer("InputLayer", batch_shape=[None, *shape]), *layers]}}


def fold(config, arrays):
    """Fold with ``arrays``: layer name -> its variables."""
    return fold_network(plan_model(config), lambda step: arrays[step.name])


def dense(rows, cols):
    return RNG.normal(0, 0.3, (rows, cols)), RNG.normal(0, 0.1, cols)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_batch_normalization_before_and_after_an_activation_folds_exactly():
    (k1, b1), (k2, b2) = dense(784, 6), dense(6, 10)
    bn1 = [RNG.uniform(0.5, 2, 6), RNG.normal(0, 1, 6), RNG.normal(0, 1, 6), RNG.uniform(0.5, 2, 6)]
    bn2 = [RNG.uniform(0.5, 2, 6), RNG.normal(0, 1, 6), RNG.uniform(0.5, 2, 6)]  # center=False: no beta
    config = sequential(layer("Dense", name="d1", units=6, activation="linear"),
                        layer("BatchNormalization", name="bn1", epsilon=1e-3),
                        layer("Activation", name="act", activation="tanh"),
                        layer("BatchNormalization", name="bn2", epsilon=0.1, center=False),
                        layer("Dense", name="d2", units=10, activation="softmax"))
    imported = fold(config, {"d1": (k1, b1), "bn1": bn1, "bn2": bn2, "d2": (k2, b2)})
    g, beta, mean, var = bn1
    h = np.tanh(g * (X @ k1 + b1 - mean) / np.sqrt(var + 1e-3) + beta)
    g2, mean2, var2 = bn2
    expected = softmax((g2 * (h - mean2) / np.sqrt(var2 + 0.1)) @ k2 + b2)
    np.testing.assert_allclose(imported.network.probabilities(X.astype(np.float32)), expected, atol=1e-5)
    assert imported.network.activations == ("tanh", "softmax")


@pytest.mark.parametrize("scale, offset, reads_raw", [(1 / 255, 0.0, True), (1 / 127.5, -1.0, True), (2.0, -1.0, False)])
def test_rescaling_at_the_input_decides_what_pixels_the_model_reads(scale, offset, reads_raw):
    (k1, b1), (k2, b2) = dense(784, 5), dense(5, 10)
    config = sequential(layer("Rescaling", scale=scale, offset=offset), layer("Flatten"),
                        layer("Dense", name="d1", units=5, activation="relu"),
                        layer("Dense", name="d2", units=10, activation="softmax"), shape=(28, 28, 1))
    imported = fold(config, {"d1": (k1, b1), "d2": (k2, b2)})
    pixels = 255 * X if reads_raw else X  # what the model is fed for nnviz's 0-1 pixels
    expected = softmax(np.maximum((scale * pixels + offset) @ k1 + b1, 0) @ k2 + b2)
    np.testing.assert_allclose(imported.network.probabilities(X.astype(np.float32)), expected, atol=1e-5)
    assert any("0-255" in note for note in imported.notes) is reads_raw


def test_a_keras_2_functional_chain_is_followed():
    (k1, b1), (k2, b2) = dense(784, 4), dense(4, 10)
    config = {"class_name": "Model", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 784], "name": "in"}, "inbound_nodes": []},
        {"class_name": "Dense", "config": {"name": "h", "units": 4, "activation": "sigmoid"},
         "inbound_nodes": [[["in", 0, 0, {}]]]},
        {"class_name": "Dropout", "config": {"name": "drop", "rate": 0.5}, "inbound_nodes": [[["h", 0, 0, {}]]]},
        {"class_name": "Dense", "config": {"name": "out", "units": 10, "activation": "linear"},
         "inbound_nodes": [[["drop", 0, 0, {}]]]},
    ], "input_layers": [["in", 0, 0]], "output_layers": [["out", 0, 0]]}}
    imported = fold(config, {"h": (k1, b1), "out": (k2, b2)})
    expected = softmax((1 / (1 + np.exp(-(X @ k1 + b1)))) @ k2 + b2)
    np.testing.assert_allclose(imported.network.probabilities(X.astype(np.float32)), expected, atol=1e-5)
    config["config"]["layers"][3]["inbound_nodes"] = [[["h", 0, 0, {}]]]  # skips the dropout: still a chain?
    with pytest.raises(WeightsError, match="layer 'out' does not simply follow 'drop'"):
        plan_model(config)


@pytest.mark.parametrize("layers, shape, match", [
    ([layer("Dense", units=10, activation="softmax")], (28, 28), "gets 28x28 inputs, not 784 pixels in a row"),
    ([layer("Activation", activation="relu"), layer("Dense", units=10, activation="softmax")], (784,),
     "applies relu to the input pixels"),
    ([layer("Dense", units=10, activation="softmax"), layer("BatchNormalization")], (784,),
     "'batchnormalization' comes after the output layer"),
    ([layer("Dense", units=10, activation="sigmoid")], (784,), "not 10 units with sigmoid"),
    ([layer("Conv2D", name="c", filters=3)], (28, 28, 1), "'Conv2D' layer \\('c'\\)"),
    ([layer("Dense", units=10, activation="softmax")], (32, 32), "784 pixels"),
    ([layer("ReLU", max_value=6.0), layer("Dense", units=10)], (784,), "capped, leaky or shifted"),
])
def test_what_is_not_a_dense_network_is_refused_before_any_weights(layers, shape, match):
    with pytest.raises(WeightsError, match=match):
        plan_model(sequential(*layers, shape=shape))


def test_group_keys_follow_keras_3_naming():
    counters = {}
    keys = [group_key(c, counters) for c in ("Dense", "BatchNormalization", "Dense", "ReLU", "InputLayer", "Dense")]
    assert keys == ["dense", "batch_normalization", "dense_1", "re_lu", "input_layer", "dense_2"]
