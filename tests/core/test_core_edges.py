"""Edge selection: the strongest edges per neuron within a budget, shared by the activation and gradient views."""

import numpy as np
import pytest

from analysis_helpers import random_network
from visualizer.core.backprop import example_gradient
from visualizer.core.edges import edges_per_neuron, strongest_edges, strongest_per_column


def test_keeps_exactly_the_k_strongest_per_neuron_by_magnitude():
    values = np.random.default_rng(0).normal(size=(50, 6))
    sel = strongest_edges(values, limit=30)  # 30 // 6 = 5 per neuron
    assert sel.per_neuron == 5 and len(sel) == 30 and not sel.complete
    for col in range(6):
        chosen = set(sel.rows[sel.cols == col])
        assert chosen == set(np.argsort(-np.abs(values[:, col]))[:5])
    np.testing.assert_array_equal(sel.values, values[sel.rows, sel.cols])
    assert np.abs(sel.strengths).max() <= 1.0
    assert sel.scale == pytest.approx(np.abs(values).max())
    # Negative values count as strong as positive ones.
    values[7, 2] = -100
    assert 7 in strongest_edges(values, limit=6).rows[strongest_edges(values, limit=6).cols == 2]


def test_a_small_matrix_is_drawn_whole_and_the_cap_applies():
    values = np.arange(1, 17, dtype=float).reshape(4, 4)
    assert strongest_edges(values, limit=4096).complete
    assert strongest_edges(values, limit=4096, per_neuron=2).per_neuron == 2
    assert edges_per_neuron(784, 16, 480, 8) == 8
    assert edges_per_neuron(784, 100, 480, 8) == 4
    assert edges_per_neuron(784, 1000, 480, 8) == 1  # never zero edges for a neuron
    rows, cols = strongest_per_column(values, 10)
    assert rows.size == 16


def test_rows_offered_by_index_map_back_to_the_layer():
    x = np.zeros(784)
    lit = np.array([100, 200, 300, 400])
    x[lit] = [0.2, 1.0, 0.5, 0.9]
    w = np.random.default_rng(1).normal(size=(784, 16))
    sel = strongest_edges(w[lit] * x[lit, None], limit=480, per_neuron=8, rows=lit)
    assert sel.per_neuron == 4 and set(sel.rows) <= set(lit)
    np.testing.assert_allclose(sel.values, w[sel.rows, sel.cols] * x[sel.rows])


def test_gradient_edges_of_the_first_layer_come_from_the_lit_pixels():
    net = random_network(seed=2)
    x = np.zeros(784)
    x[np.arange(200, 260)] = 1.0
    g = example_gradient(net, x, 5)
    sel = strongest_edges(-g.weight_gradients[0], limit=480, per_neuron=8)
    # dL/dW1 = x * delta1: unlit pixels ask nothing of their weights, so the strongest edges are lit ones.
    live = np.flatnonzero(g.deltas[0])
    assert set(sel.rows[np.isin(sel.cols, live)]) <= set(range(200, 260))


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="matrix"):
        strongest_edges(np.zeros(5), 10)
    with pytest.raises(ValueError, match="row indices"):
        strongest_edges(np.zeros((3, 2)), 10, rows=np.arange(2))
    assert len(strongest_edges(np.zeros((0, 4)), 10)) == 0
