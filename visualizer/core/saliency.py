"""Saliency: how much each input pixel pushed the network toward a class (gradient x input)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from visualizer.core.forward import forward


def _activation_derivative(activation: str, a: np.ndarray) -> np.ndarray:
    """d act / d z written in terms of the activation's output, so forward()'s result is enough."""
    if activation == "relu":
        # 0 at z == 0, like TensorFlow's relu gradient.
        return (a > 0).astype(a.dtype)
    if activation == "sigmoid":
        return a * (1.0 - a)
    return 1.0 - a * a  # tanh (forward() has already rejected unknown names)


def gradient_x_input(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activation: str,
    x: np.ndarray,
    target: int | None = None,
) -> np.ndarray:
    """Per-pixel contribution of ``x`` to one class: gradient of that class's logit times the input.

    Parameters
    ----------
    weights, biases
        Dense layers in Keras layout, as for :func:`visualizer.core.forward.forward`.
    activation
        Hidden-layer activation: "relu", "sigmoid" or "tanh".
    x
        One input of 784 values in [0, 1] (any shape with 784 elements, e.g. 28x28).
    target
        Class to explain; defaults to the winning class (highest probability).

    Returns
    -------
    np.ndarray
        (784,) float32, signed: positive pixels pushed the target class up, negative pushed it
        down. Pixels that are 0 in ``x`` contribute 0.

    Notes
    -----
    The gradient is taken of the target's *logit* (the last layer before softmax), computed
    exactly by backpropagation through the dense layers. The softmax probability is avoided on
    purpose: once the network is confident its gradient vanishes (p(1-p) -> 0) and it mixes in
    every other class, so the map would fade exactly when the prediction is clear.
    """
    x = np.asarray(x, dtype=np.float32).reshape(-1)
    layers = forward(weights, biases, activation, x)
    if target is None:
        target = int(np.argmax(layers[-1]))
    n_classes = layers[-1].shape[-1]
    if not 0 <= int(target) < n_classes:
        raise ValueError(f"target must be a class between 0 and {n_classes - 1}, got {target}")
    # d logit_target / d a_{L-1} is the target's column of the last weight matrix.
    grad = np.asarray(weights[-1], dtype=np.float64)[:, int(target)]
    # Walk back through the hidden layers: layers[i + 1] is the output of weights[i].
    for i in range(len(weights) - 2, -1, -1):
        grad = grad * _activation_derivative(activation, layers[i + 1].astype(np.float64))
        grad = np.asarray(weights[i], dtype=np.float64) @ grad
    return (grad * x).astype(np.float32)
