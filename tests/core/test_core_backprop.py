"""Backpropagation: exact gradients (finite differences), batch averages, and an SGD step that helps."""

import numpy as np
import pytest

from analysis_helpers import blob_digits, random_network, train_numpy
from visualizer.core.backprop import batch_gradient, example_gradient, input_tiles, preview_step, sgd_step
from visualizer.core.network import Network


def loss64(network: Network, x, target) -> float:
    """The loss recomputed independently in float64 (for finite differences)."""
    a = np.asarray(x, np.float64).reshape(-1)
    f = {"relu": lambda v: np.maximum(v, 0), "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh}
    for w, b, name in zip(network.weights[:-1], network.biases[:-1], network.hidden_activations, strict=True):
        a = f[name](a @ w.astype(np.float64) + b)
    z = a @ network.weights[-1].astype(np.float64) + network.biases[-1]
    if network.is_binary:
        p = 1 / (1 + np.exp(-z[0]))
        return float(-(target * np.log(p) + (1 - target) * np.log(1 - p)))
    return float(np.log(np.exp(z - z.max()).sum()) + z.max() - z[target])


def with_param(network: Network, layer: int, index, delta: float, bias: bool) -> Network:
    weights = [w.astype(np.float64) for w in network.weights]
    biases = [b.astype(np.float64) for b in network.biases]
    (biases if bias else weights)[layer][index] += delta
    return Network.from_arrays(weights, biases, network.hidden_activations, output=network.output)


@pytest.mark.parametrize(("hidden", "activation", "outputs"), [
    ((16, 16), "relu", 10), ((8,), "sigmoid", 10), ((6, 5, 4), "tanh", 10), ((), "relu", 10), ((12,), "tanh", 1),
])
def test_gradients_match_finite_differences(hidden, activation, outputs):
    net = random_network(hidden, activation, outputs, seed=1)
    x = np.random.default_rng(2).uniform(0, 1, 784)
    target = 1 if outputs == 1 else 4
    g = example_gradient(net, x, target)
    assert g.loss == pytest.approx(loss64(net, x, target), rel=1e-5)
    rng = np.random.default_rng(3)
    eps = 1e-3  # float32 weights: a coarse step keeps the round-off below the check's tolerance
    for layer, w in enumerate(net.weights):
        for _ in range(4):
            i, j = rng.integers(w.shape[0]), rng.integers(w.shape[1])
            numeric = (loss64(with_param(net, layer, (i, j), eps, False), x, target)
                       - loss64(with_param(net, layer, (i, j), -eps, False), x, target)) / (2 * eps)
            assert g.weight_gradients[layer][i, j] == pytest.approx(numeric, rel=2e-2, abs=2e-5)
        numeric_b = (loss64(with_param(net, layer, j, eps, True), x, target)
                     - loss64(with_param(net, layer, j, -eps, True), x, target)) / (2 * eps)
        assert g.bias_gradients[layer][j] == pytest.approx(numeric_b, rel=2e-2, abs=2e-5)
    pixel = 300
    up, down = x.copy(), x.copy()
    up[pixel] += eps
    down[pixel] -= eps
    assert g.input_gradient[pixel] == pytest.approx((loss64(net, up, target) - loss64(net, down, target)) / (2 * eps),
                                                    rel=2e-2, abs=2e-5)


def test_output_error_and_nudges_point_at_the_target():
    net = random_network(seed=4)
    g = example_gradient(net, np.random.default_rng(5).random((28, 28)), 7)
    np.testing.assert_allclose(g.output_error, g.probabilities - np.eye(10)[7])
    assert g.nudges[7] > 0 and (np.delete(g.nudges, 7) < 0).all()
    assert g.loss == pytest.approx(-np.log(g.probabilities[7]))
    assert [d.shape for d in g.deltas] == [(16,), (16,), (10,)]
    assert [w.shape for w in g.weight_gradients] == [w.shape for w in net.weights]
    assert g.first_layer_tiles().shape == (16, 28, 28)
    np.testing.assert_array_equal(g.first_layer_tiles()[3].ravel(), g.weight_gradients[0][:, 3])
    np.testing.assert_array_equal(g.desired_changes[0], -g.deltas[0])


def test_relu_neurons_that_are_off_pass_no_gradient():
    net = random_network(seed=6)
    g = example_gradient(net, np.random.default_rng(7).random(784), 2)
    off = g.activations[1] == 0
    assert off.any()
    assert not g.deltas[0][off].any() and not g.weight_gradients[0][:, off].any()


def test_batch_gradient_is_the_mean_of_the_examples():
    net = random_network((10, 7), "sigmoid", seed=8)
    rng = np.random.default_rng(9)
    x, y = rng.random((23, 784)), rng.integers(0, 10, 23)
    batch = batch_gradient(net, x, y, chunk=5)  # several chunks, the last one partial
    singles = [example_gradient(net, xi, yi) for xi, yi in zip(x, y, strict=True)]
    for layer in range(3):
        # The products run in float32 like the forward pass: a batch and one example sum in another order.
        np.testing.assert_allclose(batch.weight_gradients[layer], np.mean([s.weight_gradients[layer] for s in singles], axis=0),
                                   rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(batch.bias_gradients[layer], np.mean([s.bias_gradients[layer] for s in singles], axis=0),
                                   rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(batch.losses, [s.loss for s in singles], rtol=1e-6)
    assert batch.loss == pytest.approx(np.mean([s.loss for s in singles]))
    np.testing.assert_array_equal(batch.predictions, net.predict(x))
    assert batch.count == 23 and batch.accuracy == np.mean(net.predict(x) == y)


def test_an_sgd_step_with_a_small_learning_rate_lowers_the_examples_loss():
    for hidden, activation, outputs, target in [((16, 16), "relu", 10, 3), ((16,), "tanh", 1, 0), ((), "relu", 10, 9)]:
        net = random_network(hidden, activation, outputs, seed=10)
        x = np.random.default_rng(11).random(784)
        step = preview_step(net, x, target, 0.01)
        assert step.loss_after < step.loss_before, (hidden, activation)
        assert step.loss_after == pytest.approx(example_gradient(step.after, x, target).loss)
        assert step.before is net and step.after is not net
        g = example_gradient(net, x, target)
        np.testing.assert_allclose(step.weight_changes[0], -0.01 * g.weight_gradients[0], atol=1e-7)
    # Only the example's target probability was asked to rise, and it did.
    assert step.probabilities_after[target] > step.probabilities_before[target]


def test_a_batch_step_previewed_on_one_example_and_training_with_it_learns():
    x, y = blob_digits(60, seed=1)
    net = random_network(seed=12)
    batch = batch_gradient(net, x[:32], y[:32])
    step = preview_step(net, x[0], int(y[0]), 0.5, gradient=batch)
    np.testing.assert_allclose(step.after.weights[1], sgd_step(net, batch, 0.5).weights[1])
    assert np.mean(net.predict(x) == y) < 0.3
    trained = train_numpy(net, x, y)
    assert np.mean(trained.predict(x) == y) > 0.9


def test_bad_targets_and_shapes_say_what_is_wrong():
    net = random_network(seed=13)
    with pytest.raises(ValueError, match="digit between 0 and 9"):
        example_gradient(net, np.zeros(784), 10)
    with pytest.raises(ValueError, match=r"0 \(no\) or 1 \(yes\)"):
        example_gradient(random_network(outputs=1), np.zeros(784), 3)
    with pytest.raises(ValueError, match="digit between 0 and 9"):
        batch_gradient(net, np.zeros((3, 784)), [1, 2, -1])
    with pytest.raises(ValueError, match="digit between 0 and 9, got 1.5"):
        batch_gradient(net, np.zeros((2, 784)), [1.5, 2])
    with pytest.raises(ValueError, match="3 images for 2 targets"):
        batch_gradient(net, np.zeros((3, 784)), [1, 2])
    with pytest.raises(ValueError, match="learning rate"):
        sgd_step(net, example_gradient(net, np.zeros(784), 1), float("nan"))
    with pytest.raises(ValueError, match="first-layer matrix"):
        input_tiles(np.zeros((10, 16)))
