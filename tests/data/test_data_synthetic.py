"""Synthetic digits: deterministic per seed, balanced, framed like MNIST, quick to generate."""

import time

import numpy as np
import pytest

from visualizer.data.synthetic import generate_digits, synthetic_dataset


@pytest.fixture(scope="module")
def digits():
    return generate_digits(2000, seed=5)


def test_same_seed_same_digits_other_seed_other_digits(digits):
    x, y = digits
    x2, y2 = generate_digits(2000, seed=5)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = generate_digits(2000, seed=6)
    assert not np.array_equal(x, x3)


def test_arrays_and_balance(digits):
    x, y = digits
    assert x.shape == (2000, 784) and x.dtype == np.float32 and x.flags.c_contiguous
    assert y.dtype == np.uint8
    assert np.bincount(y, minlength=10).tolist() == [200] * 10
    assert x.min() == 0 and 0.9 < x.max() <= 1
    assert len(set(y[:30].tolist())) > 5  # shuffled, not sorted by class


def test_mnist_like_framing(digits):
    x, _ = digits
    img = x.reshape(-1, 28, 28)
    mass = img.sum((1, 2))
    rows = (img.sum(2) * np.arange(28)).sum(1) / mass
    cols = (img.sum(1) * np.arange(28)).sum(1) / mass
    # Real MNIST: centre of mass at (14.0, 14.0), standard deviation about 0.3 px.
    assert abs(rows.mean() - 14) < 0.3 and abs(cols.mean() - 14) < 0.3
    assert np.percentile(np.abs(rows - 14), 99) < 1.5
    inked = img > 0.1
    height = inked.any(2).sum(1)
    assert 17 <= np.median(height) <= 21  # MNIST: fits a 20x20 box
    sides = inked[:, :2].any((1, 2)) | inked[:, :, :2].any((1, 2)) | inked[:, :, -2:].any((1, 2))
    assert sides.mean() < 0.02  # the margin stays empty ...
    assert inked[:, -2:].any((1, 2)).mean() < 0.12  # ... except below tall digits, as in MNIST (10%)
    assert 0.08 < x.mean() < 0.2  # MNIST: 0.13


def test_classes_differ_but_samples_vary(digits):
    x, y = digits
    means = np.stack([x[y == d].mean(0) for d in range(10)])
    spread = np.linalg.norm(means[:, None] - means[None], axis=-1)[~np.eye(10, dtype=bool)]
    within = np.mean([np.linalg.norm(x[y == d] - means[d], axis=1).mean() for d in range(10)])
    assert spread.min() > 1.0  # every pair of digit classes looks different on average
    assert within > 3.0  # ... while samples of one class are far from identical


def test_nearest_class_mean_is_good_but_not_perfect(digits):
    # A linear-ish baseline should do well (learnable) yet not perfectly (not trivial).
    x, y = digits
    means = np.stack([x[y == d][:100].mean(0) for d in range(10)])
    test_x, test_y = x[1000:], y[1000:]
    pred = np.argmin(((test_x[:, None] - means[None]) ** 2).sum(-1), axis=1)
    accuracy = (pred == test_y).mean()
    assert 0.6 < accuracy < 0.97


def test_default_dataset_sizes_and_speed():
    start = time.process_time()
    ds = synthetic_dataset(seed=0)
    cpu = time.process_time() - start
    assert (len(ds.x_train), len(ds.x_test)) == (12_000, 2_000)
    assert ds.is_synthetic and ds.source == "synthetic digits (generated)" and not ds.test_is_holdout
    assert "not MNIST" in ds.note
    assert np.bincount(ds.y_test, minlength=10).tolist() == [200] * 10
    assert not np.array_equal(ds.x_train[:2000], ds.x_test)
    assert cpu < 6.0  # about 1.2 s of CPU on a laptop; loose so a busy CI machine passes
