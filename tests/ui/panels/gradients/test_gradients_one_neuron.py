"""The Gradients panel for a one-neuron "is it a 6?" network and for no hidden layer: yes/no targets, the
tiles' title, and the input drawn white on black like the pad and the network view."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from visualizer.core.backprop import example_gradient
from visualizer.session.gradients import GradientMoment
from visualizer.session.inputs import CurrentInput, InputSource
from visualizer.ui.panels.gradients.panel import GradientsPanel
from visualizer.ui.panels.gradients.texts import TILES_TITLE
from visualizer.ui.theme import make_palette


def _stroke() -> np.ndarray:
    x = np.zeros((28, 28), np.float32)
    x[6:22, 12:16] = 1.0
    return x.ravel()


def _drawing(net, digit=None) -> GradientMoment:
    """A drawing under ``net`` with the user's choice ``digit`` (None: not chosen yet), as the session makes it."""
    current = CurrentInput(_stroke(), InputSource.DRAWING, None, "Your drawing")
    if digit is None:
        return GradientMoment(net, current, None, None, 0.01, "sgd",
                              "Your drawing needs a target: which digit should it be?")
    target = int(digit == net.digit) if net.is_binary else digit
    return GradientMoment(net, current, target, example_gradient(net, current.vector, target), 0.01, "sgd", "",
                          digit=digit)


@pytest.fixture
def panel(qtbot):
    p = GradientsPanel()
    qtbot.addWidget(p)
    p.resize(460, 760)
    p.show()
    qtbot.waitExposed(p)
    return p


def test_one_neuron_offers_yes_and_no_not_ten_digits(panel, qtbot, make_one_neuron):
    """The reviewer's s31: "It should be: 0 1 2 ... 9" for "is it a 6?"."""
    net = make_one_neuron(6).network
    panel.set_moment(_drawing(net))
    assert not panel._digits_box.isVisible() and panel._answers_box.isVisible()
    yes, no = panel.answer_buttons.button(1), panel.answer_buttons.button(0)
    assert (yes.text(), no.text()) == ("yes, a 6", "no, not a 6")
    assert "is it a 6?" in panel.target_text() and "yes or no" in panel.target_text()
    with qtbot.waitSignal(panel.target_chosen) as chosen:
        qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
    assert chosen.args == [6]
    with qtbot.waitSignal(panel.target_chosen) as chosen:
        qtbot.mouseClick(no, Qt.MouseButton.LeftButton)
    assert chosen.args[0] != 6 and 0 <= chosen.args[0] <= 9
    # What the session then shows: the answer checked, the target in words.
    panel.set_moment(_drawing(net, 6))
    assert panel.answer_buttons.checkedButton() is yes and "Target <b>yes, a 6</b>" in panel.target_text()
    panel.set_moment(_drawing(net, 3))  # "no" keeps a drawing's earlier choice of another digit
    assert panel.answer_buttons.checkedButton() is no and "Target <b>no, not a 6</b>" in panel.target_text()
    with qtbot.waitSignal(panel.target_chosen) as chosen:
        qtbot.mouseClick(no, Qt.MouseButton.LeftButton)
    assert chosen.args == [3]
    # Another digit's neuron relabels the buttons; ten digits bring the digit buttons back.
    panel.set_moment(_drawing(make_one_neuron(2).network))
    assert yes.text() == "yes, a 2" and panel.answer_buttons.checkedButton() is None
    panel.set_moment(None)
    assert not panel._answers_box.isVisible()


def test_ten_digits_keep_the_digit_buttons(panel, make_snapshot):
    panel.set_moment(_drawing(make_snapshot().network))
    assert panel._digits_box.isVisible() and not panel._answers_box.isVisible()


def test_the_tiles_title_names_whose_templates_they_are(panel, make_snapshot, make_one_neuron):
    """With no hidden layer the first layer's weights are the outputs' templates, not hidden neurons'."""
    panel.set_moment(_drawing(make_one_neuron(6).network, 6))
    one = panel.tiles.title()
    assert "first-layer neuron" not in one and "output neuron" in one and "no hidden layer" in one
    panel.set_moment(_drawing(make_snapshot(hidden=()).network, 4))
    ten = panel.tiles.title()
    assert "first-layer neuron" not in ten and "each output" in ten and "no hidden layer" in ten
    panel.set_moment(_drawing(make_snapshot().network, 4))
    assert panel.tiles.title() == TILES_TITLE
    panel.set_moment(_drawing(make_one_neuron(6, hidden=(8,)).network, 6))
    assert panel.tiles.title() == TILES_TITLE


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_input_is_white_ink_on_black_in_either_theme(panel, qtbot, make_snapshot, scheme):
    """The reviewer's s29: dark ink on light grey here, white on black on the pad and in the network view."""
    panel.setPalette(make_palette(scheme))
    qtbot.wait(20)
    panel.set_moment(_drawing(make_snapshot().network, 4))
    lut = np.asarray(panel.diagram._input_img.lut)
    blank, ink = lut[0][:3].astype(int), lut[-1][:3].astype(int)
    assert blank.max() < 40 and ink.min() > 240


def test_in_the_window_yes_and_no_give_the_neurons_target(window, qtbot, make_one_neuron, dialogs, tmp_path):
    """End to end: a one-neuron network imported, a drawing, then "no, not a 6" and "yes, a 6" clicked."""
    from visualizer.core.weights_format import save_npz

    save_npz(make_one_neuron(6).network, tmp_path / "six.npz")
    window.import_weights(str(tmp_path / "six.npz"))  # answering Yes to "replace the network?"
    qtbot.waitUntil(lambda: window.session.shown is not None and window.session.shown.network.is_binary,
                    timeout=20_000)
    x = np.zeros((28, 28), np.float32)
    x[10:12, 6:22] = 1.0
    window.set_current_input(x)
    window.show_gradients()
    panel = window.gradients_panel
    qtbot.waitUntil(panel.isVisible, timeout=2000)
    window.render(everything=True)
    assert panel._answers_box.isVisible() and not panel._digits_box.isVisible()
    qtbot.mouseClick(panel.answer_buttons.button(0), Qt.MouseButton.LeftButton)
    window.render(everything=True)
    assert "Target <b>no, not a 6</b>" in panel.target_text()
    assert window.gradients.moment().target == 0
    qtbot.mouseClick(panel.answer_buttons.button(1), Qt.MouseButton.LeftButton)
    window.render(everything=True)
    assert "Target <b>yes, a 6</b>" in panel.target_text() and window.gradients.moment().target == 1
    assert panel.answer_buttons.checkedButton() is panel.answer_buttons.button(1)
