"""The Gradients panel as a learner sees it: nudges with the right sign, a target asked for, numbers on hover, a batch."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from visualizer.core import edges
from visualizer.core.backprop import batch_gradient, example_gradient
from visualizer.session.batches import BatchExamples
from visualizer.session.gradients import GradientMoment
from visualizer.session.inputs import CurrentInput, InputSource
from visualizer.ui.panels.gradients.panel import GradientsPanel


def digit(seed: int = 0) -> np.ndarray:
    """A stroke-like blob: some lit pixels, most dark (as a digit)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((28, 28), np.float32)
    x[6:22, 12:16] = rng.uniform(0.6, 1.0, (16, 4))
    return x.ravel()


def moment_for(snapshot, x, label=None, target=None, lr=0.01) -> GradientMoment:
    source = InputSource.TEST_DIGIT if label is not None else InputSource.DRAWING
    current = CurrentInput(x, source, label, "Test digit #5" if label is not None else "Your drawing")
    t = label if label is not None else target
    g = None if t is None else example_gradient(snapshot.network, x, t)
    reason = "" if g is not None else "Your drawing needs a target: which digit should it be?"
    return GradientMoment(snapshot.network, current, t, g, lr, "sgd", reason)


@pytest.fixture
def panel(qtbot):
    p = GradientsPanel()
    qtbot.addWidget(p)
    p.resize(460, 760)
    p.show()
    qtbot.waitExposed(p)
    return p


@pytest.mark.parametrize("target", [0, 3, 9])
def test_one_nudge_per_output_and_only_the_target_goes_up(panel, make_snapshot, target):
    snap = make_snapshot(seed=target)
    m = moment_for(snap, digit(target), label=target)
    panel.set_moment(m)
    nudges = panel.diagram.drawn_nudges()
    assert [d for d, _, _ in nudges] == list(range(10))
    assert [d for d, direction, _ in nudges if direction > 0] == [target]
    assert all(direction < 0 for d, direction, _ in nudges if d != target), "every other digit is nudged down"
    lengths = {d: length for d, _, length in nudges}
    assert lengths[target] == max(lengths.values()), "the target's error 1 - p is the largest here"
    assert f"Target <b>{target}</b>" in panel.target_text()
    assert f"{m.gradient.loss:.4f}" in panel.loss_label.text() and "−log" in panel.loss_label.text()


def test_a_drawing_asks_for_its_target_and_the_digit_buttons_give_it(panel, qtbot, make_snapshot):
    snap = make_snapshot()
    panel.set_moment(moment_for(snap, digit()))
    assert "needs a target" in panel.target_text()
    assert panel._digits_box.isVisible() and not panel.loss_label.text()
    assert panel.diagram.drawn_nudges() == [] and panel.tiles.tile_count() == 0
    assert "target" in panel.diagram.caption()
    with qtbot.waitSignal(panel.target_chosen) as chosen:
        qtbot.mouseClick(panel.digit_buttons.button(7), Qt.MouseButton.LeftButton)
    assert chosen.args == [7]
    panel.set_moment(moment_for(snap, digit(), target=7))
    assert "Target <b>7</b>" in panel.target_text() and "should be" in panel.target_text()
    assert panel.digit_buttons.checkedButton() is panel.digit_buttons.button(7)
    assert [d for d, direction, _ in panel.diagram.drawn_nudges() if direction > 0] == [7]
    panel.set_moment(moment_for(snap, digit(), label=2))  # a test digit: its label, no buttons
    assert not panel._digits_box.isVisible() and panel.digit_buttons.checkedButton() is None


def test_hovering_shows_activation_delta_gradient_and_the_step(panel, qtbot, make_snapshot):
    snap = make_snapshot(seed=4)
    m = moment_for(snap, digit(4), label=4)
    panel.set_moment(m)
    diagram = panel.diagram
    viewport = diagram._canvas.viewport()

    def to_viewport(point):
        return diagram._canvas.mapFromScene(diagram._vb.mapViewToScene(point))

    # A real mouse move over the target output neuron, from empty space (a move to where the
    # cursor already rests sends no event), once the layout has settled.
    qtbot.wait(50)
    QTest.mouseMove(viewport, QPoint(2, 2))
    qtbot.wait(20)
    with qtbot.waitSignal(diagram.hovered, timeout=2000):
        QTest.mouseMove(viewport, to_viewport(diagram.neuron_center(3, 4)))
    text = panel.readout_text()
    d = m.neuron(3, 4)
    assert "nudge +" in text and "the target: up" in text
    assert f"{d.activation:.4f} → {d.activation_after:.4f}" in text and "one SGD step (lr 0.01)" in text
    # A deeper connection: its weight, dL/dw = input x delta, and the step's change.
    keys = diagram._segment_keys
    j = int(np.flatnonzero(keys[:, 0] == 2)[0])
    pair, src, dst = (int(v) for v in keys[j])
    hover = diagram.hover_at(diagram.segment_middle(j))
    e = m.edge(pair, src, dst)
    assert hover.startswith(f"Hidden 2 #{src} → Output {dst}")
    assert f"{e.source_activation:.3f}" in hover and "∂L/∂w" in hover and "one SGD step" in hover
    assert diagram.hover_at(diagram.neuron_center(0, 14 * 28 + 13)).startswith("Input pixel (14, 13)")
    assert diagram.hover_at(None) == ""


def test_edges_follow_minus_the_gradient_within_the_activation_views_budget(panel, make_snapshot):
    snap = make_snapshot(seed=2)
    m = moment_for(snap, digit(2), label=2)
    panel.set_moment(m)
    keys = panel.diagram._segment_keys
    fan = keys[keys[:, 0] == 0]
    per_neuron = np.bincount(fan[:, 2], minlength=16)
    assert per_neuron.max() <= edges.FAN_PER_NEURON and len(fan) <= edges.FAN_BUDGET
    lit = set(np.flatnonzero(digit(2) > 0))
    assert set(fan[:, 1]) <= lit, "a black pixel asks nothing of its weights"
    g = -m.gradient.weight_gradients[0]
    for j in np.unique(fan[:, 2]):
        drawn = np.abs(g[fan[fan[:, 2] == j, 1], j]).min()
        assert drawn >= np.sort(np.abs(g[:, j]))[-edges.FAN_PER_NEURON] - 1e-12, "the strongest are drawn"
    assert panel.tiles.tile_count() == 16
    np.testing.assert_allclose(panel.tiles._values, g)


def test_the_batch_tab_lists_each_image_and_a_click_chooses_one(panel, qtbot, make_snapshot):
    snap = make_snapshot(seed=5)
    rng = np.random.default_rng(0)
    images = np.stack([digit(i) for i in range(32)])
    labels = rng.integers(0, 10, 32)
    g = batch_gradient(snap.network, images, labels)
    batch = BatchExamples(snap.network, 0, 10, np.arange(32), images, labels, g)
    panel.show_batch_tab()
    assert panel.showing_batch()
    panel.set_batch(batch, 3, example_gradient(snap.network, images[3], labels[3]), "a note")
    captions = panel.batch.grid.captions()
    assert len(captions) == 32
    assert captions[3] == f"{labels[3]}→{g.predictions[3]} {g.losses[3]:.2f}"
    assert "Batch 1 of 10" in panel.batch.title.text() and f"{g.loss:.3f}" in panel.batch.title.text()
    assert panel.batch.average.tile_count() == 16 and "Image 4 alone" in panel.batch.single.title()
    grid = panel.batch.grid
    with qtbot.waitSignal(panel.image_chosen) as chosen:
        qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.cell_rect(10).center().toPoint())
    assert chosen.args == [10]
    with qtbot.waitSignal(panel.batch_step_requested) as step:
        qtbot.mouseClick(panel.batch.next_button, Qt.MouseButton.LeftButton)
    assert step.args == [1]
    panel.set_batch(None, 0, None, "waiting")
    assert "waiting for the training images" in panel.batch.title.text()
    assert not panel.batch.next_button.isEnabled()


def test_nothing_to_show_without_an_input(panel):
    panel.set_moment(None)
    assert "Draw a digit" in panel.target_text() and panel.diagram.edge_count() == 0
    QTest.mouseMove(panel.diagram, QPoint(10, 10))


def test_a_network_of_1024_wide_layers_draws_a_bounded_number_of_items(panel, make_snapshot):
    snap = make_snapshot(hidden=(1024, 1024, 1024), seed=4)
    m = moment_for(snap, digit(4), label=4)
    panel.set_moment(m)
    d = panel.diagram
    assert 0 < d.edge_count() <= 4 * edges.WIDE_EDGES  # the network view's budget for each of the 4 pairs
    assert len(d._arrows.arrows()) <= 3 * 32 + 10  # each wide layer's strongest asks, every output's nudge
    assert len(d._neurons) == 10  # the wide layers are one strip image each, not 3,072 items
    assert [n for n, _s, _l in d.drawn_nudges()] == list(range(10))
    assert panel.tiles.drawn_tiles() == 64 and panel.tiles.tile_count() == 1024
    # Hover one neuron of a 1024-wide layer: its own index and numbers.
    text = d.hover_at(d.neuron_center(2, 700))
    assert text.startswith("Hidden 2 #700") and f"{m.gradient.deltas[1][700]:+.3g}"[:4] in text.replace("−", "-")


def test_wide_first_layer_tiles_page_through_every_neuron(panel, make_snapshot):
    snap = make_snapshot(hidden=(200,), seed=5)
    m = moment_for(snap, digit(5), label=5)
    panel.set_moment(m)
    tiles = panel.tiles
    assert tiles.drawn_tiles() == 64 and tiles.next_page.isEnabled() and not tiles.prev_page.isEnabled()
    tiles.next_page.click()
    assert tiles.page() == 1 and "64–127 of 200" in tiles._page_label.text()
    tiles.set_page(3)
    assert tiles.drawn_tiles() == 200 - 3 * 64 and not tiles.next_page.isEnabled()
    # The page's tile k is neuron 192 + k: the hover names it and shows its -dL/dW value.
    text = tiles.value_at(QPointF(0.5, 14.5))
    assert text.startswith("neuron 192, pixel (14, 0)")
    panel.set_moment(moment_for(snap, digit(6), label=6))  # a new example keeps the page
    assert tiles.page() == 3
