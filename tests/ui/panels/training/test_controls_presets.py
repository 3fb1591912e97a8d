"""The controls' preset combo, task and training-subset fields, and Training ▸ Presets."""

import pytest
from PySide6.QtWidgets import QMainWindow

from visualizer.core.config import TrainingConfig
from visualizer.session.presets import PRESETS, preset
from visualizer.session.state import RunState
from visualizer.ui.actions import Actions, build_menus
from visualizer.ui.panels.training.panel import ControlsPanel


@pytest.fixture
def controls(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    actions = Actions(window)
    menus = build_menus(window, actions)
    panel = ControlsPanel(actions)
    window.setCentralWidget(panel)
    panel.set_config(TrainingConfig(seed=4))
    yield panel, actions, menus
    del window  # kept alive (with its children) until the test ends


@pytest.mark.parametrize("key", [p.key for p in PRESETS])
def test_choosing_a_preset_sets_the_fields_and_names_it(controls, key):
    panel, _, _ = controls
    panel.preset.setCurrentIndex(panel.preset.findData(key))
    panel.preset.activated.emit(panel.preset.currentIndex())
    assert panel.config() == preset(key).config(seed=4)  # the seed is kept
    assert panel.preset.currentData() == key and not panel.error.isVisible()


def test_the_menu_sets_the_controls_and_editing_makes_it_custom(controls):
    panel, actions, menus = controls
    presets_menu = next(a.menu() for a in menus["training"].actions() if a.menu() and a.text().replace("&", "") == "Presets")
    assert [a.text() for a in presets_menu.actions()] == [p.name for p in PRESETS]
    actions.presets["no_hidden"].trigger()
    assert panel.hidden.text() == "none" and panel.config().layer_sizes == (784, 10)
    panel.epochs.setValue(7)
    assert panel.preset.currentText() == "Custom"
    panel.epochs.setValue(5)
    assert panel.preset.currentText() == "No hidden layer"


def test_one_neuron_digit_is_chosen_in_the_task_field(controls):
    panel, actions, _ = controls
    actions.presets["one_neuron"].trigger()
    assert panel.config().layer_sizes == (784, 1) and panel.task.currentText() == "is it a 6?"
    panel.task.setCurrentIndex(panel.task.findData(3))
    assert panel.config().one_vs_rest == 3 and panel.preset.currentText() == "One neuron: is it a 3?"
    actions.presets["one_neuron"].trigger()  # choosing it again keeps the chosen digit
    assert panel.config().one_vs_rest == 3


def test_hidden_field_accepts_none_and_empty(controls):
    panel, _, _ = controls
    for text in ("", "none", "None"):
        panel.hidden.setText(text)
        assert panel.config().hidden == () and not panel.error.isVisible()
    panel.train_subset.setValue(500)
    assert panel.config().train_subset == 500
    panel.train_subset.setValue(0)
    assert panel.config().train_subset is None and panel.train_subset.text() == "all"


@pytest.mark.parametrize("how", ["", "none", "no_hidden", "one_neuron"])
def test_no_hidden_layer_greys_out_the_activation_and_says_why(controls, how):
    panel, actions, _ = controls
    assert panel.activation.isEnabled()
    if how in actions.presets:
        actions.presets[how].trigger()
    else:
        panel.hidden.setText(how)
    assert not panel.activation.isEnabled()
    assert "no hidden layer" in panel.activation.toolTip().lower()
    panel.set_editable(False)
    panel.set_editable(True)  # the end of a run unlocks the fields, but not this one
    assert not panel.activation.isEnabled()
    panel.hidden.setText("16,")  # typing sizes: it is a choice again
    assert panel.activation.isEnabled() and "no hidden layer" not in panel.activation.toolTip().lower()
    panel.hidden.setText("16,x")  # not valid: the error says so, the choice stays open
    assert panel.activation.isEnabled()
    panel.set_editable(False)
    assert not panel.activation.isEnabled()


def test_presets_are_locked_while_training(controls):
    panel, actions, _ = controls
    actions.set_state(RunState.RUNNING, has_data=True, has_weights=True)
    panel.set_editable(False)
    assert not actions.presets["keras"].isEnabled() and not panel.preset.isEnabled() and not panel.task.isEnabled()
    actions.set_state(RunState.READY, has_data=True, has_weights=True)
    assert actions.presets["keras"].isEnabled()


@pytest.mark.parametrize(("true_label", "yes", "confidence", "expected"), [
    (7, False, 0.50, "right</span> — but only a guess"),  # an untrained neuron at P(6) = 0.50
    (7, False, 0.98, "✓ right</span>"),
    (6, True, 0.55, "right</span> — but only a guess"),
    (6, False, 0.55, "✗ wrong"),
])
def test_a_yes_no_answer_near_even_odds_is_called_a_guess(controls, true_label, yes, confidence, expected):
    import numpy as np

    from visualizer.core.network import Network

    panel = controls[0]
    net = Network.from_arrays([np.zeros((784, 1), np.float32)], [np.zeros(1, np.float32)], "relu", digit=6)
    panel.set_prediction("Test digit #1", true_label, int(yes), confidence, network=net)
    text = panel.input_label.text()
    assert expected in text, text
    if "guess" not in expected:
        assert "guess" not in text
