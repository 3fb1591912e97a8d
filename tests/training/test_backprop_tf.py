"""numpy backpropagation equals TensorFlow's GradientTape on the same Keras model (to 1e-5)."""

import numpy as np
import pytest

from visualizer.core.backprop import batch_gradient, example_gradient
from visualizer.core.network import Network
from visualizer.training.tfenv import import_keras, import_tf

CASES = [
    ((16,), "relu", 10), ((16, 16), "relu", 10), ((12, 10, 8), "relu", 10),
    ((16,), "sigmoid", 10), ((16, 16), "sigmoid", 10), ((12, 10, 8), "sigmoid", 10),
    ((16,), "tanh", 10), ((16, 16), "tanh", 10), ((12, 10, 8), "tanh", 10),
    ((), "relu", 10), ((16, 16), "relu", 1), ((8,), "tanh", 1), ((), "relu", 1),  # 784-1: the lone neuron
]


def keras_twin(hidden, activation, outputs, seed):
    """A Network and a keras.Sequential of Dense layers holding the same weights."""
    keras = import_keras()
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, outputs)
    weights = [rng.normal(0, 1.5 / np.sqrt(a), (a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [rng.normal(0, 0.2, b).astype(np.float32) for b in sizes[1:]]
    network = Network.from_arrays(weights, biases, activation)
    layers = [keras.Input((784,))]
    layers += [keras.layers.Dense(h, activation=activation) for h in hidden]
    layers.append(keras.layers.Dense(outputs, activation=network.output))
    model = keras.Sequential(layers)
    for layer, w, b in zip(model.layers, weights, biases, strict=True):
        layer.set_weights([w, b])
    return network, model


def tape_gradients(model, x, y, binary):
    """(loss, [dW1, db1, ...], dL/dx) from GradientTape, mean loss over the rows of ``x``."""
    keras, tf = import_keras(), import_tf()
    loss_fn = keras.losses.BinaryCrossentropy() if binary else keras.losses.SparseCategoricalCrossentropy()
    xt = tf.constant(x)
    target = tf.constant(np.asarray(y, np.float32).reshape(-1, 1) if binary else np.asarray(y))
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = loss_fn(target, model(xt))
    grads = tape.gradient(loss, [*model.trainable_variables, xt])
    return float(loss), [g.numpy() for g in grads[:-1]], grads[-1].numpy()


@pytest.mark.parametrize(("hidden", "activation", "outputs"), CASES)
def test_one_examples_gradient_equals_gradient_tape(hidden, activation, outputs):
    network, model = keras_twin(hidden, activation, outputs, seed=len(hidden) * 7 + outputs)
    x = np.random.default_rng(1).uniform(0, 1, (1, 784)).astype(np.float32)
    target = 1 if outputs == 1 else 6
    loss, grads, dx = tape_gradients(model, x, [target], network.is_binary)
    g = example_gradient(network, x[0], target)
    assert g.loss == pytest.approx(loss, abs=1e-5)
    for i in range(len(network.weights)):
        np.testing.assert_allclose(g.weight_gradients[i], grads[2 * i], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(g.bias_gradients[i], grads[2 * i + 1], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g.input_gradient, dx[0], rtol=1e-5, atol=1e-5)
    # The test must be able to fail: the gradient is not all zeros.
    assert np.abs(g.weight_gradients[0]).max() > 1e-3


@pytest.mark.parametrize(("hidden", "activation", "outputs"), [((16, 16), "relu", 10), ((16,), "sigmoid", 1), ((), "relu", 1)])
def test_batch_average_equals_gradient_tape_on_the_mean_loss(hidden, activation, outputs):
    network, model = keras_twin(hidden, activation, outputs, seed=3)
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (32, 784)).astype(np.float32)
    y = rng.integers(0, 2 if outputs == 1 else 10, 32)
    loss, grads, _ = tape_gradients(model, x, y, network.is_binary)
    batch = batch_gradient(network, x, y, chunk=10)
    assert batch.loss == pytest.approx(loss, abs=1e-5)
    for i in range(len(network.weights)):
        np.testing.assert_allclose(batch.weight_gradients[i], grads[2 * i], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(batch.bias_gradients[i], grads[2 * i + 1], rtol=1e-5, atol=1e-5)
