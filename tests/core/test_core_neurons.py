"""Neuron analysis: the response matrix, top images and histograms equal a direct computation; dead neurons are found."""

import numpy as np
import pytest

from analysis_helpers import random_network
from visualizer.core.network import Network
from visualizer.core.neurons import analyze_neurons


def images_and_labels(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)


def with_neuron(network: Network, layer: int, unit: int, weight: float, bias: float) -> Network:
    """``network`` with one neuron's incoming weights all set to ``weight`` and its bias to ``bias``."""
    weights = [w.copy() for w in network.weights]
    biases = [b.copy() for b in network.biases]
    weights[layer][:, unit] = weight
    biases[layer][unit] = bias
    return Network.from_arrays(weights, biases, network.hidden_activations, output=network.output)


@pytest.mark.parametrize("chunk", [None, 37])  # one pass, and many chunks merged
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_everything_equals_a_direct_computation(chunk, activation):
    net = random_network((16, 12), activation, seed=1)
    x, y = images_and_labels()
    y[y == 9] = 8  # a digit with no images
    y[np.flatnonzero(y == 7)[3:]] = 6  # and one with fewer than 9
    result = analyze_neurons(net, x, y, chunk=chunk)
    assert result.count == 300 and len(result.layers) == 2
    for j, layer in enumerate(result.layers):
        # The same chunks as the analysis: float32 matrix products differ in the last bits by block size.
        step = chunk or len(x)
        a = np.concatenate([net.forward(x[i : i + step])[j + 1] for i in range(0, len(x), step)]).astype(np.float64)
        assert layer.name == f"Hidden {j + 1}" and layer.mean_by_class.shape == (10, a.shape[1])
        for digit in range(9):
            np.testing.assert_allclose(layer.mean_by_class[digit], a[y == digit].mean(axis=0), rtol=1e-5, atol=1e-7)
        assert np.isnan(layer.mean_by_class[9]).all()
        np.testing.assert_array_equal(layer.class_counts, np.bincount(y, minlength=10))
        np.testing.assert_allclose(layer.mean, a.mean(axis=0), rtol=1e-5, atol=1e-7)
        # Ties (relu zeros) may come in any order: the images' own activations must be the 9 largest.
        units = np.arange(a.shape[1])[:, None]
        np.testing.assert_allclose(layer.top_values, -np.sort(-a, axis=0)[:9].T, rtol=1e-6)
        np.testing.assert_allclose(a[layer.top_images, units], layer.top_values, rtol=1e-6)
        assert len(set(layer.top_images[0])) == 9
        for digit in (2, 7):
            members = np.flatnonzero(y == digit)
            k = min(9, members.size)
            found = layer.top_by_class[digit][:, :k]
            assert (y[found] == digit).all()
            np.testing.assert_allclose(a[found, units], -np.sort(-a[members], axis=0)[:k].T, rtol=1e-6)
        assert (layer.top_by_class[7][:, 3:] == -1).all() and np.isnan(layer.top_by_class_values[7][:, 3:]).all()
        for unit in (0, 5):
            counts, edges = np.histogram(a[:, unit], bins=layer.histogram.shape[1])
            np.testing.assert_allclose(layer.histogram_edges[unit], edges, rtol=1e-6)
            np.testing.assert_array_equal(layer.histogram[unit], counts)
        mid = 0.0
        np.testing.assert_allclose(layer.fire_rate, (a > mid).mean(axis=0))


def test_a_fixed_sample_is_reproducible_and_its_indices_refer_to_the_whole_set():
    net = random_network(seed=2)
    x, y = images_and_labels(500, seed=3)
    one = analyze_neurons(net, x, y, sample=120, seed=4)
    two = analyze_neurons(net, x, y, sample=120, seed=4)
    assert one.count == 120 and np.isin(one.layers[0].top_images, one.indices).all()
    np.testing.assert_array_equal(one.layers[1].top_images, two.layers[1].top_images)
    sub = analyze_neurons(net, x[one.indices], y[one.indices])
    np.testing.assert_allclose(one.layers[0].mean_by_class, sub.layers[0].mean_by_class)
    np.testing.assert_array_equal(one.indices[sub.layers[0].top_images], one.layers[0].top_images)


def test_a_relu_forced_dead_is_flagged_and_counted_and_an_always_active_one_is_not():
    net = random_network(seed=5)
    net = with_neuron(net, 0, 3, 0.0, -1.0)  # outputs 0 whatever the image
    net = with_neuron(net, 0, 8, 0.01, 2.0)  # always on
    net = with_neuron(net, 1, 0, -0.5, -0.1)  # Hidden 2: negative weights from non-negative inputs
    x, y = images_and_labels()
    result = analyze_neurons(net, x, y)
    h1, h2 = result.layers
    assert h1.dead[3] and not h1.dead[8] and h1.fire_rate[8] == 1.0
    assert h2.dead[0]
    assert h1.dead_count == int((net.forward(x)[1].max(axis=0) <= 0).sum()) >= 1
    assert h1.dead_text() == f"{h1.dead_count} of 16 in Hidden 1 never {'fires' if h1.dead_count == 1 else 'fire'}"
    assert "Hidden 2" in result.dead_summary() and result.dead_count == h1.dead_count + h2.dead_count
    np.testing.assert_array_equal(h1.histogram[3], np.histogram(np.zeros(300), 24)[0])  # all 300 in one bin


def test_a_stuck_sigmoid_is_dead_but_a_saturated_yet_varying_one_is_not():
    net = random_network((16,), "sigmoid", seed=6)
    net = with_neuron(net, 0, 2, 0.0, -30.0)  # constant ~0
    net = with_neuron(net, 0, 4, 0.0, 30.0)  # constant ~1
    rng = np.random.default_rng(7)
    weights = [w.copy() for w in net.weights]
    weights[0][:, 6] = rng.normal(0, 0.2, 784)
    biases = [b.copy() for b in net.biases]
    biases[0][6] = 2.5  # mostly high, still changes with the image
    net = Network.from_arrays(weights, biases, "sigmoid")
    layer = analyze_neurons(net, *images_and_labels()).layers[0]
    assert layer.dead[2] and layer.dead[4] and not layer.dead[6]
    assert layer.fire_rate[4] == 1.0 and layer.fire_rate[2] == 0.0
    assert layer.dead_text().endswith("(output stuck)") and "varies by less than" in layer.dead_rule


def test_a_network_without_hidden_layers_and_bad_input():
    x, y = images_and_labels(20)
    assert analyze_neurons(random_network(()), x, y).layers == ()
    net = random_network(seed=8)
    with pytest.raises(ValueError, match="digits 0 to 9"):
        analyze_neurons(net, x, np.full(20, 10))
    with pytest.raises(ValueError, match="20 images for 19 labels"):
        analyze_neurons(net, x, y[:19])
    with pytest.raises(ValueError, match=r"\(n, 784\)"):
        analyze_neurons(net, x[:, :100], y)
