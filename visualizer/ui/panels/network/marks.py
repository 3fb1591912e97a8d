"""What the network view marks on top of its drawing: the pinned neuron's connections and the dead neurons.

A pinned neuron's incoming and outgoing connections are drawn again, strong and wide, over the
dimmed rest (at most PINNED_FAN each way, the strongest: 784 pixel lines would be a blur). Dead
neurons, which never fire on the test set, get a cross and are counted under the drawing.
"""

from __future__ import annotations

import numpy as np

PINNED_FAN = 48  # incoming pixel connections drawn for a pinned Hidden 1 neuron (the strongest |w|)
DIMMED = 0.22  # opacity of the other connections while a neuron is pinned


def pinned_segments(weights, positions, layer: int, index: int, fan: int = PINNED_FAN):
    """(starts, ends, values in [-1, 1]) of the connections into and out of neuron ``index`` of ``layer``.

    ``weights[i]`` connects layer i to layer i + 1; ``positions[i]`` is (n_i, 2) neuron centres.
    Values are each weight over the largest magnitude among those drawn, so the pinned neuron's
    own strongest connection is full strength whatever the layer's scale.
    """
    starts, ends, values = [], [], []
    if layer >= 1:
        w = np.asarray(weights[layer - 1][:, index], dtype=np.float64)
        rows = np.arange(w.size)
        if w.size > fan:  # Hidden 1's 784 pixels, or a wide layer: its strongest only
            rows = np.argpartition(-np.abs(w), fan - 1)[:fan]
        starts.append(positions[layer - 1][rows])
        ends.append(np.repeat(positions[layer][index][None, :], rows.size, axis=0))
        values.append(w[rows])
    if layer < len(weights):
        w = np.asarray(weights[layer][index, :], dtype=np.float64)
        cols = np.arange(w.size) if w.size <= fan else np.argpartition(-np.abs(w), fan - 1)[:fan]
        starts.append(np.repeat(positions[layer][index][None, :], cols.size, axis=0))
        ends.append(positions[layer + 1][cols])
        values.append(w[cols])
    if not values:
        return np.empty((0, 2)), np.empty((0, 2)), np.empty(0)
    v = np.concatenate(values)
    top = float(np.abs(v).max()) if v.size else 0.0
    return np.concatenate(starts), np.concatenate(ends), (v / top if top > 0 else v)


def dead_text(counts, sizes, names) -> str:
    """'3 of 16 in Hidden 1 never fire; 1 of 16 in Hidden 2 never fires' for the layers that have dead
    neurons ('' when none has); ``counts`` per hidden layer, ``sizes`` and ``names`` per layer."""
    parts = [f"{n} of {sizes[i]} in {names[i]} {'never fires' if n == 1 else 'never fire'}"
             for i, n in enumerate(counts, start=1) if n]
    return "; ".join(parts)


def dead_positions(dead, positions, sizes) -> np.ndarray:
    """(k, 2) centres of the dead hidden neurons; ``dead`` holds one mask per hidden layer (or is None).

    Masks that do not fit the layers drawn (an analysis of another architecture) mark nothing.
    """
    if dead is None or len(dead) != len(sizes) - 2 or not positions:
        return np.empty((0, 2))
    out = []
    for i, mask in enumerate(dead, start=1):
        mask = np.asarray(mask, dtype=bool)
        if mask.size != sizes[i]:
            return np.empty((0, 2))
        out.append(positions[i][mask])
    return np.concatenate(out) if out else np.empty((0, 2))
