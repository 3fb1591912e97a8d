"""Activation maximization climbs, noise gets an explained answer, and fool-it flips the answer within its budget."""

import numpy as np
import pytest

from analysis_helpers import blob_digits, random_network, train_numpy
from visualizer.core.dream import blur, dream_digit, feed_noise, fool, maximize_activation
from visualizer.core.network import Network


@pytest.fixture(scope="module")
def trained():
    """A 784-16-16-10 relu network trained with numpy SGD on ten made-up digit classes, and its data."""
    x, y = blob_digits(60, seed=2)
    net = train_numpy(random_network(seed=3), x, y, epochs=4)
    assert np.mean(net.predict(x) == y) > 0.9
    return net, x, y


@pytest.mark.parametrize("start", ["blank", "noise"])
def test_dreaming_of_a_digit_raises_its_output_and_stays_an_image(trained, start):
    net = trained[0]
    for digit in (0, 3, 8):
        d = dream_digit(net, digit, start=start, seed=digit)
        assert d.image.shape == (28, 28) and d.image.dtype == np.float32
        assert d.image.min() >= 0.0 and d.image.max() <= 1.0
        assert d.value > d.value_start + 1.0 and d.activation > d.activation_start
        assert d.history[0] == pytest.approx(d.value_start) and d.history[-1] == pytest.approx(d.value)
        assert int(np.argmax(d.probabilities)) == digit and d.name == f"Output {digit}"
    if start == "blank":
        assert not d.start.any()


def test_a_hidden_neuron_and_a_start_image(trained):
    net, x, _ = trained
    d = maximize_activation(net, 2, 5, start=x[0])
    assert d.name == "Hidden 2 #6" and d.value > d.value_start
    np.testing.assert_allclose(d.start.ravel(), x[0])
    down = maximize_activation(net, 1, 0, minimize=True, start="noise")
    assert down.value > down.value_start  # the objective is the negated pre-activation
    assert net.forward_full(down.image)[0][0][0] < net.forward_full(down.start)[0][0][0]


def test_a_blank_start_with_every_relu_off_still_gets_going():
    net = random_network(seed=4)
    biases = [b.copy() for b in net.biases]
    biases[0][:] = -0.5  # at a black image every first-layer relu is off: the gradient is zero
    net = Network.from_arrays(net.weights, biases, "relu")
    d = dream_digit(net, 2, start="blank")
    assert d.value > d.value_start


def test_a_yes_no_network_dreams_of_yes_and_of_no(trained):
    _, x, y = trained
    net = train_numpy(random_network((8,), "tanh", outputs=1, seed=5), x, (y == 3).astype(np.int64))
    yes, no = dream_digit(net, 1), dream_digit(net, 0)
    assert yes.probabilities[0] > 0.9 and no.probabilities[0] < 0.1
    assert (yes.name, no.name) == ("Output yes", "Output no")


def test_blur_keeps_a_flat_image_and_spreads_a_dot():
    np.testing.assert_allclose(blur(np.full((28, 28), 0.4)), 0.4)
    dot = np.zeros((28, 28))
    dot[10, 10] = 1.0
    b = blur(dot)
    assert b[10, 10] == pytest.approx(0.25) and b[9, 10] == pytest.approx(0.125) and b.sum() == pytest.approx(1.0)


def test_feeding_noise_gives_the_networks_answer_and_says_why(trained):
    net = trained[0]
    a = feed_noise(net, seed=1)
    assert a.image.shape == (28, 28) and 0 <= a.image.min() and a.image.max() <= 1
    assert a.prediction == net.predict(a.image) and a.confidence == pytest.approx(a.probabilities.max())
    assert f"says {a.prediction} ({a.confidence:.0%}" in a.explanation
    assert "trained only on digits" in a.explanation and "100%" in a.explanation
    np.testing.assert_array_equal(feed_noise(net, seed=1).image, a.image)
    b = feed_noise(random_network(outputs=1), seed=2)
    assert b.prediction in (0, 1) and ("yes" in b.explanation or "no" in b.explanation)


def test_fool_it_changes_the_answer_within_its_budget(trained):
    net, x, y = trained
    fooled = 0
    for i in range(5):
        target = (int(y[i]) + 1 + i) % 10
        r = fool(net, x[i], target)
        assert r.prediction_before == y[i]
        if r.succeeded:
            fooled += 1
            assert r.prediction_after == target == net.predict(r.image)
            assert np.abs(r.perturbation).max() <= r.epsilon + 1e-6 <= 0.3 + 1e-6
            assert r.image.min() >= 0 and r.image.max() <= 1
            np.testing.assert_allclose(r.image - r.original, r.perturbation)
            assert r.message.startswith("No pixel changed by more than") and f"answers {target}" in r.message
        else:
            assert r.prediction_after != target and r.message.startswith("Could not")
    assert fooled >= 4
    # The smallest budget that works: one step less of budget does not.
    r = fool(net, x[0], (int(y[0]) + 1) % 10)
    if r.epsilon > 0.01:
        assert not fool(net, x[0], r.target, max_epsilon=r.epsilon - 0.01 + 1e-9).succeeded


def test_fool_it_says_when_it_could_not_and_when_there_is_nothing_to_do(trained):
    net, x, y = trained
    r = fool(net, x[0], (int(y[0]) + 1) % 10, max_epsilon=0.01, epsilon_step=0.01, steps_per_epsilon=1)
    assert not r.succeeded and r.prediction_after == y[0]
    assert r.message.startswith("Could not make it answer") and "0.01 per pixel" in r.message
    same = fool(net, x[0], int(y[0]))
    assert same.succeeded and same.steps == 0 and not same.perturbation.any() and "already answers" in same.message


def test_bad_arguments(trained):
    net = trained[0]
    with pytest.raises(ValueError, match="layer must be between 1 and 3"):
        maximize_activation(net, 0, 0)
    with pytest.raises(ValueError, match="Hidden 1 has neurons 0 to 15"):
        maximize_activation(net, 1, 16)
    with pytest.raises(ValueError, match="start must be"):
        maximize_activation(net, 1, 0, start="grey")
    with pytest.raises(ValueError, match="digit between 0 and 9"):
        fool(net, np.zeros(784), 12)
    with pytest.raises(ValueError, match="784 pixels"):
        fool(net, np.zeros(100), 1)
    with pytest.raises(ValueError, match="NaN"):
        fool(net, np.full(784, np.nan), 1)
