"""The current input and its analysis: set in one place, computed once per (network, input)."""

from __future__ import annotations

import numpy as np
import pytest

from visualizer.core.saliency import saliency
from visualizer.core.snapshot import TrainingSnapshot
from visualizer.session import CurrentInput, InputSource

from session_fakes import tiny_network


def test_test_digits_become_the_input_with_their_label(make_session):
    session = make_session()
    session.start_loading()
    changes = []
    session.input_changed.connect(changes.append)
    session.show_test_digit(7)  # wraps around the 5 test digits
    (current,) = changes
    assert current.source is InputSource.TEST_DIGIT and current.test_index == 2
    assert current.label == int(session.dataset.y_test[2]) and current.name == "Test digit #3"
    np.testing.assert_array_equal(current.vector, session.dataset.x_test[2])
    session.show_test_digit(2)
    session.set_input(CurrentInput(session.dataset.x_test[2], InputSource.TEST_DIGIT, current.label, current.name, 2))
    assert len(changes) == 1, "the same input again is not a change"
    session.set_input(None)
    session.set_input(None)
    assert changes[-1] is None and len(changes) == 2


def test_the_analysis_is_computed_once_per_network_and_input(make_session):
    session = make_session()
    session.start_loading()
    cache = session.analyses
    before = cache.computed
    first = session.analysis()
    for _ in range(3):  # network view, pad and test browser of one frame
        assert session.analysis() is first
    row = session.dataset.x_test[0]  # the browser's own row of the test set: same pixels, other array
    assert session.analyze(session.latest.network, row) is first
    assert cache.computed == before + 1
    net = session.latest.network
    np.testing.assert_allclose(first.probabilities, net.forward(row)[-1])
    assert first.predicted == int(np.argmax(first.probabilities))
    np.testing.assert_allclose(first.saliency, saliency(net, row, first.predicted))


def test_a_new_network_or_new_pixels_are_analysed_anew(make_session, fakes):
    runner, _, _ = fakes
    session = make_session()
    session.start_loading()
    cache = session.analyses
    a = session.analysis()
    session.start()
    same_weights = runner.snapshot(1)  # continues from the adopted network object: nothing new to compute
    assert session.analysis() is a
    session.on_snapshot(TrainingSnapshot.of_network(tiny_network(99), run_id=same_weights.run_id, step=2))
    b = session.analysis()
    session.set_input(CurrentInput(np.ones(784, np.float32)))
    c = session.analysis()
    assert len({id(a), id(b), id(c)}) == 3 and cache.computed == 3
    assert b.network is session.latest.network and c.network is b.network


def test_an_input_must_be_784_values_and_is_read_only():
    with pytest.raises(ValueError, match="784"):
        CurrentInput(np.zeros(100))
    x = np.zeros((28, 28), np.float32)
    current = CurrentInput(x)
    x[0, 0] = 1.0
    assert current.vector[0] == 0.0 and not current.vector.flags.writeable
