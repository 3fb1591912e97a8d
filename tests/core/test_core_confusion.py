"""Evaluation for the test browser: confusion matrix, mistakes, and fast enough to run every epoch."""

import time

import numpy as np
import pytest

from visualizer.core.confusion import EvalResult, confusion_matrix, evaluate, indices_for_cell
from visualizer.core.network import Network


def network(seed=0, sizes=(784, 16, 16, 10)):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 1 / np.sqrt(a), (a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [np.zeros(b, np.float32) for b in sizes[1:]]
    return weights, biases


def test_confusion_matrix_counts_rows_true_columns_predicted():
    y_true = [0, 0, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 2, 0, 2]
    m = confusion_matrix(y_true, y_pred, n=3)
    np.testing.assert_array_equal(m, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert m.dtype == np.int64
    assert confusion_matrix([], [], n=10).shape == (10, 10)
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 10, 5000), rng.integers(0, 10, 5000)
    m = confusion_matrix(t, p)
    assert m.sum() == 5000 and m[3, 7] == np.sum((t == 3) & (p == 7))


@pytest.mark.parametrize("y_pred", [[0, 10], [0, -1], [0.5, 1.0], [0]])
def test_confusion_matrix_rejects_bad_labels(y_pred):
    with pytest.raises(ValueError):
        confusion_matrix([0, 1], y_pred, n=10)


def test_indices_for_cell():
    y_true = np.array([3, 5, 3, 3, 5])
    y_pred = np.array([5, 5, 3, 5, 3])
    np.testing.assert_array_equal(indices_for_cell(y_true, y_pred, 3, 5), [0, 3])
    np.testing.assert_array_equal(indices_for_cell(y_true, y_pred, 5, 3), [4])
    assert indices_for_cell(y_true, y_pred, 9, 9).size == 0


def test_evaluate_matches_forward_and_labels():
    weights, biases = network()
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (1000, 784)).astype(np.float32)
    proba = Network.from_arrays(weights, biases, "relu").forward(x)[-1]
    y = proba.argmax(1).copy()
    y[:100] = (y[:100] + 1) % 10  # exactly 100 wrong labels
    result = evaluate(Network.from_arrays(weights, biases, "relu"), x, y, batch=300)  # batch does not divide n
    assert isinstance(result, EvalResult)
    np.testing.assert_array_equal(result.predictions, proba.argmax(1))
    np.testing.assert_allclose(result.max_probabilities, proba.max(1), rtol=1e-6)
    np.testing.assert_array_equal(result.misclassified, np.arange(100))
    assert result.accuracy == pytest.approx(0.9)
    assert result.confusion.sum() == 1000 and np.trace(result.confusion) == 900
    np.testing.assert_array_equal(result.confusion, confusion_matrix(y, result.predictions))


def test_evaluate_accepts_uint8_images_and_empty_sets():
    weights, biases = network()
    images = np.random.default_rng(2).integers(0, 256, (50, 28, 28), dtype=np.uint8)
    y = np.zeros(50, np.int64)
    as_float = evaluate(Network.from_arrays(weights, biases, "tanh"), images.reshape(50, -1) / 255.0, y)
    as_uint8 = evaluate(Network.from_arrays(weights, biases, "tanh"), images, y)
    np.testing.assert_array_equal(as_uint8.predictions, as_float.predictions)
    empty = evaluate(Network.from_arrays(weights, biases, "relu"), np.zeros((0, 784), np.float32), np.zeros(0, np.int64))
    assert empty.accuracy == 0.0 and empty.predictions.size == 0 and empty.confusion.sum() == 0
    with pytest.raises(ValueError, match="labels"):
        evaluate(Network.from_arrays(weights, biases, "relu"), np.zeros((3, 784)), [0, 1])


def test_evaluate_10k_fast_enough_to_run_every_epoch():
    weights, biases = network()
    x = np.random.default_rng(3).uniform(0, 1, (10000, 784)).astype(np.float32)
    y = np.random.default_rng(4).integers(0, 10, 10000)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        evaluate(Network.from_arrays(weights, biases, "relu"), x, y)
        times.append(time.perf_counter() - start)
    # Target 50 ms (measured ~15 ms); a loose bound so a busy CI runner does not flake.
    assert np.median(times) < 0.2


def test_one_neuron_gives_a_2x2_confusion_with_precision_and_recall():
    import numpy as np

    from visualizer.core.confusion import balanced_accuracy, evaluate
    from visualizer.core.network import Network

    # The neuron says yes exactly when pixel 0 is bright; labels: 6 where it is, except one miss.
    w = np.zeros((784, 1), np.float32)
    w[0, 0] = 20.0
    net = Network.from_arrays([w], [np.array([-10.0], np.float32)])
    x = np.zeros((6, 784), np.float32)
    x[:3, 0] = 1.0  # yes, yes, yes, no, no, no
    y = np.array([6, 6, 1, 6, 2, 3])
    r = evaluate(net, x, y, digit=6)
    assert r.is_binary and r.confusion.tolist() == [[2, 1], [1, 2]]
    assert r.precision == pytest.approx(2 / 3) and r.recall == pytest.approx(2 / 3)
    assert r.accuracy == pytest.approx(4 / 6)
    assert balanced_accuracy([[90, 0], [10, 0]]) == 0.5  # always "no": 90% accurate, 50% balanced
