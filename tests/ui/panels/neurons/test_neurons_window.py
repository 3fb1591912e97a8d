"""The Neurons panel inside the window: a pinned neuron lights every view, dead neurons are counted,
ideas reach the pad, and a run gone wrong warns in the banner."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRectF, Qt

from visualizer.core.history import MetricHistory
from visualizer.core.mosaic import TILE
from visualizer.core.network import Network
from visualizer.core.snapshot import SnapshotEvent, TrainingSnapshot
from visualizer.session import NeuronRef, RunState
from visualizer.session.ideas import IdeaKind
from visualizer.ui.panels.neurons.panel import IDEAS



@pytest.fixture
def window(make_window, qtbot):
    w = make_window()  # 784-16-16-10 on tiny_dataset, Ready
    qtbot.waitUntil(lambda: w.session.neurons.result is not None, timeout=10_000)
    w.render(everything=True)
    return w


def test_a_neuron_pinned_in_the_network_view_lights_its_tile_row_column_and_connections(window, qtbot):
    view, maps, panel = window.network_view, window.weight_maps, window.neurons
    view.click_at(view.neuron_position(1, 5))
    assert window.session.selection.pinned == NeuronRef(1, 5)
    cols = maps.mosaic_columns()
    r, c = divmod(5, cols)
    tile, h1_to_h2, h2_to_out = maps.highlighted()
    assert tile == QRectF(c * (TILE + 1), r * (TILE + 1), TILE, TILE)
    assert h1_to_h2 == QRectF(0, 5, 16, 1) and h2_to_out is None, "its outgoing weights: row 5"
    assert panel.matrices[0].pinned()[0] == 5 and panel.matrices[1].pinned()[0] is None
    assert view.pinned_edge_count() == 48 + 16, "its strongest 48 pixels and its 16 outgoing connections"
    assert panel.detail.title.text() == "Hidden 1 \N{MIDDLE DOT} neuron 5  (pinned)"
    # A cell of the response matrix pins in the other direction.
    matrix = panel.matrices[1]
    qtbot.mouseClick(matrix, Qt.MouseButton.LeftButton, pos=matrix.cell_rect(2, 3).center().toPoint())
    assert view.pinned_info().layer == 2 and view.pinned_info().index == 3
    tile, h1_to_h2, h2_to_out = maps.highlighted()
    assert tile is None and h1_to_h2 == QRectF(3, 0, 1, 16) and h2_to_out == QRectF(0, 3, 10, 1)
    assert view.pinned_edge_count() == 16 + 10
    window.actions.unpin_neuron.trigger()
    assert view.pinned_info() is None and maps.highlighted() == [None, None, None]
    assert view.pinned_edge_count() == 0


def test_dead_neurons_are_crossed_out_and_counted_in_the_network_view(window, qtbot):
    snap = window.session.latest
    b = [np.array(v) for v in snap.network.biases]
    b[0][[1, 2, 3]] = -1e3
    dead_net = Network.from_arrays(snap.network.weights, b, snap.network.activation)
    window.session.on_snapshot(TrainingSnapshot.of_network(dead_net, run_id=snap.run_id, step=1))
    window.neurons.analyse_button.click()
    qtbot.waitUntil(lambda: window.session.neurons.result.snapshot.network is dead_net, timeout=10_000)
    result = window.session.neurons.result
    dead = result.layers[0].dead
    assert dead[[1, 2, 3]].all()
    count = int(dead.sum())
    assert window.network_view.dead_count() == result.analysis.dead_count
    assert window.network_view.dead_text().startswith(f"{count} of 16 in Hidden 1 never fire")
    assert f"{count} of 16 in <b>Hidden 1</b> never fire" in window.neurons.layer_titles[0].text()


def test_noise_and_dreams_reach_the_pad_and_fool_it_changes_the_current_input(window, qtbot):
    session = window.session
    window.actions.feed_noise.trigger()
    qtbot.waitUntil(lambda: session.input is not None and session.input.name == "Random noise", timeout=10_000)
    assert window.pad.shows(session.input) and window.neurons.tabs.currentIndex() == IDEAS
    assert "softmax always shares out 100%" in window.neurons.ideas.message.text()
    window.actions.dream[3].trigger()
    qtbot.waitUntil(lambda: IdeaKind.DREAM in session.ideas.latest, timeout=10_000)
    window.neurons.ideas.send_button.click()
    assert session.input.name == "Dream of 3" and window.pad.input_name() == "Dream of 3"
    window.show_test_digit(4)
    window.actions.fool_it.trigger()  # the digit chosen in the panel: 3 by default
    qtbot.waitUntil(lambda: IdeaKind.FOOL in session.ideas.latest, timeout=10_000)
    fooled = session.ideas.latest[IdeaKind.FOOL].value
    np.testing.assert_allclose(fooled.original.reshape(-1), window.dataset.x_test[4], atol=1e-6)
    assert fooled.target == 3 and window.neurons.ideas.tiles[2].isVisibleTo(window.neurons)


def test_a_run_gone_wrong_warns_in_the_banner_and_a_reset_takes_it_down(window, qtbot):
    snap = window.session.latest
    b = [np.full(16, -1e3), np.full(16, -1e3), np.asarray(snap.network.biases[2])]
    dead_net = Network.from_arrays(snap.network.weights, b, snap.network.activation)
    history = MetricHistory()
    for k in range(1, 21):
        history.add_train(k / 20, 2.302, 0.098)
    history.add_validation(1.0, 2.302, 0.098)
    end = TrainingSnapshot(run_id=snap.run_id, step=20, epoch=0, epochs=3, batch=20, batches_per_epoch=20,
                           network=dead_net, history=history.view(), event=SnapshotEvent.EPOCH_END)
    window.session.on_snapshot(end)
    qtbot.waitUntil(lambda: window.banner.text().startswith("Hint: 32 of 32 ReLU neurons"), timeout=10_000)
    assert window.banner.level == "warning" and "learning rate too high?" in window.banner.text()
    assert "training loss 2.30 after 1 epoch" in window.neurons.hints_text()
    window.reset()
    qtbot.waitUntil(lambda: window.state == RunState.READY and window.session.latest.step == 0
                    and window.session.latest.network is not dead_net, timeout=30_000)
    assert window.banner.text() == "" and window.neurons.hints_text() == ""
