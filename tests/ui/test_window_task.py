"""The window with the "One neuron: is it a 6?" and "No hidden layer" presets: every view says what the
network answers (P(6), a 2x2 confusion, the template, yes/no targets), and explain-one-step works."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from window_fixtures import tiny_dataset

from visualizer.session import RunState
from visualizer.session.stepper import Stage
from visualizer.ui.window import MainWindow


@pytest.fixture
def trained(qtbot):
    def train(preset: str):
        w = MainWindow(dataset=tiny_dataset(240))  # one neuron learns "is it a 6?" in an epoch
        qtbot.addWidget(w)
        w.show()
        w.resize(1280, 800)
        qtbot.waitUntil(lambda: w.state is RunState.READY, timeout=60_000)
        w.actions.presets[preset].trigger()
        w.controls.epochs.setValue(3)
        w.session.set_pace(None)
        assert w.start_training()
        qtbot.waitUntil(lambda: w.state is RunState.READY and w.last_result is not None, timeout=120_000)
        w.show_test_digit(0)
        w.render(everything=True)
        return w

    return train


def test_one_neuron_every_view_asks_is_it_a_6(trained, qtbot):
    w = trained("one_neuron")
    net = w.session.latest.network
    assert net.layer_sizes == (784, 1) and net.digit == 6
    assert "balanced accuracy" in w.statusBar().currentMessage()
    (label,) = w.network_view.output_texts()
    assert label.startswith("is it a 6?\n")
    title = w.weight_maps.titles()[0]  # long or compact, by the canvas width
    assert title.startswith(("Output neuron: is it a 6? (its 784 weights as one 28×28 template)", "Output: is it a 6?"))
    p = float(net.probabilities(w.session.input.vector)[0])
    answer = "yes, a 6" if p >= 0.5 else "no, not a 6"
    assert answer in w.controls.input_label.text() and f"P(6) = {p:.2f}" in w.controls.input_label.text()
    assert w.pad.bars.summary() == f"P(6) = {p:.2f} — {answer}"
    qtbot.waitUntil(lambda: w.browser.evaluation() is not None, timeout=10_000)
    assert w.browser.confusion.matrix().shape == (2, 2) and "recall" in w.browser.eval_label.text()

    w.show_gradients()
    qtbot.waitUntil(lambda: w.gradients_panel.isVisible(), timeout=2000)
    w.render(everything=True)
    is_six = w.session.input.label == 6
    target = "yes, a 6" if is_six else "no, not a 6"
    qtbot.waitUntil(lambda: f"Target <b>{target}</b>" in w.gradients_panel.target_text(), timeout=2000)

    dialog = w.explain_step()
    qtbot.addWidget(dialog)
    step, seen = dialog.step, [dialog.step.frame.stage]
    while dialog.next_button.isEnabled():
        qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
        seen.append(step.frame.stage)
    assert set(seen) == set(Stage)
    assert "Binary cross-entropy" in next(f.caption for f in step.frames if f.stage is Stage.LOSS)
    before = step.preview.loss_before
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert w.session.latest.network.digit == 6
    current = w.session.input
    from visualizer.core.backprop import example_gradient

    assert example_gradient(w.session.latest.network, current.vector, int(is_six)).loss < before
    dialog.close()


def test_no_hidden_layer_shows_ten_templates_and_no_hidden_neurons(trained, qtbot):
    w = trained("no_hidden")
    assert w.session.latest.network.layer_sizes == (784, 10)
    assert w.weight_maps.titles()[0].startswith("Input → Output")
    w.weight_maps.resize(1000, 400)  # wide enough for the long title
    qtbot.waitUntil(lambda: w.weight_maps.titles()[0].startswith("Input → Output (10 templates, 28×28"), timeout=3000)
    assert len(w.network_view.output_texts()) == 10
    w.docks["Neurons"].show()
    w.docks["Neurons"].raise_()
    w.session.neurons.analyse_now()
    qtbot.waitUntil(lambda: "no hidden" in w.neurons.status.text(), timeout=20_000)
