"""A file that would replace trained work asks first: weights of another architecture, a run over an unsaved one."""

from __future__ import annotations

from session_fakes import tiny_network
from test_session_state import loaded, recorder
from test_session_timeline import nets, run_and_record

from visualizer.session import RunState


def asking(answers, answer):
    return lambda title, text: answers.append((title, text)) or answer


def test_weights_of_another_architecture_ask_before_replacing_a_trained_network(make_session, fakes):
    runner, _, backend = fakes
    answers = []
    session = loaded(make_session, confirm=asking(answers, False))
    timeline = run_and_record(session, runner, [session.latest.network, *nets(5)])
    before, version = session.latest, timeline.version
    messages = recorder(session.status_message)
    session.import_weights("other.npz")  # the fake backend's 784-3-3-10 network
    (title, text), = answers
    assert title == "Replace the network?"
    assert text.startswith("The network is now 784-16-16-10 relu (trained for 5 batches); other.npz holds 784-3-3-10 relu.")
    assert "Cancel keeps it; File ▸ Export weights… saves it first." in text
    assert session.latest is before and session.timeline is timeline and timeline.version == version
    assert session.state is RunState.READY and messages == ["Import of other.npz cancelled; the network is unchanged"]
    session.confirm = asking(answers, True)
    session.import_weights("other.npz")
    assert session.latest.network is backend.imported and session.timeline is None


def test_weights_of_the_same_architecture_or_over_untrained_weights_replace_without_asking(make_session, fakes):
    runner, _, backend = fakes
    answers = []
    session = loaded(make_session, confirm=asking(answers, False))
    session.import_weights("first.npz")  # over fresh weights: nothing trained is lost
    assert session.latest.network is backend.imported and answers == []
    backend.imported = tiny_network(9, hidden=(3, 3))
    session.import_weights("second.npz")  # imported, but the same layers: a like-for-like swap
    assert session.latest.network is backend.imported and answers == []
    backend.imported = tiny_network(9, hidden=(5,))
    session.import_weights("third.npz")
    assert answers and "(imported from second.npz); third.npz holds 784-5-10 relu" in answers[0][1]
    assert session.latest.network.layer_sizes == (784, 3, 3, 10)


def test_the_activation_question_comes_first_then_the_replace_question(make_session, fakes):
    runner, _, backend = fakes
    answers = []
    session = loaded(make_session, confirm=asking(answers, False), choose=lambda title, text, options: "tanh")
    run_and_record(session, runner, [session.latest.network, *nets(2)])
    before = session.latest
    session.import_weights("raw.weights.h5")
    assert [t for t, _ in answers] == ["Replace the network?"] and session.latest is before
    assert backend.weights_read[-1] == ("raw.weights.h5", "tanh")


def trained_and_saved(make_session, fakes, path, answers, answer):
    """A session that trained 4 batches and saved them to ``path``."""
    runner, _, _ = fakes
    session = loaded(make_session, confirm=asking(answers, answer))
    run_and_record(session, runner, [session.latest.network, *nets(4)])
    session.save_run(str(path))
    return session, runner


def test_opening_a_run_over_an_unsaved_trained_run_asks_and_cancel_keeps_it(make_session, fakes, tmp_path):
    answers, path = [], tmp_path / "kept.nnviz-run"
    session, runner = trained_and_saved(make_session, fakes, path, answers, True)
    run_and_record(session, runner, nets(3))  # more batches after the save: the recording is unsaved again
    current, timeline = session.latest, session.timeline
    session.confirm = asking(answers, False)
    messages = recorder(session.status_message)
    session.open_run(str(path))
    (title, text), = answers
    assert title == "Open the run?"
    assert "this run is not saved. Opening kept.nnviz-run (4 batches) replaces it" in text
    assert session.latest is current and session.timeline is timeline and session.state is RunState.READY
    assert messages == ["Opening kept.nnviz-run cancelled; the current run is unchanged"]
    session.confirm = asking(answers, True)
    session.open_run(str(path))
    assert session.timeline is not timeline and session.timeline.batch_count == 4


def test_a_saved_or_opened_run_is_replaced_without_asking(make_session, fakes, tmp_path):
    answers, path = [], tmp_path / "run.nnviz-run"
    session, _ = trained_and_saved(make_session, fakes, path, answers, False)
    session.open_run(str(path))  # saved as it is: nothing to lose
    assert answers == [] and session.timeline.batch_count == 4
    opened = session.timeline
    session.open_run(str(path))  # the opened run is on disk too
    assert answers == [] and session.timeline is not opened


def test_a_bad_network_never_asks(make_session, fakes):
    runner, _, _ = fakes
    answers = []
    session = loaded(make_session, confirm=asking(answers, True))
    run_and_record(session, runner, [session.latest.network, *nets(2)])
    errors = recorder(session.error_raised)
    session.import_weights("bad.npz")
    assert answers == [] and errors and errors[0][0] == "Could not import the weights"
