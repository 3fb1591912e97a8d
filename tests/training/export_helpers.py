"""Helpers shared by the export tests: small random networks, their predictions, folder listings."""

from itertools import pairwise

import numpy as np

from visualizer.core.network import Network

X = np.random.default_rng(1).random((50, 784), dtype=np.float32)


def random_net(hidden=(16, 16), activation="relu", seed=0, output=None) -> Network:
    """A random 784-hidden-10 network (one unit and a sigmoid when ``output`` is "sigmoid")."""
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 1 if output == "sigmoid" else 10)
    w = [rng.standard_normal((a, b)).astype(np.float32) * 0.3 for a, b in pairwise(sizes)]
    b = [rng.standard_normal(n).astype(np.float32) * 0.1 for n in sizes[1:]]
    return Network.from_arrays(w, b, activation, output=output)


def probs(net):
    return net.forward(X)[-1]


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())
