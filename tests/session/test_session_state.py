"""The run state machine, tested with a fake Runner and fake Jobs: no Qt, no threads, no TensorFlow."""

from __future__ import annotations

import pytest

from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ConfigError, TrainingDiverged
from visualizer.core.snapshot import SnapshotEvent
from visualizer.session import RunState
from visualizer.session.state import TRANSITIONS, can_move


def recorder(event):
    seen = []
    event.connect(lambda *args: seen.append(args[0] if len(args) == 1 else args))
    return seen


def loaded(make_session, **kwargs):
    session = make_session(**kwargs)
    session.start_loading()
    assert session.state is RunState.READY
    return session


def test_loading_builds_the_network_and_shows_the_first_test_digit(make_session):
    session = make_session()
    states = recorder(session.state_changed)
    adopted = recorder(session.network_adopted)
    assert session.state is RunState.LOADING and not session.state.can_start
    session.start_loading()
    assert states == [RunState.READY]
    assert len(adopted) == 1 and session.latest is adopted[0] and session.model_config == TrainingConfig()
    assert session.input is not None and session.input.test_index == 0 and session.input.label == 0
    assert session.banner == ("", "")  # the loading notice is gone


def test_failed_start_leaves_only_open_dataset_and_opening_one_builds_the_network(make_session, fakes):
    _, _, backend = fakes
    backend.fail_startup = RuntimeError("TensorFlow could not start")
    session = make_session()
    session.start_loading()
    assert session.state is RunState.NO_DATA and session.state.can_open_dataset and not session.state.can_start
    assert session.banner[1] == "error" and "TensorFlow could not start" in session.banner[0]
    assert not session.start()
    session.load_dataset("digits.npz")
    assert session.state is RunState.READY and session.latest is not None, "Start is possible at last"


def test_start_pause_step_resume_stop_and_every_transition_is_allowed(make_session, fakes):
    runner, _, _ = fakes
    session = loaded(make_session)
    states = recorder(session.state_changed)
    started = recorder(session.run_started)
    assert session.start()
    assert states[-1] is RunState.RUNNING and started == [TrainingConfig()]
    session.set_paused(True)
    session.step()
    session.set_paused(False)
    session.toggle_start_pause()  # pauses a running run
    session.toggle_start_pause()  # resumes it
    session.stop()
    assert runner.calls == ["start", "pause", ("step", 1), "resume", "pause", "resume", "stop"]
    assert states == [RunState.RUNNING, RunState.PAUSED, RunState.RUNNING, RunState.PAUSED, RunState.RUNNING,
                      RunState.STOPPING]
    runner.finish(stopped=True)
    assert session.state is RunState.READY and session.last_result.stopped
    old = RunState.READY
    for new in [RunState.LOADING, *states]:
        assert can_move(old, new) == (new in TRANSITIONS[old])
        old = new if can_move(old, new) else old


def test_step_when_idle_starts_a_paused_run_and_runs_one_batch(make_session, fakes):
    runner, _, _ = fakes
    session = loaded(make_session)
    session.step()
    assert runner.requests[-1].paused and session.state is RunState.PAUSED
    assert runner.calls == ["start", ("step", 1)]


def test_refused_transitions_change_nothing(make_session, fakes):
    runner, _, _ = fakes
    session = make_session()  # still loading
    assert not session.start()
    session.set_paused(True)
    session.stop()
    session.step()
    session.reset()
    session.import_weights("w.npz")
    assert runner.calls == [] and session.state is RunState.LOADING
    session.start_loading()
    session.start()
    session.import_weights("w.npz")  # not during a run
    session.load_dataset("d.npz")
    assert session.state is RunState.RUNNING and session.latest.network is not fakes[2].imported
    with pytest.raises(RuntimeError, match="cannot go from"):
        session._set_state(RunState.LOADING)


def test_invalid_settings_are_refused_and_shown(make_session, fakes):
    runner, _, _ = fakes

    def broken():
        raise ConfigError("hidden layer sizes must be between 1 and 1024")

    session = make_session()
    session.start_loading()  # falls back to the default settings, and says so to the controls
    refused = recorder(session.config_refused)
    session.config_source = broken
    assert not session.start() and runner.calls == []
    session.reset()
    assert refused == ["hidden layer sizes must be between 1 and 1024"] * 2 and session.state is RunState.READY


def test_reset_mid_run_stops_first_then_builds_fresh_weights(make_session, fakes):
    runner, _, _ = fakes
    session = loaded(make_session)
    session.start()
    runner.snapshot(3)
    session.reset()
    assert session.state is RunState.STOPPING and runner.calls[-1] == "stop"
    run_before = session.run_id
    runner.finish(stopped=True)
    assert session.state is RunState.READY and session.run_id == run_before + 1
    assert session.latest.step == 0 and session.latest.run_id == session.run_id


def test_changing_the_layers_of_a_trained_network_asks_first(make_session, fakes):
    runner, _, _ = fakes
    answers = []
    config = [TrainingConfig()]
    session = loaded(make_session, config_source=lambda: config[0],
                     confirm=lambda title, text: answers.append(title) or False)
    session.start()
    runner.snapshot(5)
    runner.finish()
    config[0] = TrainingConfig(hidden=(8,))
    assert not session.start(), "the user said Cancel"
    assert answers == ["Change the network?"] and session.state is RunState.READY
    session.confirm = lambda title, text: True
    run_before = session.run_id
    assert session.start()
    assert runner.requests[-1].initial is None and session.run_id == run_before + 1


def test_a_second_run_continues_from_the_weights(make_session, fakes):
    runner, _, _ = fakes
    session = loaded(make_session)
    session.start()
    last = runner.snapshot(20, SnapshotEvent.TRAIN_END)
    runner.finish()
    session.start()
    assert runner.requests[-1].initial is last and runner.requests[-1].run_id == last.run_id


def test_snapshots_latest_wins_and_settled_ones_are_announced(make_session, fakes):
    runner, _, _ = fakes
    session = loaded(make_session)
    settled = recorder(session.snapshot_settled)
    session.start()
    newest = runner.snapshot(9)
    runner.snapshot(4)  # a straggler
    assert session.latest is newest and session.snapshots_received == 2
    end = runner.snapshot(10, SnapshotEvent.EPOCH_END)
    assert settled == [end]


def test_divergence_shows_a_banner_that_the_next_start_clears(make_session, fakes):
    runner, _, _ = fakes
    session = loaded(make_session)
    session.start()
    runner.finish(error=TrainingDiverged("training diverged at epoch 1, batch 3 (loss is nan)"))
    assert session.banner[1] == "error" and "Try a smaller learning rate" in session.banner[0]
    assert session.state is RunState.READY and session.last_result is None
    session.start()
    assert session.banner == ("", "")


def test_file_jobs_are_busy_meanwhile_and_failures_change_nothing(make_session, fakes):
    _, jobs, _ = fakes
    session = loaded(make_session)
    errors = recorder(session.error_raised)
    before = (session.dataset, session.latest)
    jobs.hold = True
    session.load_dataset("bad.npz")
    assert session.state is RunState.BUSY and not session.state.can_start
    jobs.hold = False
    jobs.release()
    assert session.state is RunState.READY and (session.dataset, session.latest) == before
    session.import_weights("bad.keras")
    assert session.state is RunState.READY and session.latest is before[1]
    assert [title for title, _ in errors] == ["Could not open the dataset", "Could not import the weights"]
    assert "corrupt" in errors[1][1]


def test_import_adopts_the_network_and_its_architecture(make_session, fakes):
    _, _, backend = fakes
    session = loaded(make_session)
    configs = recorder(session.config_adopted)
    run_before = session.run_id
    session.import_weights("w.npz")
    assert session.latest.network is backend.imported and session.run_id == run_before + 1
    assert configs[-1].hidden == (3, 3) and session.model_config.hidden == (3, 3)


def test_an_image_is_read_in_the_background_and_handed_to_the_pad(make_session, fakes):
    _, jobs, backend = fakes
    session = loaded(make_session)
    images, errors = recorder(session.image_loaded), recorder(session.error_raised)
    backend.images["/x/seven.png"] = "pixels"
    session.open_image("/x/seven.png")
    session.open_image("/x/missing.png")
    assert images == [("pixels", "seven.png")]
    assert errors and errors[0][0] == "Cannot open image"
    assert jobs.submitted[-2:] == ["read_image", "read_image"] and session.state is RunState.READY
