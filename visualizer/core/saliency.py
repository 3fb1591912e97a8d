"""Saliency: how much each input pixel pushed the network toward a class (gradient x input)."""

from __future__ import annotations

import numpy as np

from visualizer.core.backprop import backpropagate
from visualizer.core.network import Network


def saliency(network: Network, x: np.ndarray, target: int | None = None) -> np.ndarray:
    """Per-pixel contribution of ``x`` to one class of ``network``: gradient of its logit times the input.

    Parameters
    ----------
    network
        Any :class:`Network`; for a one-neuron sigmoid network the class is its only neuron.
    x
        One input of 784 values in [0, 1] (any shape with 784 elements, e.g. 28x28).
    target
        Output neuron to explain; defaults to the winning one (highest probability).

    Returns
    -------
    np.ndarray
        (784,) float32, signed: positive pixels pushed the target class up, negative pushed it
        down. Pixels that are 0 in ``x`` contribute 0.

    Notes
    -----
    The gradient is taken of the target's *logit* (the last layer's pre-activation), by
    backpropagating a one-hot output delta (:func:`visualizer.core.backprop.backpropagate`).
    The softmax probability is avoided on purpose: once the network is confident its gradient
    vanishes (p(1-p) -> 0) and it mixes in every other class, so the map would fade exactly when
    the prediction is clear.
    """
    x = np.asarray(x, dtype=np.float32).reshape(-1)
    layers = network.forward(x)
    if target is None:
        target = int(np.argmax(layers[-1]))
    n_classes = layers[-1].shape[-1]
    if not 0 <= int(target) < n_classes:
        raise ValueError(f"target must be a class between 0 and {n_classes - 1}, got {target}")
    delta = np.zeros(n_classes)
    delta[int(target)] = 1.0
    _, grad = backpropagate(network, layers, delta)
    return (grad * x).astype(np.float32)


def saliency_overlay(x: np.ndarray, saliency: np.ndarray, *, negative, positive, base, ink) -> np.ndarray:
    """(28, 28, 4) uint8 RGBA: the input faintly in ``ink`` on ``base``, tinted ``positive`` where a
    pixel pushed the class up and ``negative`` where it pushed it down, strength by |value|.

    Colours are (r, g, b) in 0..255.
    """
    x = np.clip(np.asarray(x, np.float32).reshape(28, 28), 0.0, 1.0)
    s = np.asarray(saliency, np.float32).reshape(28, 28)
    m = float(np.max(np.abs(s))) or 1.0
    neg, pos, base_rgb, ink_rgb = (np.asarray(c, np.float32) for c in (negative, positive, base, ink))
    grey = base_rgb + (ink_rgb - base_rgb) * (0.3 * x)[..., None]
    # sqrt so the mid-strength pixels are visible, not only the two strongest.
    weight = np.sqrt(np.clip(np.abs(s) / m, 0.0, 1.0))[..., None]
    tint = np.where((s >= 0)[..., None], pos, neg)
    rgb = grey * (1 - weight) + tint * weight
    out = np.empty((28, 28, 4), np.uint8)
    out[..., :3] = np.rint(np.clip(rgb, 0, 255))
    out[..., 3] = 255
    return out
