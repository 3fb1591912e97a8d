"""Explain one step: five stages in order, apply lowers the example's loss, undo restores the weights exactly."""

from __future__ import annotations

import numpy as np
import pytest

from visualizer.core.config import TrainingConfig
from visualizer.core.snapshot import SnapshotEvent
from visualizer.session import CurrentInput, RunState
from visualizer.session.gradients import Gradients, chosen_config
from visualizer.session.stepper import LayerMode, PairMode, Stage, StepExplainer, reveal_modes

SGD = TrainingConfig(hidden=(4,), optimizer="sgd", learning_rate=0.05)


def ready_session(make_session, config=SGD):
    session = make_session(config_source=lambda: config)
    session.start_loading()
    assert session.state is RunState.READY and session.input is not None  # test digit #1, with its label
    return session


def explainer(session) -> StepExplainer:
    gradients = Gradients(session)
    return StepExplainer(session, gradients.moment(), chosen_config(session))


def test_the_stages_come_in_order_with_one_frame_per_layer_forward_and_back(make_session):
    session = ready_session(make_session)
    step = explainer(session)
    stages = [f.stage for f in step.frames]
    # 784-4-10: input, hidden, output lit in turn; loss; the error at the output, then hidden; update; after.
    assert stages == [Stage.FORWARD] * 3 + [Stage.LOSS] + [Stage.BACKWARD] * 2 + [Stage.UPDATE, Stage.AFTER]
    assert [f.lit for f in step.frames[:3]] == [0, 1, 2]
    assert [f.error_from for f in step.frames[4:6]] == [2, 1]
    assert all(f.caption and f.title for f in step.frames)
    loss = step.frames[3].caption
    assert f"{step.gradient.loss:.4f}" in loss and "−log" in loss
    assert "plain SGD" in step.frames[6].caption and "momentum 0.9" in step.frames[6].caption
    after = step.frames[-1].caption
    assert f"{step.preview.loss_before:.4f}" in after and f"{step.preview.loss_after:.4f}" in after


def test_adam_runs_are_told_what_adam_would_do_instead(make_session):
    session = ready_session(make_session, TrainingConfig(hidden=(4,), optimizer="adam", learning_rate=0.001))
    update = next(f for f in explainer(session).frames if f.stage is Stage.UPDATE)
    assert "Adam" in update.caption and "lr = 0.001" in update.caption and "plain SGD" in update.caption


def test_next_back_jump_and_auto_play(make_session):
    session = ready_session(make_session)
    step = explainer(session)
    seen = []
    step.changed.connect(lambda: seen.append(step.index))
    step.back()
    assert step.at_start and not seen, "Back at the start stays put"
    step.next()
    step.next()
    step.back()
    assert seen == [1, 2, 1]
    step.go_to(Stage.UPDATE)
    assert step.frame.stage is Stage.UPDATE
    step.go_to(Stage.FORWARD)
    step.set_tempo("fast")
    step.play()
    ticks = 0
    while step.tick():
        ticks += 1
    assert step.at_end and not step.playing and ticks == len(step.frames) - 2
    step.play()  # from the end, playing starts over
    assert step.index == 0 and step.playing
    with pytest.raises(ValueError):
        step.set_tempo("ludicrous")


def test_apply_lowers_that_examples_loss_and_continues_the_run(make_session):
    session = ready_session(make_session)
    before = session.latest
    step = explainer(session)
    adopted = []
    session.network_adopted.connect(adopted.append)
    assert step.can_apply
    assert step.apply()
    now = session.latest
    assert adopted == [now] and now is not before
    assert now.run_id == before.run_id and now.step == before.step + 1 and now.event is SnapshotEvent.TRAIN_END
    x, t = session.input.vector, session.input.label
    gradients = Gradients(session)
    assert gradients.gradient(now.network, x, t).loss < gradients.gradient(before.network, x, t).loss
    np.testing.assert_allclose(now.network.weights[0], before.network.weights[0] - SGD.learning_rate
                               * step.gradient.weight_gradients[0], atol=1e-6)
    assert session.state is RunState.READY
    assert not step.can_apply and "applied" in step.apply_refusal()
    # Training continues from the stepped weights.
    assert session.start()
    assert session.runner.requests[-1].initial is now


def test_undo_restores_the_previous_weights_exactly(make_session):
    session = ready_session(make_session)
    before = session.latest
    copies = [w.copy() for w in before.network.weights] + [b.copy() for b in before.network.biases]
    step = explainer(session)
    assert not step.can_undo and "not been applied" in step.undo_refusal()
    step.apply()
    assert step.can_undo
    assert step.undo()
    assert session.latest is before
    for a, b in zip(copies, list(session.latest.network.weights) + list(session.latest.network.biases), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not step.can_undo and step.can_apply, "after undo the step can be applied again"


def test_apply_and_undo_are_refused_while_a_run_goes(make_session, fakes):
    runner, _, _ = fakes
    session = ready_session(make_session)
    step = explainer(session)
    notes = []
    step.changed.connect(lambda: notes.append(step.apply_refusal()))
    session.start()
    assert session.state is RunState.RUNNING
    assert not step.apply() and "stop it" in step.apply_refusal()
    assert notes and notes[-1] == step.apply_refusal(), "the view hears that apply became unavailable"
    session.set_paused(True)
    assert not step.apply(), "paused is still a run: its weights live in the trainer"
    runner.snapshot(5)
    runner.finish()
    assert session.state is RunState.READY
    assert not step.apply() and "changed since" in step.apply_refusal(), "the run moved the network on"


def test_undo_is_refused_once_training_moved_on(make_session, fakes):
    runner, _, _ = fakes
    session = ready_session(make_session)
    step = explainer(session)
    step.apply()
    session.start()
    assert not step.undo()
    runner.snapshot(step.applied.step + 3)
    runner.finish()
    assert not step.undo() and "changed since" in step.undo_refusal()


def test_closing_stops_listening_to_the_session(make_session):
    session = ready_session(make_session)
    step = explainer(session)
    notes = []
    step.changed.connect(lambda: notes.append(1))
    step.close()
    session.start()
    assert not notes


def test_a_drawing_without_target_cannot_be_explained(make_session):
    session = ready_session(make_session)
    session.set_input(CurrentInput(np.full(784, 0.5, np.float32)))
    with pytest.raises(ValueError, match="target"):
        explainer(session)


def test_reveal_modes_light_forward_then_show_errors_backward():
    layers, pairs = reveal_modes(4, lit=1, error_from=None)
    assert layers == [LayerMode.ACTIVATION, LayerMode.ACTIVATION, LayerMode.DARK, LayerMode.DARK]
    assert pairs == [PairMode.FLOW, PairMode.NONE, PairMode.NONE]
    layers, pairs = reveal_modes(4, lit=3, error_from=2)
    assert layers == [LayerMode.ACTIVATION, LayerMode.ACTIVATION, LayerMode.ERROR, LayerMode.ERROR]
    assert pairs == [PairMode.FLOW, PairMode.GRADIENT, PairMode.GRADIENT]
    layers, pairs = reveal_modes(4, lit=3, error_from=1)
    assert layers[0] is LayerMode.ACTIVATION and pairs == [PairMode.GRADIENT] * 3
