"""Test helpers for the analysis modules: random networks and a tiny numpy-trained classifier."""

from __future__ import annotations

import numpy as np

from visualizer.core.backprop import batch_gradient, sgd_step
from visualizer.core.network import Network


def random_network(hidden=(16, 16), activation="relu", outputs=10, seed=0) -> Network:
    """A Glorot-scaled random network with small random biases."""
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, outputs)
    weights = [rng.normal(0, 1 / np.sqrt(a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [rng.normal(0, 0.1, b) for b in sizes[1:]]
    return Network.from_arrays(weights, biases, activation)


def blob_digits(n_per_class=60, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Ten classes of 28x28 images: a class-specific random stroke pattern plus pixel noise, in [0, 1]."""
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((10, 784)) < 0.15).astype(np.float32)
    labels = np.repeat(np.arange(10), n_per_class)
    x = np.clip(prototypes[labels] * rng.uniform(0.6, 1.0, (labels.size, 1)) + rng.normal(0, 0.1, (labels.size, 784)), 0, 1)
    order = rng.permutation(labels.size)
    return x[order].astype(np.float32), labels[order]


def train_numpy(network: Network, x, y, epochs=3, batch=32, learning_rate=0.5, seed=0) -> Network:
    """Plain minibatch SGD with :func:`batch_gradient`: enough to make a network that mostly works."""
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch):
            part = order[start : start + batch]
            network = sgd_step(network, batch_gradient(network, x[part], y[part]), learning_rate)
    return network
