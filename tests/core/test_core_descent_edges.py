"""The gradient view's edge picks from the two vectors of dL/dW = a x delta: the same edges as from the matrix, bounded."""

from __future__ import annotations

import numpy as np

from visualizer.core import edges
from visualizer.core.backprop import example_gradient, strongest_descent_block, strongest_descent_edges
from visualizer.core.network import Network


def network(hidden, seed=0) -> Network:
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 10)
    return Network.from_arrays([rng.normal(0, 0.1, (a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)],
                               [rng.normal(0, 0.1, b) for b in sizes[1:]], ["tanh"] * len(hidden))


def test_picks_the_same_edges_as_the_full_matrix():
    g = example_gradient(network((16, 12)), np.random.default_rng(1).random(784), 3)
    for layer, limit, per in ((0, edges.FAN_BUDGET, edges.FAN_PER_NEURON), (1, edges.PAIR_CAP, None),
                              (2, 50, None)):
        fast = strongest_descent_edges(g, layer, limit, per_neuron=per)
        full = edges.strongest_edges(-g.weight_gradients[layer], limit, per_neuron=per)
        assert set(zip(fast.rows, fast.cols, strict=True)) == set(zip(full.rows, full.cols, strict=True))
        np.testing.assert_allclose(fast.values, -g.weight_gradients[layer][fast.rows, fast.cols])
        assert fast.scale == np.abs(g.weight_gradients[layer]).max()
        assert fast.per_neuron == full.per_neuron


def test_a_wide_pair_gets_a_bounded_pick_of_its_strongest_edges():
    g = example_gradient(network((300, 200)), np.random.default_rng(2).random(784), 7)
    sel = strongest_descent_block(g, 1, edges.WIDE_EDGES)
    assert len(sel) == edges.WIDE_EDGES
    np.testing.assert_allclose(sel.values, -g.weight_gradients[1][sel.rows, sel.cols])
    # Nothing stronger left out among the candidates: the weakest picked beats every other candidate edge.
    src = edges.candidates(300, g.activations[1])
    dst = edges.candidates(200, g.deltas[1])
    block = np.abs(g.weight_gradients[1][np.ix_(src, dst)])
    assert np.sort(block.ravel())[-edges.WIDE_EDGES] <= np.abs(sel.values).min() + 1e-15
    assert abs(sel.strengths).max() <= 1.0


def test_a_block_of_the_gradient_is_the_matrix_block():
    g = example_gradient(network((16,)), np.random.default_rng(3).random(784), 1)
    np.testing.assert_allclose(g.weight_gradient(0, cols=[2, 5]), g.weight_gradients[0][:, [2, 5]])
