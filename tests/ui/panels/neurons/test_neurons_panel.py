"""The Neurons panel as a learner uses it: the matrix, a clicked cell's digits, the focused neuron, dead counts, ideas."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from visualizer.core.diagnostics import Hint, HintKind
from visualizer.core.dream import dream_digit, feed_noise, fool
from visualizer.core.network import Network
from visualizer.core.neurons import analyze_neurons
from visualizer.session.ideas import Idea, IdeaKind
from visualizer.session.neurons import NeuronResult
from visualizer.session.selection import NeuronRef
from visualizer.ui.panels.neurons.panel import IDEAS, NeuronsPanel
from visualizer.ui.theme import make_palette

SHOTS = Path(tempfile.gettempdir()) / "nnviz-shots"
DEAD = (0, 4, 9)  # Hidden 1 neurons forced off


def digits(n: int = 500, seed: int = 0):
    """Blobs at label-dependent places, so neurons answer differently to different digits."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    x = rng.random((n, 28, 28), dtype=np.float32) * 0.2
    for i, label in enumerate(y):
        r, c = 4 + 2 * (label % 5), 6 + 8 * (label // 5)
        x[i, r : r + 8, c : c + 8] = 1.0
    return x.reshape(n, 784), y


def result_for(make_snapshot, dead=DEAD, seed: int = 3) -> NeuronResult:
    snap = make_snapshot(seed=seed)
    net = snap.network
    b = [np.array(v) for v in net.biases]
    b[0][list(dead)] = -1e3  # never fire on images in [0, 1]
    b[0][15] = 10.0  # always fires
    b[1][:] = 20.0  # Hidden 2 always fires
    snap = type(snap).of_network(Network.from_arrays(net.weights, b, net.activation))
    x, y = digits()
    return NeuronResult(snap, analyze_neurons(snap.network, x, y), x, y)


@pytest.fixture
def panel(qtbot):
    p = NeuronsPanel()
    qtbot.addWidget(p)
    p.resize(430, 760)
    p.show()
    qtbot.waitExposed(p)
    return p


def click_cell(qtbot, matrix, digit, neuron):
    qtbot.mouseClick(matrix, Qt.MouseButton.LeftButton, pos=matrix.cell_rect(digit, neuron).center().toPoint())


def test_the_matrix_is_the_core_result_and_brighter_means_stronger(panel, make_snapshot):
    result = result_for(make_snapshot)
    panel.set_result(result)
    assert len(panel.matrices) == 2
    for matrix, layer in zip(panel.matrices, result.layers, strict=True):
        np.testing.assert_array_equal(matrix.responses().mean_by_class, layer.mean_by_class)
    direct = analyze_neurons(result.snapshot.network, result.images, result.labels)
    np.testing.assert_allclose(panel.matrices[1].responses().mean_by_class, direct.layers[1].mean_by_class)
    m = result.layers[0].mean_by_class
    hi = np.unravel_index(np.nanargmax(m), m.shape)
    lo = np.unravel_index(np.nanargmin(m), m.shape)
    bright = panel.matrices[0].pixel_color(*hi).lightness()
    assert bright > panel.matrices[0].pixel_color(*lo).lightness() + 100
    assert panel.status_text() == "500 test digits, this network: 3 of 32 hidden neurons never fire."


def test_dead_neurons_are_flagged_and_counted_and_an_always_active_one_is_not(panel, make_snapshot):
    panel.set_result(result_for(make_snapshot))
    title = panel.layer_titles[0].text()
    assert "3 of 16 in <b>Hidden 1</b> never fire" in title
    assert "all 16 neurons fire" in panel.layer_titles[1].text()
    dead = panel.matrices[0].responses().dead
    assert list(np.flatnonzero(dead)) == list(DEAD) and not dead[15]
    panel.set_selection(NeuronRef(1, 4))
    assert "Dead" in panel.detail.status.text() and "outputs 0 for every image" in panel.detail.status.text()
    panel.set_selection(NeuronRef(1, 15))
    assert panel.detail.status.text().startswith("Fires on 100% of 500 test digits")


def test_clicking_a_cell_pins_the_neuron_and_lists_the_digits_of_that_class_that_excite_it_most(panel, make_snapshot, qtbot):
    result = result_for(make_snapshot)
    panel.set_result(result)
    pins, shown = [], []
    panel.neuron_pinned.connect(pins.append)
    panel.digit_requested.connect(shown.append)
    matrix = panel.matrices[0]
    click_cell(qtbot, matrix, 3, 7)
    assert pins == [NeuronRef(1, 7)]
    panel.set_selection(pins[-1])  # the session's selection comes back, as the window wires it
    assert matrix.pinned() == (7, 3), "its column and the clicked cell are outlined"
    ids = panel.detail.listed()
    expected = result.layers[0].top_by_class[3, 7]
    assert ids == [int(i) for i in expected[expected >= 0]] and len(ids) == 9
    assert set(result.labels[ids]) == {3}
    values = result.layers[0].top_by_class_values[3, 7]
    assert list(values) == sorted(values, reverse=True)
    assert "The 9 3s that excite it most" in panel.detail.grid_caption.text()
    assert panel.detail.template.isVisibleTo(panel)  # a Hidden 1 neuron: its 28x28 template
    assert panel.detail.histogram.counts().sum() == 500
    qtbot.mouseClick(panel.detail.tiles[0], Qt.MouseButton.LeftButton)
    assert shown == [ids[0]], "a listed digit goes through the network"
    click_cell(qtbot, matrix, 5, 7)  # another digit of the pinned neuron
    assert set(result.labels[panel.detail.listed()]) == {5} and pins == [NeuronRef(1, 7)]
    click_cell(qtbot, matrix, 5, 7)  # the same cell again releases
    assert pins[-1] is None


def test_the_detail_follows_a_pin_from_another_view_and_the_mouse_otherwise(panel, make_snapshot, qtbot):
    result = result_for(make_snapshot)
    panel.set_result(result)
    panel.set_selection(None, NeuronRef(2, 5))  # hovered in the network view
    assert panel.detail.title.text() == "Hidden 2 \N{MIDDLE DOT} neuron 5"
    assert not panel.detail.template.isVisibleTo(panel), "only Hidden 1 neurons have a 28x28 template"
    np.testing.assert_array_equal(panel.detail.listed(), result.layers[1].top_images[5])
    panel.set_selection(NeuronRef(1, 2), NeuronRef(2, 5))
    assert panel.detail.title.text().endswith("(pinned)") and panel.matrices[0].pinned() == (2, None)
    assert panel.matrices[1].pinned() == (None, None)
    panel.set_result(None)  # a new network: nothing to describe until its analysis is in
    assert panel.detail.listed() == [] and panel.status_text() == "No analysis yet."


def test_hints_are_listed_with_what_was_measured(panel):
    assert panel.hints_text() == ""
    panel.set_hints([Hint(HintKind.NOT_LEARNING, "training loss 2.30 after 1 epoch", "it is not learning")])
    assert "training loss 2.30 after 1 epoch" in panel.hints_text()
    panel.set_hints([])
    assert panel.hints_text() == ""


def test_the_ideas_tab_shows_dreams_noise_and_fooling_and_sends_them_to_the_pad(panel, make_snapshot, qtbot):
    snap = make_snapshot(seed=1)
    net = snap.network
    panel.set_network(snap)
    asked, sent = [], []
    panel.dream_requested.connect(asked.append)
    panel.send_requested.connect(sent.append)
    qtbot.mouseClick(panel.ideas.digit_buttons[3], Qt.MouseButton.LeftButton)
    assert asked == [NeuronRef(3, 3)]
    dream = Idea(IdeaKind.DREAM, snap, dream_digit(net, 3), "Dream of 3", NeuronRef(3, 3))
    panel.show_idea(dream)
    assert panel.tabs.currentIndex() == IDEAS and "The input that excites digit 3 most" in panel.ideas.message.text()
    qtbot.mouseClick(panel.ideas.send_button, Qt.MouseButton.LeftButton)
    assert sent == [dream]
    noise = Idea(IdeaKind.NOISE, snap, feed_noise(net, seed=0), "Random noise")
    panel.show_idea(noise)
    assert "none of these" in panel.ideas.message.text() and panel.ideas.bars[0].probabilities() is not None
    x, _ = digits(1)
    fooled = Idea(IdeaKind.FOOL, snap, fool(net, x[0], 5), "Your drawing fooled into 5")
    panel.show_idea(fooled)
    assert panel.ideas.tiles[2].isVisibleTo(panel) and panel.ideas.bars[1].isVisibleTo(panel)
    np.testing.assert_allclose(panel.ideas.bars[1].probabilities(), fooled.value.probabilities_after, rtol=1e-6)
    assert panel.ideas.send_button.text() == "Send the fooled image to the pad"
    panel.set_selection(NeuronRef(2, 4))
    assert panel.ideas.pinned_button.isEnabled() and "neuron 4" in panel.ideas.pinned_button.text()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot_neurons_panel(panel, make_snapshot, qtbot, tmp_path, scheme):
    panel.setPalette(make_palette(scheme))
    result = result_for(make_snapshot)
    panel.set_result(result)
    panel.set_selection(NeuronRef(1, 7))
    click_cell(qtbot, panel.matrices[0], 3, 7)
    qtbot.wait(20)
    SHOTS.mkdir(exist_ok=True)
    image = panel.grab().toImage()
    for folder in (tmp_path, SHOTS):
        assert image.save(str(folder / f"test_neurons_{scheme}.png"))
