"""Metric history: curves of long runs stay bounded in memory and still cover the whole run."""

import numpy as np

from visualizer.core.history import MetricHistory


def test_a_million_points_stay_bounded_monotonic_and_correctly_averaged():
    history = MetricHistory(max_points=1000)
    n = 1_000_000
    for i in range(n):
        # loss is linear in x, so any mean of points must stay on the same line.
        history.add_train(i / 1000, 3.0 * i + 1.0, (i % 2) * 1.0)
        assert i % 50_000 or len(history) <= 1000
    view = history.view()
    assert len(history) <= 1000 and view.train_x.size <= 1000
    assert np.all(np.diff(view.train_x) > 0)
    np.testing.assert_allclose(view.train_loss, 3.0 * view.train_x * 1000 + 1.0)
    # The whole run stays covered: the first point averages the first bin, the last is the newest data.
    stride = round((view.train_x[1] - view.train_x[0]) * 1000)
    assert stride > 1 and stride & (stride - 1) == 0  # power-of-two bins
    np.testing.assert_allclose(view.train_x[0], (stride - 1) / 2 / 1000)
    assert view.train_x[-1] > (n - stride) / 1000
    # Equal-weight bins of alternating 0/1 average to exactly 0.5.
    np.testing.assert_allclose(view.train_accuracy[:-1], 0.5)


def test_halving_averages_neighbours():
    history = MetricHistory(max_points=9)  # 8 stored rows + the newest partial one
    for i in range(8):
        history.add_train(float(i), float(i * i), 0.0)
    view = history.view()
    np.testing.assert_allclose(view.train_x, [0.5, 2.5, 4.5, 6.5])
    np.testing.assert_allclose(view.train_loss, [0.5, 6.5, 20.5, 42.5])
    history.add_train(8.0, 64.0, 0.0)  # half a bin of two: shown at once as the newest point
    np.testing.assert_allclose(history.view().train_x, [0.5, 2.5, 4.5, 6.5, 8.0])


def test_short_runs_keep_every_point_and_views_are_copies():
    history = MetricHistory()
    for epoch in range(3):
        history.add_train(epoch + 0.5, 1.0 / (epoch + 1), 0.5)
        history.add_validation(epoch + 1.0, 2.0 / (epoch + 1), 0.4)
    view = history.view()
    np.testing.assert_array_equal(view.train_x, [0.5, 1.5, 2.5])
    np.testing.assert_array_equal(view.val_x, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(view.val_loss, [2.0, 1.0, 2 / 3])
    view.train_x[0] = 99.0
    assert history.view().train_x[0] == 0.5
    assert len(MetricHistory()) == 0 and MetricHistory().view().train_x.size == 0
