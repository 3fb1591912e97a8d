"""Importing weights: the session asks for activations a file does not store, and guards imported networks on Start."""

from __future__ import annotations

from test_session_state import loaded, recorder

from visualizer.core.config import TrainingConfig
from visualizer.session import RunState


def test_a_file_without_activations_makes_the_session_ask_then_read_it_again(make_session, fakes):
    _, _, backend = fakes
    asked = []

    def choose(title, text, options):
        asked.append((title, text, list(options)))
        return "tanh"

    session = loaded(make_session, choose=choose)
    messages = recorder(session.status_message)
    errors = recorder(session.error_raised)
    session.import_weights("raw.weights.h5")
    (title, text, options), = asked
    assert title == "Which activation does raw.weights.h5 use?"
    assert "stores no activations" in text and "Which activation do its hidden layers use?" in text
    assert options == ["relu", "sigmoid", "tanh", "linear"]
    assert backend.weights_read == [("raw.weights.h5", None), ("raw.weights.h5", "tanh")]
    assert session.latest.network.activations == ("tanh", "tanh", "softmax") and errors == []
    assert session.model_config.activation == "tanh" and session.state is RunState.READY
    assert messages[-1].startswith("Imported weights from raw.weights.h5: 784-3-3-10 tanh")


def test_cancelling_the_question_changes_nothing(make_session, fakes):
    _, _, backend = fakes
    session = loaded(make_session, choose=lambda title, text, options: None)
    before = session.latest
    messages = recorder(session.status_message)
    session.import_weights("raw.weights.h5")
    assert session.latest is before and session.state is RunState.READY
    assert messages == ["Import of raw.weights.h5 cancelled"] and len(backend.weights_read) == 1


def test_a_mixed_network_is_shown_and_start_offers_a_new_one_in_plain_words(make_session, fakes):
    runner, _, _ = fakes
    answers, entered = [], [TrainingConfig()]
    session = loaded(make_session, confirm=lambda title, text: answers.append((title, text)) or False,
                     config_source=lambda: entered[0])
    session.config_adopted.connect(lambda config: entered.__setitem__(0, config))  # as the controls do
    configs = recorder(session.config_adopted)
    messages = recorder(session.status_message)
    session.import_weights("mixed.keras")
    assert session.latest.network.activations == ("relu", "tanh", "softmax")
    assert configs[-1].hidden == (3, 3) and configs[-1].activation == "relu" and session.model_config is None
    assert "784-3-3-10 relu/tanh; the last layer gives logits: softmax is applied" in messages[-1]
    assert not session.start(), "the user said Cancel"
    (title, text), = answers
    assert title == "Change the network?"
    assert text.startswith("The network is now 784-3-3-10 relu/tanh (imported from mixed.keras); nnviz trains "
                           "networks whose hidden layers all use one activation")
    assert "Start a new 784-3-3-10 relu network instead?" in text
    assert runner.requests == [] and session.state is RunState.READY
    session.confirm = lambda title, text: True
    assert session.start()
    assert runner.requests[-1].initial is None and runner.requests[-1].config.hidden == (3, 3)


def test_imported_weights_are_kept_unless_the_user_agrees_to_replace_them(make_session, fakes):
    runner, _, backend = fakes
    config = [TrainingConfig()]
    answers = []
    session = loaded(make_session, config_source=lambda: config[0],
                     confirm=lambda title, text: answers.append(text) or False)
    session.import_weights("w.npz")  # 784-3-3-10 relu: training can continue from it
    config[0] = session.model_config.with_changes(seed=5)  # another seed alone keeps them
    assert session.start() and runner.requests[-1].initial.network is backend.imported
    runner.finish()
    session.import_weights("w.npz")
    config[0] = TrainingConfig(hidden=(8,))
    assert not session.start() and answers[-1].startswith(
        "The network is now 784-3-3-10 relu (imported from w.npz); you asked for 784-8-10 relu.")
