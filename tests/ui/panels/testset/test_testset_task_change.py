"""An open confusion cell across a change of task: closed when the matrix counts other classes, kept
(with its digits recounted) when only the weights changed."""

from __future__ import annotations

import numpy as np
import pytest
from test_testset import _digits, evaluated

from visualizer.core.confusion import binary_labels
from visualizer.ui.panels.testset.panel import CELL_HINT, TestSetPanel


@pytest.fixture
def browser(qtbot):
    b = TestSetPanel(seed=0)
    qtbot.addWidget(b)
    b.resize(900, 650)
    b.show()
    qtbot.waitExposed(b)
    return b


def _open_biggest_mistake(b):
    m = b.confusion.matrix().copy()
    np.fill_diagonal(m, -1)
    t, p = np.unravel_index(int(np.argmax(m)), m.shape)
    b._on_cell_clicked(int(t), int(p))
    assert b.open_cell() == (t, p) and b.listed_indices().size == m[t, p] > 0
    return int(t), int(p)


def _assert_closed(b):
    assert b.open_cell() is None
    assert b.listed_indices().size == 0 and b.cell_list.count() == 0
    assert b.cell_label.text() == CELL_HINT
    assert b._beside.currentWidget() is b.bars  # the bars are back beside the digit


def test_importing_a_one_neuron_network_closes_the_open_cell(browser, qtbot, make_snapshot, make_one_neuron):
    """The reviewer's t12: cell (true 8, predicted 5) open, then File ▸ Import weights of a 784-1
    network: the panel read "0 digits: 6, answered yes" with an empty list, the cell holding 928."""
    x, y = _digits()
    browser.set_dataset(x, y)
    evaluated(qtbot, browser, lambda: browser.set_snapshot(make_snapshot(seed=5)))
    _open_biggest_mistake(browser)
    evaluated(qtbot, browser, lambda: browser.set_snapshot(make_one_neuron(6)))
    assert browser.confusion.matrix().shape == (2, 2)
    _assert_closed(browser)
    # Any cell of the new matrix opens with its own digits.
    browser._on_cell_clicked(1, 1)
    m = browser.confusion.matrix()
    assert browser.listed_indices().size == min(m[1, 1], 300)
    # Another digit's one-neuron network is another task too; back to ten digits as well.
    evaluated(qtbot, browser, lambda: browser.set_snapshot(make_one_neuron(3)))
    _assert_closed(browser)
    browser._on_cell_clicked(0, 0)
    evaluated(qtbot, browser, lambda: browser.set_snapshot(make_snapshot(seed=5)))
    assert browser.confusion.matrix().shape == (10, 10)
    _assert_closed(browser)


def test_new_weights_for_the_same_task_keep_the_cell_open_and_recount_it(browser, qtbot, make_snapshot,
                                                                         make_one_neuron):
    x, y = _digits()
    browser.set_dataset(x, y)
    evaluated(qtbot, browser, lambda: browser.set_snapshot(make_snapshot(seed=5)))
    t, p = _open_biggest_mistake(browser)
    evaluated(qtbot, browser, lambda: browser.set_snapshot(make_snapshot(seed=6)))
    assert browser.open_cell() == (t, p)
    assert browser.listed_indices().size == browser.confusion.matrix()[t, p]
    # The same for one neuron: its cells count "is it a 6?", not the digits' own labels.
    evaluated(qtbot, browser, lambda: browser.set_snapshot(make_one_neuron(6, seed=0)))
    browser._on_cell_clicked(0, 1)
    evaluated(qtbot, browser, lambda: browser.set_snapshot(make_one_neuron(6, seed=1)))
    assert browser.open_cell() == (0, 1)
    said_yes = browser.evaluation().predictions
    expected = np.flatnonzero((binary_labels(y, 6) == 0) & (said_yes == 1))
    np.testing.assert_array_equal(browser.listed_indices(), expected[:300])
    assert f"{expected.size:,} digit" in browser.cell_label.text()
