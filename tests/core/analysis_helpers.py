"""Test helpers for the analysis modules: random networks and a tiny numpy-trained classifier."""

from __future__ import annotations

import numpy as np

from core_helpers import draw_strokes
from visualizer.core.backprop import batch_gradient, sgd_step
from visualizer.core.network import Network


def random_network(hidden=(16, 16), activation="relu", outputs=10, seed=0) -> Network:
    """A Glorot-scaled random network with small random biases."""
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, outputs)
    weights = [rng.normal(0, 1 / np.sqrt(a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [rng.normal(0, 0.1, b) for b in sizes[1:]]
    return Network.from_arrays(weights, biases, activation)


def blob_digits(n_per_class=60, seed=0, shapes_seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Ten made-up digit classes of 28x28 images in [0, 1]: two random pen strokes per class (fixed
    by ``shapes_seed``), drawn shifted by up to 2 pixels and with a varying pen width for each image
    (from ``seed``), plus a little noise."""
    shape_rng = np.random.default_rng(shapes_seed)
    shapes = [[shape_rng.uniform(0.1, 0.9, (3, 2)) for _ in range(2)] for _ in range(10)]
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), n_per_class)
    x = np.empty((labels.size, 784), np.float32)
    for i, label in enumerate(labels):
        origin = (2.0 + rng.uniform(-2, 2), 2.0 + rng.uniform(-2, 2))
        img = draw_strokes((28, 28), shapes[label], rng.uniform(2.0, 3.5), origin=origin, scale=24.0)
        x[i] = np.clip(img.ravel() + rng.normal(0, 0.05, 784), 0, 1)
    order = rng.permutation(labels.size)
    return x[order], labels[order]


def train_numpy(network: Network, x, y, epochs=4, batch=32, learning_rate=0.2, seed=0) -> Network:
    """Plain minibatch SGD with :func:`batch_gradient`: enough to make a network that mostly works."""
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch):
            part = order[start : start + batch]
            network = sgd_step(network, batch_gradient(network, x[part], y[part]), learning_rate)
    return network
