"""The gradient views' model: targets (label or the user's choice), one backward pass per (network, input, target), batches."""

from __future__ import annotations

import numpy as np
import pytest

from visualizer.core.backprop import batch_gradient, example_gradient
from visualizer.core.config import TrainingConfig
from visualizer.core.snapshot import TrainingSnapshot
from visualizer.session import CurrentInput, InputSource
from visualizer.session.batches import TrainingBatches, shuffle_order
from visualizer.session.gradients import Gradients

from session_fakes import FakeDataset, tiny_network


def loaded(make_session, **kwargs):
    session = make_session(config_source=lambda: TrainingConfig(hidden=(4,), optimizer="sgd", learning_rate=0.1),
                           **kwargs)
    session.start_loading()
    return session


def drawing(value: float = 0.5, name: str = "Your drawing") -> CurrentInput:
    x = np.zeros(784, np.float32)
    x[300:400] = value
    return CurrentInput(x, InputSource.DRAWING, None, name)


def test_a_test_digit_is_explained_with_its_true_label(make_session):
    session = loaded(make_session)
    gradients = Gradients(session)
    moment = gradients.moment()
    assert moment.target == session.input.label and not moment.needs_target
    expected = example_gradient(session.latest.network, session.input.vector, session.input.label)
    np.testing.assert_allclose(moment.gradient.deltas[-1], expected.deltas[-1])
    assert moment.gradient.loss == pytest.approx(expected.loss)
    assert moment.learning_rate == 0.1 and moment.optimizer == "sgd"


def test_a_drawing_needs_a_target_until_the_user_gives_one_and_keeps_it_while_drawn(make_session):
    session = loaded(make_session)
    gradients = Gradients(session)
    told = []
    gradients.target_changed.connect(told.append)
    session.set_input(drawing(0.5))
    moment = gradients.moment()
    assert moment.needs_target and moment.gradient is None and "needs a target" in moment.reason
    assert gradients.needs_target()
    gradients.choose_target(7)
    assert gradients.moment().target == 7 and not gradients.needs_target()
    session.set_input(drawing(0.9))  # another stroke: still the user's drawing of a 7
    assert gradients.target() == 7
    session.set_input(None)  # cleared
    session.set_input(drawing(0.5))
    assert gradients.target() is None
    session.show_test_digit(1)
    gradients.choose_target(3)  # a test digit keeps its label
    assert gradients.target() == int(session.dataset.y_test[1])
    assert told[:2] == [None, 7] and told[-1] == int(session.dataset.y_test[1])
    session.set_input(drawing(0.5))
    with pytest.raises(ValueError):
        gradients.choose_target(12)


def test_the_gradient_is_computed_once_per_network_input_and_target(make_session, fakes):
    runner, _, _ = fakes
    session = loaded(make_session)
    gradients = Gradients(session)
    first = gradients.moment()
    for _ in range(3):  # every view of a frame
        assert gradients.moment().gradient is first.gradient
    assert gradients.cache.computed == 1
    session.on_snapshot(TrainingSnapshot.of_network(tiny_network(42), run_id=session.run_id, step=3))
    assert gradients.moment().gradient is not first.gradient and gradients.cache.computed == 2
    session.set_input(drawing())
    gradients.choose_target(1)
    gradients.moment()
    gradients.choose_target(2)
    gradients.moment()
    assert gradients.cache.computed == 4, "another target is another backward pass"


def test_hover_details_say_what_one_sgd_step_would_change(make_session):
    session = loaded(make_session)
    moment = Gradients(session).moment()
    g, lr = moment.gradient, moment.learning_rate
    out = moment.neuron(2, moment.target)  # the target output: its error is p - 1 < 0, it should go up
    assert out.delta == pytest.approx(g.probabilities[moment.target] - 1)
    assert out.bias_change == pytest.approx(-lr * out.delta) and out.bias_change > 0
    assert out.activation_after > out.activation, "one step raises the right digit's probability"
    edge = moment.edge(1, 2, moment.target)
    assert edge.gradient == pytest.approx(g.activations[1][2] * g.deltas[1][moment.target])
    assert edge.change == pytest.approx(-lr * edge.gradient)
    assert edge.weight == pytest.approx(float(session.latest.network.weights[1][2, moment.target]))
    assert moment.neuron(0, 0) is None and moment.neuron(2, 10) is None and moment.edge(2, 0, 0) is None


def test_a_one_output_network_is_not_explained(make_session):
    session = loaded(make_session)
    rng = np.random.default_rng(0)
    from visualizer.core.network import Network

    binary = Network.from_arrays([rng.normal(0, 0.1, (784, 3)), rng.normal(0, 0.1, (3, 1))], [np.zeros(3), np.zeros(1)])
    moment = Gradients(session).moment(TrainingSnapshot.of_network(binary))
    assert moment.needs_target and "yes/no" in moment.reason


def test_batches_page_through_a_fixed_shuffle_of_the_training_set(make_session, fakes):
    _, jobs, backend = fakes
    rng = np.random.default_rng(3)
    backend.dataset = FakeDataset()
    backend.dataset.x_train = rng.random((70, 784), dtype=np.float32)
    backend.dataset.y_train = rng.integers(0, 10, 70)
    session = loaded(make_session)
    batches = TrainingBatches(session)
    assert "shuffle_order" in jobs.submitted, "the permutation of the whole training set is made in the background"
    assert batches.ready and batches.count == 3  # 32 + 32 + 6
    batch = batches.batch()
    order = shuffle_order(70)
    np.testing.assert_array_equal(batch.indices, order[:32])
    np.testing.assert_array_equal(batch.images, backend.dataset.x_train[order[:32]])
    expected = batch_gradient(session.latest.network, backend.dataset.x_train[order[:32]], backend.dataset.y_train[order[:32]])
    np.testing.assert_allclose(batch.gradient.losses, expected.losses)
    np.testing.assert_allclose(batch.gradient.weight_gradients[0], expected.weight_gradients[0])
    assert batches.batch() is batch, "computed once per network and batch"
    changes = []
    batches.changed.connect(lambda: changes.append(batches.number))
    batches.step(-1)  # wraps around to the last, smaller batch
    assert changes == [2] and len(batches.batch()) == 6 and batches.batch().title == "Batch 3 of 3"
    batches.step(+1)
    np.testing.assert_array_equal(batches.batch().indices, order[:32])
    assert "fixed shuffle" in batches.describe() and "not the very batch" in batches.describe()
    batches.choose(5)
    own = batches.example_gradient()
    expected = example_gradient(session.latest.network, batch.images[5], batch.labels[5])
    assert own.loss == pytest.approx(expected.loss) and own.loss == pytest.approx(batch.gradient.losses[5])
    assert batches.example_gradient() is own
    batches.step(+1)
    assert batches.chosen == 0, "a new batch starts at its first image"


def test_batches_wait_for_the_shuffle_and_ignore_one_for_an_old_dataset(make_session, fakes):
    _, jobs, backend = fakes
    backend.dataset.x_train = np.zeros((40, 784), np.float32)
    backend.dataset.y_train = np.zeros(40, np.int64)
    session = loaded(make_session)
    jobs.hold = True
    batches = TrainingBatches(session)
    assert not batches.ready and batches.batch() is None
    newer = FakeDataset()
    newer.x_train, newer.y_train = np.ones((33, 784), np.float32), np.ones(33, np.int64)
    session.dataset_changed.emit(newer)
    session.dataset = newer
    jobs.release()
    assert batches.ready and batches.count == 2
    assert np.all(batches.batch().images == 1)


# -- big networks: the gradient in a background job, latest wins ------------------------------------

@pytest.fixture
def background(monkeypatch):
    """Every network counts as big: its moments come from background jobs."""
    import visualizer.session.gradients as module

    monkeypatch.setattr(module, "BACKGROUND_WEIGHTS", 0)


def watched(make_session, fakes):
    """A session, its Gradients, the list ``ready`` appends to, and jobs held until released."""
    session = loaded(make_session)
    gradients = Gradients(session)
    ready = []
    gradients.ready.connect(lambda: ready.append(True))
    fakes[1].hold = True
    return session, gradients, ready


def test_a_big_network_is_differentiated_in_the_background_then_shown(make_session, fakes, background):
    session, gradients, ready = watched(make_session, fakes)
    pending = gradients.moment()
    assert pending.pending and pending.gradient is None and "Computing" in pending.reason
    assert fakes[1].submitted[-1] == "moment_parts" and not ready
    fakes[1].release()
    assert ready == [True]
    moment = gradients.moment()
    assert not moment.pending and moment.network is session.shown.network
    expected = example_gradient(session.shown.network, session.input.vector, session.input.label)
    np.testing.assert_allclose(moment.gradient.deltas[0], expected.deltas[0], rtol=1e-6)
    assert moment.preview is not None and moment.neuron(1, 0).activation_after == pytest.approx(
        float(moment.preview.after.forward(session.input.vector)[1][0]), abs=1e-6)


def test_a_result_for_an_input_no_longer_shown_is_dropped(make_session, fakes, background):
    session, gradients, ready = watched(make_session, fakes)
    gradients.moment()  # test digit 0: its job is held
    session.show_test_digit(1)
    waiting = gradients.moment()
    assert waiting.pending and waiting.gradient is None  # never digit 0's gradient under digit 1's name
    fakes[1].release()  # digit 0's result arrives late, then digit 1's job runs
    assert gradients.dropped == 1 and ready == [True]
    moment = gradients.moment()
    assert moment.current is session.input and not moment.pending
    expected = example_gradient(session.shown.network, session.input.vector, session.input.label)
    assert moment.gradient.loss == pytest.approx(expected.loss, rel=1e-6)


def test_a_new_network_shows_the_last_gradient_of_that_example_until_its_own_arrives(make_session, fakes, background):
    session = loaded(make_session)
    gradients = Gradients(session)
    first = gradients.moment()
    net = session.shown.network
    newer = TrainingSnapshot.of_network(type(net).from_arrays([w * 1.5 for w in net.weights], net.biases,
                                                              net.hidden_activations))
    fakes[1].hold = True
    waiting = gradients.moment(newer)
    assert waiting.pending and waiting.network is first.network and waiting.gradient is first.gradient
    fakes[1].release()
    assert gradients.moment(newer).network is newer.network
