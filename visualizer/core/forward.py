"""numpy forward pass of the dense network: every layer's activations, no TensorFlow needed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from visualizer.core.errors import ConfigError


def _relu(z):
    return np.maximum(z, 0.0)


def _sigmoid(z):
    # Split by sign so exp never overflows.
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


HIDDEN_ACTIVATIONS = {"relu": _relu, "sigmoid": _sigmoid, "tanh": np.tanh}


def softmax(z: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis."""
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def forward(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activation: str,
    x: np.ndarray,
) -> list[np.ndarray]:
    """Run the network on ``x`` and return every layer's activations.

    Parameters
    ----------
    weights, biases
        Dense layers in Keras layout: ``weights[i]`` is (in, out), ``biases[i]`` is (out,).
    activation
        Hidden-layer activation name ("relu", "sigmoid", "tanh"); the last layer is softmax.
    x
        One input of 784 values in [0, 1] (any shape with 784 elements), or a batch (n, 784).

    Returns
    -------
    list of np.ndarray
        ``[input, hidden_1, ..., probabilities]``; 1-D arrays for one input, 2-D for a batch.
    """
    try:
        act = HIDDEN_ACTIVATIONS[activation]
    except KeyError:
        raise ConfigError(f"unknown activation {activation!r}") from None
    x = np.asarray(x, dtype=np.float32)
    # A 28x28 image is 2-D too: only (n, inputs) is a batch, anything else is one input.
    single = not (x.ndim == 2 and x.shape[1] == np.shape(weights[0])[0])
    a = x.reshape(1, -1) if single else x
    layers = [a]
    last = len(weights) - 1
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        z = a @ w + b
        a = softmax(z) if i == last else act(z)
        layers.append(a)
    return [layer[0] for layer in layers] if single else layers


def predict_proba(snapshot, x: np.ndarray) -> np.ndarray:
    """Class probabilities for ``x`` (one input or a batch) from a TrainingSnapshot."""
    return forward(snapshot.weights, snapshot.biases, snapshot.activation, x)[-1]
