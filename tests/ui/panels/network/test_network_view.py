"""NetworkView draws what it is given: layers, lit neurons, the strongest connections, hover and pin."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QPointF, Qt
from PySide6.QtTest import QTest

from visualizer.ui.panels.network.view import NetworkView, NeuronInfo
from visualizer.core.edges import CONTEXT, FAN_PER_NEURON, LIT, WEIGHTS_PER_NEURON, WIDE, WIDE_EDGES
from visualizer.ui.panels.network.view import GRID, ZERO_SHADE
from visualizer.core.network import Network

from view_inputs import CONFIGS, _ring_digit


def _drawn_edges(view: NetworkView) -> int:
    return int(view._edges.counts.sum())


def _to_viewport(view: NetworkView, x: float, y: float):
    scene = view._vb.mapViewToScene(QPointF(x, y))
    return view._canvas.mapFromScene(scene)


# --------------------------------------------------------------------------- NetworkView
@pytest.mark.parametrize("hidden", CONFIGS, ids=lambda h: "-".join(map(str, h)))
def test_network_view_draws_any_architecture(network_view, make_snapshot, hidden):
    snap = make_snapshot(hidden=hidden, seed=1)
    acts = snap.network.forward(_ring_digit())
    predicted = int(np.argmax(acts[-1]))
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=predicted, true_label=predicted)

    narrow, wide = [h for h in hidden if h <= WIDE], [h for h in hidden if h > WIDE]
    assert len(network_view._neurons.data) == sum(narrow) + 10  # wide layers are a grid image each
    assert network_view.drawn_items()[0] == sum(narrow) + 10 + len(wide)
    titles = [t.toPlainText() for t in network_view._titles]
    assert titles[0] == "Input 28×28"
    assert titles[1] in (f"Hidden 1 ({hidden[0]})", f"H1 ({hidden[0]})")
    assert titles[-1] == "Output"
    np.testing.assert_array_equal(network_view._input_img.image, _ring_digit().reshape(28, 28))
    label = network_view._out_labels[predicted].toPlainText()
    assert label.startswith(f"{predicted}  {acts[-1][predicted]:.2f}") and "✓" in label
    # Every deeper pair small enough is drawn in full; the input fan is capped.
    n = _drawn_edges(network_view)
    assert 0 < n <= 480 + sum(WIDE_EDGES if max(a, b) > WIDE else min(a * b, 4096)
                              for a, b in zip(hidden, (*hidden[1:], 10), strict=True))
    assert "Input → Hidden 1: the" in network_view.edge_summary()
    # Neurons and the grid stay inside the view, and titles do not overlap each other.
    rect = network_view._vb.viewRect()
    for pos in network_view._pos:
        assert rect.contains(QPointF(*pos.min(axis=0))) and rect.contains(QPointF(*pos.max(axis=0)))
    boxes = [t.sceneBoundingRect() for t in network_view._titles[1:]]
    assert not any(a.intersects(b) for a, b in zip(boxes, boxes[1:], strict=False))


def test_network_view_edges_follow_weights(network_view, make_snapshot):
    """Without a digit: the strongest weights into each hidden-1 neuron (faint), all deeper ones by |w|."""
    snap = make_snapshot()
    network_view.set_weights(snap)
    deeper = 16 * 16 + 16 * 10
    assert _drawn_edges(network_view) == WEIGHTS_PER_NEURON * 16 + deeper
    assert "Hidden 1 → Hidden 2: all 256" in network_view.edge_summary()
    pixels, neurons = network_view.fan_edges()
    first = np.abs(snap.weights[0])
    kth = np.sort(first, axis=0)[-WEIGHTS_PER_NEURON]
    assert (first[pixels, neurons] >= kth[neurons]).all()
    # The strongest positive bin holds exactly the deeper weights at >= 7/8 of their layer's max
    # (the weight-only fan is drawn fainter, never in the strongest bins).
    expected = sum(int(np.sum(w / np.abs(w).max() >= 7 / 8)) for w in snap.weights[1:])
    assert network_view._edges.counts[-1] == expected


def test_digit_fan_starts_at_lit_pixels(network_view, make_snapshot):
    """With a digit: each hidden-1 neuron's lines come from the lit pixels with the largest |w·x|."""
    snap = make_snapshot()
    x = _ring_digit() * np.linspace(0.2, 1.0, 784, dtype=np.float32)
    acts = snap.network.forward(x)
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=0)
    pixels, neurons = network_view.fan_edges()
    assert (x[pixels] > LIT).all()
    assert np.bincount(neurons, minlength=16).tolist() == [FAN_PER_NEURON] * 16
    contrib = np.abs(snap.weights[0] * x[:, None])
    kth = np.sort(contrib, axis=0)[-FAN_PER_NEURON]
    assert (contrib[pixels, neurons] >= kth[neurons] - 1e-12).all()
    assert "this digit's lit pixels" in network_view.edge_summary()
    # Lines start at the pixel centres of the grid.
    rect = network_view.input_rect()
    starts = network_view._pos[0][pixels]
    assert (starts[:, 0] >= rect.left()).all() and (starts[:, 1] <= rect.bottom()).all()
    # Clearing the input brings back the weight-only fan.
    network_view.set_activations(None)
    assert len(network_view.fan_edges()[0]) == WEIGHTS_PER_NEURON * 16
    assert "Show a digit" in network_view._caption.text()


def test_active_path_outshines_silent_neurons(network_view, make_snapshot):
    """Deeper edges from a silent neuron fade to a trace of |w|; from an active one they carry |w × a|."""
    snap = make_snapshot()
    acts = snap.network.forward(_ring_digit())
    acts[1][:] = 0.0
    acts[1][3] = 1.0  # only hidden-1 neuron 3 fires
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=0)
    w = snap.weights[1]
    rows, cols, vals, _ = network_view._deep_edges(1, w, acts[1])
    silent = rows != 3
    np.testing.assert_allclose(np.abs(vals[silent]), CONTEXT * np.abs(w[rows, cols][silent]) / np.abs(w).max(), rtol=1e-5)
    np.testing.assert_allclose(np.abs(vals[~silent]), np.abs(w[3]) / np.abs(w[3]).max(), rtol=1e-5)
    np.testing.assert_array_equal(np.sign(vals), np.sign(w[rows, cols]))
    assert _drawn_edges(network_view) == FAN_PER_NEURON * 16 + 16 * 16 + 16 * 10


def test_wrong_prediction_is_marked(network_view, make_snapshot):
    snap = make_snapshot()
    acts = snap.network.forward(_ring_digit())
    predicted = int(np.argmax(acts[-1]))
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=predicted, true_label=(predicted + 1) % 10)
    assert f"✗ (is {(predicted + 1) % 10})" in network_view._out_labels[predicted].toPlainText()


def test_none_clears_network_view(network_view, make_snapshot):
    snap = make_snapshot()
    acts = snap.network.forward(_ring_digit())
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=3)
    network_view.set_activations(None)
    assert [t.toPlainText() for t in network_view._out_labels] == [str(d) for d in range(10)]
    assert not network_view._input_img.image.any()
    brushes = {id(b) for b in network_view._neurons.data["brush"]}
    assert brushes == {id(network_view._brushes[ZERO_SHADE])}  # every neuron dark
    network_view.set_weights(None)
    assert _drawn_edges(network_view) == 0


def test_activations_of_another_architecture_are_ignored(network_view, make_snapshot):
    network_view.set_weights(make_snapshot(hidden=(16, 16)))
    other = make_snapshot(hidden=(32,))
    network_view.set_activations(Network.from_arrays(other.weights, other.biases, "relu").forward(_ring_digit()), predicted=1)
    assert network_view._acts is None
    assert len(network_view._neurons.data) == 42


def _settle(view: NetworkView) -> None:
    """Finish the layout chain a new caption starts (label re-wrap -> canvas resize -> ViewBox
    resize -> neurons re-placed), so view units map to the pixels they will have."""
    for _ in range(10):
        before = (view._vb.sceneBoundingRect(), [p.copy() for p in view._pos])
        QCoreApplication.sendPostedEvents()
        after = (view._vb.sceneBoundingRect(), view._pos)
        if before[0] == after[0] and all(np.array_equal(a, b) for a, b in zip(before[1], after[1], strict=True)):
            return
    raise AssertionError("the network view's layout does not settle")


def test_hover_emits_neuron_info_with_incoming_weights(qtbot, network_view, make_snapshot):
    snap = make_snapshot()
    acts = snap.network.forward(_ring_digit())
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=0)
    viewport = network_view._canvas.viewport()
    # Start from empty space: the cursor may rest anywhere after earlier tests, and a move to
    # where it already is sends no event.
    _settle(network_view)
    x, y = network_view._pos[1][5]
    QTest.mouseMove(viewport, _to_viewport(network_view, x + 10, 2.0))
    _settle(network_view)
    x, y = network_view._pos[1][5]  # read where the neuron is now, just before moving onto it
    with qtbot.waitSignal(network_view.neuron_hovered, timeout=2000) as blocker:
        QTest.mouseMove(viewport, _to_viewport(network_view, x, y))
    info = blocker.args[0]
    assert isinstance(info, NeuronInfo)
    assert (info.layer, info.index) == (1, 5)
    assert info.activation == pytest.approx(float(acts[1][5]))
    assert info.bias == pytest.approx(float(snap.biases[0][5]))
    np.testing.assert_array_equal(info.incoming, snap.weights[0][:, 5])
    assert network_view._inset_img.isVisible()
    np.testing.assert_array_equal(network_view._inset_img.image, snap.weights[0][:, 5].reshape(28, 28))
    assert "bias" in network_view._inset_text.toPlainText()
    # Moving to empty space reports None, however soon after the last move (no rate limit).
    with qtbot.waitSignal(network_view.neuron_hovered, timeout=2000) as blocker:
        QTest.mouseMove(viewport, _to_viewport(network_view, x + 10, 1.0))
    assert blocker.args == [None]
    assert not network_view._inset_text.isVisible()
    # Back onto the neuron and straight out again within a millisecond: the last move counts.
    QTest.mouseMove(viewport, _to_viewport(network_view, x, y))
    QTest.mouseMove(viewport, _to_viewport(network_view, x + 10, 2.0))
    assert network_view._hovered is None and not network_view._inset_text.isVisible()


def test_hover_input_pixel_and_output(network_view, make_snapshot):
    snap = make_snapshot()
    network_view.set_weights(snap)
    top = network_view.input_rect().top()
    assert network_view.neuron_at(QPointF(3.5, top + 2.5)) == (0, 2 * GRID + 3)
    x, y = network_view._pos[-1][7]
    assert network_view.neuron_at(QPointF(x, y)) == (len(snap.layer_sizes) - 1, 7)
    assert network_view.neuron_at(QPointF(x + 5, y)) is None


def test_click_pins_and_unpins(qtbot, network_view, make_snapshot):
    snap = make_snapshot()
    network_view.set_weights(snap)
    x, y = network_view._pos[2][3]
    viewport = network_view._canvas.viewport()
    with qtbot.waitSignal(network_view.neuron_pinned, timeout=2000) as blocker:
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=_to_viewport(network_view, x, y))
    info = blocker.args[0]
    assert (info.layer, info.index, info.bias) == (2, 3, pytest.approx(float(snap.biases[1][3])))
    assert network_view.pinned_info().index == 3
    assert "pinned" in network_view._inset_text.toPlainText()
    with qtbot.waitSignal(network_view.neuron_pinned, timeout=2000) as blocker:  # same neuron again
        network_view.click_at(QPointF(x, y))
    assert blocker.args == [None]
    network_view.click_at(QPointF(x, y))
    with qtbot.waitSignal(network_view.neuron_pinned, timeout=2000) as blocker:  # empty space
        network_view.click_at(QPointF(x + 9, 0.5))
    assert blocker.args == [None] and network_view.pinned_info() is None


def test_network_view_follows_palette(network_view, make_snapshot, palettes):
    network_view.set_weights(make_snapshot())
    for name, pal in palettes.items():
        network_view.setPalette(pal)
        assert network_view._canvas.backgroundBrush().color() == pal.color(pal.ColorRole.Base), name
        assert network_view._titles[1].color == pal.color(pal.ColorRole.Text), name


# --------------------------------------------------------------------------- WeightMaps


@pytest.mark.parametrize("size", [(330, 280), (330, 200), (900, 450)])
def test_layer_titles_are_whole_inside_a_short_view(qtbot, make_snapshot, size):
    """At 1024x700 the network view is about 330x280 px: its layer titles were cut off at the top."""
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.set_weights(make_snapshot())
    # The view's visible region in scene coordinates (item bounding rects are in the scene's).
    visible = view._vb.mapRectToScene(view._vb.boundingRect())
    for title in view._titles:
        box = title.sceneBoundingRect()
        assert box.top() >= visible.top() - 0.5 and box.bottom() <= visible.bottom() + 0.5, title.toPlainText()
