"""Importing networks in the window: the activation question, networks training cannot continue, every view drawing them."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox
from test_main_window import wait_state
from window_fixtures import tiny_dataset

from visualizer.core.network import Network
from visualizer.session import RunState
from visualizer.training.export import export_weights, keras_model_from


@pytest.fixture
def window(make_window):
    return make_window()


def network(hidden, activation, seed=0, output=None) -> Network:
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 1 if output == "sigmoid" else 10)
    return Network.from_arrays([rng.normal(0, 0.2, (a, b)) for a, b in zip(sizes, sizes[1:], strict=False)],
                               [rng.normal(0, 0.1, b) for b in sizes[1:]], activation, output=output)


def import_file(window, qtbot, monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    before = window.latest_snapshot()
    window.actions.import_weights.trigger()
    qtbot.waitUntil(lambda: window.latest_snapshot() is not before or window.state == RunState.READY, timeout=30_000)
    wait_state(window=window, qtbot=qtbot, state=RunState.READY)


def test_a_keras_weights_file_asks_which_activation_naming_the_file(window, qtbot, monkeypatch, dialogs, tmp_path):
    net = network((12,), "tanh")
    path = tmp_path / "from-a-tutorial.weights.h5"
    keras_model_from(net).save_weights(path)  # Keras' own file: no activations in it
    asked = []

    def get_item(parent, title, text, items, current, editable):
        asked.append((title, text, list(items)))
        return "tanh", True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(get_item))
    import_file(window, qtbot, monkeypatch, path)
    qtbot.waitUntil(lambda: window.latest_snapshot().network.activations == ("tanh", "softmax"), timeout=30_000)
    (title, text, items), = asked
    assert title == "Which activation does from-a-tutorial.weights.h5 use?"
    assert "stores no activations and nnviz never guesses them" in text and items[:3] == ["relu", "sigmoid", "tanh"]
    assert window.controls.config().activation == "tanh" and dialogs.shown == []
    x = tiny_dataset().x_test[:5]
    np.testing.assert_allclose(window.latest_snapshot().network.probabilities(x), net.probabilities(x), atol=1e-6)


@pytest.mark.parametrize("net", [network((16, 8), ("relu", "tanh")), network((6,), "linear")],
                         ids=["relu-then-tanh", "linear-hidden"])
def test_networks_training_cannot_continue_are_viewed_and_start_asks_first(window, qtbot, monkeypatch, dialogs,
                                                                           tmp_path, net):
    path = export_weights(net, tmp_path / "model.keras")
    import_file(window, qtbot, monkeypatch, path)
    qtbot.waitUntil(lambda: window.latest_snapshot().layer_sizes == net.layer_sizes, timeout=30_000)
    assert net.describe() in window.statusBar().currentMessage()
    window.render()  # every view draws it
    dialogs.answer = QMessageBox.StandardButton.Cancel
    window.actions.start.trigger()
    assert dialogs.kinds() == ["question"] and window.state == RunState.READY
    _, title, text = dialogs.shown[0]
    assert title == "Change the network?" and "(imported from model.keras)" in text
    assert "cannot train this one further" in text
    assert window.latest_snapshot().network.activations == net.activations, "Cancel keeps the imported network"


@pytest.mark.parametrize("net, digit", [(network((), ()), None), (network((6,), "relu", output="sigmoid"), "4")],
                         ids=["no-hidden-layer", "yes-no-neuron-of-unknown-digit"])
def test_no_hidden_layer_and_a_yes_no_neuron_train_on_after_import(window, qtbot, monkeypatch, dialogs, tmp_path,
                                                                  net, digit):
    asked = []
    monkeypatch.setattr(QInputDialog, "getItem",
                        staticmethod(lambda parent, title, text, items, *a, **k: (asked.append((title, items)) or digit,
                                                                                  True)))
    import_file(window, qtbot, monkeypatch, export_weights(net, tmp_path / "model.keras"))
    qtbot.waitUntil(lambda: window.latest_snapshot().layer_sizes == net.layer_sizes, timeout=30_000)
    if digit is None:
        assert asked == []
    else:  # the file does not say which digit it answers for: the window asks
        (title, items), = asked
        assert title == "Which digit does model.keras answer for?" and list(items) == [str(d) for d in range(10)]
        assert window.latest_snapshot().network.question == "is it a 4?" and window.controls.config().one_vs_rest == 4
    window.render()
    window.actions.start.trigger()
    assert dialogs.kinds() == [], "the same network trains on without a question"
    qtbot.waitUntil(lambda: window.state == RunState.READY and window.last_result is not None, timeout=120_000)
    assert window.latest_snapshot().layer_sizes == net.layer_sizes and window.latest_snapshot().step > 0
