"""Explain one step in the window: the Gradients dock, five captioned stages, Apply lowers the loss, Undo restores."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from visualizer.core.backprop import example_gradient
from visualizer.session import RunState
from visualizer.session.stepper import Stage


def loss_of(window, network) -> float:
    current = window.session.input
    return example_gradient(network, current.vector, current.label).loss


def test_the_gradients_dock_shares_the_right_column_and_draws_when_in_front(window, qtbot):
    dock = window.docks["Gradients"]
    assert dock in window.tabifiedDockWidgets(window.docks["Draw"])
    assert window.docks["Draw"].widget().isVisible(), "the pad stays in front by default"
    assert window.actions.explain_step in window.menus["training"].actions()
    window.show_gradients()
    qtbot.waitUntil(lambda: window.gradients_panel.isVisible(), timeout=2000)
    window.render(everything=True)
    label = window.session.input.label
    qtbot.waitUntil(lambda: f"Target <b>{label}</b>" in window.gradients_panel.target_text(), timeout=2000)
    nudges = window.gradients_panel.diagram.drawn_nudges()
    assert [d for d, direction, _ in nudges if direction > 0] == [label]
    window.show_test_digit(3)  # a new input is drawn on the next tick
    window.render()
    assert f"Target <b>{window.session.input.label}</b>" in window.gradients_panel.target_text()


def test_explain_walks_five_stages_then_apply_lowers_the_loss_and_undo_restores(window, qtbot):
    before = window.session.latest
    dialog = window.explain_step()
    qtbot.addWidget(dialog)
    step = dialog.step
    seen = [step.frame.stage]
    while dialog.next_button.isEnabled():
        qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
        seen.append(step.frame.stage)
        assert dialog.caption.text() == step.frame.caption and step.frame.caption
    assert [s for i, s in enumerate(seen) if i == 0 or s is not seen[i - 1]] == list(Stage)
    assert "lr = 0.05" in next(f.caption for f in step.frames if f.stage is Stage.UPDATE)
    assert "Adam" in next(f.caption for f in step.frames if f.stage is Stage.UPDATE), "the default optimizer"
    assert dialog.side.after_bars.probabilities() is not None
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    after = window.session.latest
    assert after is not before and after.step == before.step + 1 and after.run_id == before.run_id
    assert loss_of(window, after.network) < loss_of(window, before.network)
    assert "Applied" in dialog.status.text() and dialog.undo_button.isEnabled()
    assert not dialog.apply_button.isEnabled()
    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert window.session.latest is before
    for a, b in zip(window.session.latest.network.weights, before.network.weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert "Undone" in dialog.status.text()


def test_apply_is_refused_while_training(window, qtbot):
    dialog = window.explain_step()
    qtbot.addWidget(dialog)
    window.controls.epochs.setValue(10_000)
    window.start_training()
    qtbot.waitUntil(lambda: window.state is RunState.RUNNING, timeout=10_000)
    assert not dialog.apply_button.isEnabled()
    assert "stop it" in dialog.status.text()
    window.stop_training()
    qtbot.waitUntil(lambda: window.state is RunState.READY, timeout=30_000)
    assert not dialog.apply_button.isEnabled() and "changed since" in dialog.status.text()


def test_a_drawing_needs_a_target_before_its_step_can_be_explained(window, qtbot):
    x = np.zeros((28, 28), np.float32)
    x[10:12, 6:22] = 1.0
    window.set_current_input(x)
    assert window.explain_step() is None
    assert "needs a target" in window.statusBar().currentMessage()
    panel = window.gradients_panel
    qtbot.waitUntil(panel.isVisible, timeout=2000)
    window.render(everything=True)
    assert "needs a target" in panel.target_text()
    qtbot.mouseClick(panel.digit_buttons.button(3), Qt.MouseButton.LeftButton)
    window.render()
    assert "Target <b>3</b>" in panel.target_text()
    dialog = window.explain_step()
    qtbot.addWidget(dialog)
    assert dialog.step.moment.target == 3


def test_this_batch_shows_a_batch_of_training_images(window, qtbot):
    window.actions.show_batch.trigger()
    panel = window.gradients_panel
    qtbot.waitUntil(lambda: panel.isVisible() and panel.showing_batch(), timeout=2000)
    qtbot.waitUntil(lambda: window.batches.ready, timeout=10_000)
    window.render(everything=True)
    assert len(panel.batch.grid.captions()) == 32 and "Batch 1 of 5" in panel.batch.title.text()
    grid = panel.batch.grid
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.cell_rect(4).center().toPoint())
    window.render()
    assert window.batches.chosen == 4 and "Image 5 alone" in panel.batch.single.title()
    qtbot.mouseClick(panel.batch.next_button, Qt.MouseButton.LeftButton)
    window.render()
    assert "Batch 2 of 5" in panel.batch.title.text()
