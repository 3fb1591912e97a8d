"""The test-set browser of a one-neuron network: a 2x2 confusion ("not 6" / "6") with precision, recall
and balanced accuracy, a yes/no verdict, and cells that list exactly their digits."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from visualizer.core.confusion import binary_labels
from visualizer.ui.panels.testset.panel import MAX_THUMBNAILS, TestSetPanel


@pytest.fixture
def browser(qtbot, make_one_neuron):
    b = TestSetPanel(seed=0)
    qtbot.addWidget(b)
    b.resize(900, 650)
    b.show()
    qtbot.waitExposed(b)
    rng = np.random.default_rng(2)
    x, y = rng.random((300, 784), dtype=np.float32) * 0.5, rng.integers(0, 10, 300)
    x[y == 6, 500:] += 0.5  # the 6s carry ink low in the image, which the neuron says yes to
    snap = make_one_neuron(6)
    b.set_dataset(x, y)
    with qtbot.waitSignal(b.evaluated, timeout=5000):
        b.set_snapshot(snap)
    return b, x, y, snap.network


def test_the_matrix_is_two_by_two_with_the_digit_and_the_rest(browser):
    b, x, y, net = browser
    said_yes = net.probabilities(x)[:, 0] >= 0.5
    truth = y == 6
    m = b.confusion.matrix()
    assert m.tolist() == [[int(np.sum(~truth & ~said_yes)), int(np.sum(~truth & said_yes))],
                          [int(np.sum(truth & ~said_yes)), int(np.sum(truth & said_yes))]]
    assert [b.confusion.label(i) for i in (0, 1)] == ["not 6", "6"]
    r = b.evaluation()
    recall_rest, recall_six = m[0, 0] / m[0].sum(), m[1, 1] / m[1].sum()
    assert b.confusion.title().startswith(f"Balanced accuracy {100 * (recall_rest + recall_six) / 2:.1f}%")
    text = b.eval_label.text()
    assert f"precision {100 * r.precision:.1f}%" in text and f"recall {100 * recall_six:.1f}%" in text
    assert r.balanced_accuracy == pytest.approx((recall_rest + recall_six) / 2)


@pytest.mark.parametrize("want_six", [True, False])
def test_the_verdict_is_yes_or_no_and_right_or_wrong(browser, want_six):
    b, x, y, net = browser
    i = int(np.flatnonzero((y == 6) == want_six)[0])
    b.show_index(i)
    p = float(net.probabilities(x[i])[0])
    right = (p >= 0.5) == want_six
    text = b.verdict.text()
    assert f"True label <b>{y[i]}</b>" in text
    assert ("yes, a 6" if p >= 0.5 else "no, not a 6") in text
    assert ("\N{CHECK MARK}" if right else "\N{BALLOT X}") in text
    assert b.bars.summary() == f"P(6) = {p:.2f} — {'yes, a 6' if p >= 0.5 else 'no, not a 6'}"


def test_a_cell_lists_the_digits_it_counts(browser, qtbot):
    b, x, y, net = browser
    said_yes = (net.probabilities(x)[:, 0] >= 0.5).astype(int)
    truth = binary_labels(y, 6)
    for t, p in ((1, 1), (0, 1)):
        view = b.confusion
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.cell_rect(t, p).center().toPoint())
        expected = np.flatnonzero((truth == t) & (said_yes == p))
        assert expected.size, "the cell must hold digits for the test to mean anything"
        np.testing.assert_array_equal(b.listed_indices(), expected[:MAX_THUMBNAILS])
        assert ("6, answered correctly" if t == p else "not 6, answered yes") in b.cell_label.text()
        b.close_cell()
