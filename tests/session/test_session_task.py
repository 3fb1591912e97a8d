"""The task in the session: no hidden layer and "is it a 6?" continue training, import with their task
(or ask a yes/no neuron's digit), the summary reads balanced accuracy, gradients and explain-one-step
use yes/no targets."""

from __future__ import annotations

import numpy as np
import pytest
from test_session_state import loaded, recorder

from visualizer.core.config import TrainingConfig
from visualizer.core.network import Network
from visualizer.core.weights_format import ImportedNetwork
from visualizer.session import CurrentInput, InputSource, RunState
from visualizer.session.architecture import config_for, nearest_config, trains_as
from visualizer.session.gradients import Gradients, chosen_config
from visualizer.session.messages import shape_text
from visualizer.session.stepper import Stage, StepExplainer

SIX = TrainingConfig(hidden=(), one_vs_rest=6, optimizer="sgd", learning_rate=0.1)


def neuron(digit=6, hidden=(), seed=0) -> Network:
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 1)
    return Network.from_arrays([rng.normal(0, 0.05, (a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)],
                               [np.zeros(b) for b in sizes[1:]], digit=digit)


def test_training_can_continue_from_a_network_of_its_task():
    assert trains_as(neuron(6), SIX) and not trains_as(neuron(3), SIX) and not trains_as(neuron(None), SIX)
    softmax = Network.from_arrays([np.zeros((784, 10))], [np.zeros(10)])
    assert trains_as(softmax, TrainingConfig(hidden=(), activation="tanh"))  # no hidden layer: no activation
    assert not trains_as(softmax, SIX)
    assert config_for(neuron(6, hidden=(4,))).one_vs_rest == 6 and config_for(softmax).hidden == ()
    assert config_for(neuron(None)) is None
    assert nearest_config(neuron(None), SIX.with_changes(one_vs_rest=2)).one_vs_rest == 2  # keeps the digit entered
    assert shape_text(SIX) == "784-1 (is it a 6?)" and shape_text(TrainingConfig(hidden=())) == "784-10"


def _import(make_session, fakes, net, **kwargs):
    _, _, backend = fakes
    backend.read_weights = lambda path, activation=None: ImportedNetwork(net)
    entered = [TrainingConfig()]
    session = loaded(make_session, config_source=lambda: entered[0], **kwargs)
    session.config_adopted.connect(lambda config: entered.__setitem__(0, config))  # as the controls do
    session.import_weights("six.keras")
    return session


def test_an_imported_one_neuron_file_brings_its_task_and_start_trains_it_on(make_session, fakes):
    runner, _, _ = fakes
    asked = []
    session = _import(make_session, fakes, neuron(6), confirm=lambda *a: asked.append(a) or False)
    assert session.model_config.one_vs_rest == 6 and session.model_config.hidden == ()
    assert session.latest.network.question == "is it a 6?"
    assert session.start() and asked == [], "the same task continues without asking"
    assert runner.requests[-1].initial.network.digit == 6


def test_a_yes_no_neuron_of_unknown_digit_makes_the_session_ask_which(make_session, fakes):
    asked = []
    session = _import(make_session, fakes, neuron(None),
                      choose=lambda title, text, options: asked.append((title, list(options))) or "4")
    (title, options), = asked
    assert title == "Which digit does six.keras answer for?" and options == [str(d) for d in range(10)]
    assert session.latest.network.digit == 4 and session.model_config.one_vs_rest == 4


def test_cancelling_the_digit_question_keeps_the_network(make_session, fakes):
    _, _, backend = fakes
    backend.read_weights = lambda path, activation=None: ImportedNetwork(neuron(None))
    session = loaded(make_session, choose=lambda *a: None)
    before = session.latest
    messages = recorder(session.status_message)
    session.import_weights("six.keras")
    assert session.latest is before and session.state is RunState.READY
    assert messages == ["Import of six.keras cancelled"]


def test_the_run_summary_reads_balanced_accuracy_for_one_neuron(make_session):
    session = loaded(make_session)
    messages = recorder(session.status_message)
    snap = type("Snap", (), {"network": neuron(6)})()
    result = type("Result", (), dict(stopped=False, test_accuracy=0.95, test_balanced_accuracy=0.91, test_loss=0.2,
                                     samples_per_second=10.0, seconds=1.0, snapshot=snap))()
    session.on_run_finished(result)
    assert messages[-1].startswith("Run finished: test balanced accuracy 91.0% (plain 95.0%), loss 0.200")


def _binary_session(make_session, fakes, label):
    session = _import(make_session, fakes, neuron(6, hidden=(3,)))
    x = np.random.default_rng(3).random(784, dtype=np.float32)
    session.set_input(CurrentInput(x, InputSource.TEST_DIGIT, label, "Test digit #9", 8))
    return session


@pytest.mark.parametrize("label, target", [(6, 1), (3, 0)])
def test_a_test_digits_target_is_yes_for_the_digit_and_no_for_the_rest(make_session, fakes, label, target):
    session = _binary_session(make_session, fakes, label)
    moment = Gradients(session).moment()
    assert moment.target == target and moment.digit == label and moment.gradient is not None
    # The output's error is P(6) minus the target: a push up for a 6, down for the rest.
    p = float(moment.gradient.probabilities[0])
    assert moment.gradient.output_error[0] == pytest.approx(p - target, abs=1e-6)


def test_a_drawing_takes_the_digit_it_should_be_and_asks_yes_or_no(make_session, fakes):
    session = _binary_session(make_session, fakes, 6)
    gradients = Gradients(session)
    session.set_input(CurrentInput(session.input.vector, InputSource.DRAWING, None, "Your drawing"))
    assert gradients.moment().needs_target
    gradients.choose_target(6)
    assert gradients.moment().target == 1
    gradients.choose_target(2)
    assert gradients.moment().target == 0 and gradients.moment().digit == 2


@pytest.mark.parametrize("label", [6, 3])
def test_explain_one_step_walks_a_binary_cross_entropy_step(make_session, fakes, label):
    session = _binary_session(make_session, fakes, label)
    step = StepExplainer(session, Gradients(session).moment(), chosen_config(session))
    captions = {f.stage: f.caption for f in step.frames}
    loss = next(f for f in step.frames if f.stage is Stage.LOSS)
    answer = "yes, a 6" if label == 6 else "no, not a 6"
    assert f"The target is {answer}" in loss.caption and "Binary cross-entropy" in loss.caption
    assert loss.title == ("How wrong: −log P(6)" if label == 6 else "How wrong: −log (1 − P(6))")
    assert "sigmoid" in step.frames[2].caption and "P(6)" in captions[Stage.AFTER]
    before = step.preview.loss_before
    assert step.apply() and step.preview.loss_after < before  # the step lowers this example's loss
    assert session.latest.network.digit == 6
