"""The network view stays readable and bounded for wide layers: titles apart, labels whole, few items, hover per neuron."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QPointF
from PySide6.QtTest import QTest

from visualizer.core.edges import FAN_BUDGET, PAIR_CAP, WIDE_EDGES
from visualizer.ui.panels.network.marks import PINNED_FAN
from visualizer.ui.panels.network.view import NetworkView, NeuronInfo

from view_inputs import _ring_digit

WIDE_NET = (1024, 1024, 1024)
# The bound the view promises at 1024,1024,1024: the ten outputs as discs and one image per wide
# layer; the input fan and each layer pair at most their budgets, plus a pinned neuron's fan.
MAX_NEURON_ITEMS = 10 + 3
MAX_SEGMENTS = FAN_BUDGET + 3 * WIDE_EDGES + 2 * PINNED_FAN


def _view(qtbot, make_snapshot, hidden, size):
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    snap = make_snapshot(hidden=hidden, seed=2)
    acts = snap.network.forward(_ring_digit())
    predicted = int(np.argmax(acts[-1]))
    view.set_frame(snap, acts, predicted=predicted, true_label=(predicted + 1) % 10)  # a wrong one: the longest label
    for _ in range(5):
        QCoreApplication.sendPostedEvents()
        QCoreApplication.processEvents()
    return view, snap, acts


@pytest.mark.parametrize("size", [(1024, 700), (560, 380)], ids=["1024x700", "dock"])
@pytest.mark.parametrize("hidden", [(16, 16), WIDE_NET], ids=["16-16", "1024-1024-1024"])
def test_titles_apart_and_output_labels_whole(qtbot, make_snapshot, hidden, size):
    view, _, _ = _view(qtbot, make_snapshot, hidden, size)
    boxes = [t.sceneBoundingRect() for t in view._titles]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.intersects(b), [t.toPlainText() for t in view._titles]
    shown = view._vb.sceneBoundingRect()
    labels = [t for t in view._out_labels if "is" in t.toPlainText()]
    assert labels, "the wrong prediction is marked"
    for label in view._out_labels:
        assert shown.contains(label.sceneBoundingRect()), label.toPlainText()


def test_wide_network_draws_a_bounded_number_of_items(qtbot, make_snapshot):
    view, snap, _ = _view(qtbot, make_snapshot, WIDE_NET, (1024, 700))
    neurons, segments = view.drawn_items()
    assert neurons <= MAX_NEURON_ITEMS
    assert 0 < segments <= FAN_BUDGET + 3 * WIDE_EDGES
    view.click_at(QPointF(*view._pos[2][700]))  # pinning a wide neuron adds its strongest connections only
    assert view.pinned_info().index == 700
    assert view.drawn_items()[1] <= MAX_SEGMENTS
    # The same for a small network stays as before: every deeper edge of 16x16 is drawn.
    small, *_ = _view(qtbot, make_snapshot, (16, 16), (1024, 700))
    assert small.drawn_items()[1] >= 16 * 16 + 16 * 10
    assert small.drawn_items()[1] <= FAN_BUDGET + 16 * 16 + 16 * 10 and PAIR_CAP >= 16 * 16


def test_hover_in_a_1024_wide_layer_reports_that_neuron(qtbot, make_snapshot):
    view, snap, acts = _view(qtbot, make_snapshot, WIDE_NET, (1024, 700))
    viewport = view._canvas.viewport()
    QTest.mouseMove(viewport, viewport.rect().topLeft() + viewport.rect().center() * 0)
    for index in (0, 517, 1023):
        x, y = view._pos[2][index]
        scene = view._vb.mapViewToScene(QPointF(x, y))
        with qtbot.waitSignal(view.neuron_hovered, timeout=2000) as blocker:
            QTest.mouseMove(viewport, view._canvas.mapFromScene(scene))
        info = blocker.args[0]
        assert isinstance(info, NeuronInfo)
        assert (info.layer, info.index) == (2, index)
        assert info.activation == pytest.approx(float(acts[2][index]))
        assert f"neuron {index}" in view._inset_text.toPlainText()
    # Neighbouring cells are different neurons: the cells are far enough apart to tell apart.
    x, y = view._pos[2][517]
    cell = view._spot[2]
    assert view.neuron_at(QPointF(x + cell, y)) == (2, 518)
    assert view._to_pixels(cell) >= 3
