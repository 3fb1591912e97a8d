"""The recording and the moment shown: cursor, replay, continue-from-here, run files, pace (no Qt, no TF)."""

from __future__ import annotations

import numpy as np
import pytest
from session_fakes import tiny_network

from visualizer.core.network import Network
from visualizer.core.snapshot import SnapshotEvent, TrainingSnapshot
from visualizer.core.timeline import Batches, flatten_network
from visualizer.session import RunState
from visualizer.session.moments import Replay


def nets(n: int, hidden=(16, 16)):
    """Networks shaped like the fake backend's default (16, 16) one."""
    return [tiny_network(100 + i, hidden=hidden) for i in range(n)]


def record(timeline, networks, batches_per_epoch=4, start=0):
    """What the trainer does: the start moment, then one block per batch (every batch kept)."""
    if timeline.last_step is None:
        timeline.extend(networks[0], start)
    for net in networks[1:]:
        step = timeline.last_step + 1
        pos = (step - 1) % batches_per_epoch + 1
        timeline.append(Batches(first_step=step, epoch=(step - 1) // batches_per_epoch, first_batch=pos,
                                batches_per_epoch=batches_per_epoch, loss=np.array([2.0 - 0.1 * step]),
                                accuracy=np.array([0.1 * step]), weight_steps=[step], weights=[flatten_network(net)],
                                epoch_end=pos == batches_per_epoch))


def run_and_record(session, runner, networks):
    session.start()
    request = runner.requests[-1]
    record(request.timeline, networks)
    last = TrainingSnapshot(run_id=request.run_id, step=request.timeline.last_step, epoch=2, epochs=2, batch=0,
                            batches_per_epoch=4, network=networks[-1], event=SnapshotEvent.TRAIN_END)
    session.on_snapshot(last)
    runner.finish()
    return request.timeline


@pytest.fixture
def session(make_session, fakes):
    s = make_session(clock=lambda: s_clock[0])
    s.start_loading()
    return s


s_clock = [0.0]


def test_a_run_records_into_a_new_timeline_and_starting_again_continues_it(session, fakes):
    runner, _, _ = fakes
    first = run_and_record(session, runner, [session.latest.network, *nets(8)])
    assert runner.requests[-1].timeline is first and session.timeline is first
    assert runner.requests[-1].pace == session.pace == 100.0, "a watchable pace by default"
    session.start()
    assert runner.requests[-1].timeline is first, "Start again with the same layers extends the recording"
    runner.finish()
    session.reset()
    assert session.timeline is None
    session.start()
    assert runner.requests[-1].timeline is not first


def test_the_cursor_shows_a_recorded_moment_everywhere_and_live_comes_back(session, fakes):
    runner, _, _ = fakes
    networks = [session.latest.network, *nets(8)]
    run_and_record(session, runner, networks)
    moved = []
    session.cursor_changed.connect(moved.append)
    session.set_cursor(3)
    shown = session.shown
    assert shown.replayed and shown.step == 3 and shown.settled
    np.testing.assert_array_equal(shown.network.weights[0], networks[3].weights[0])
    assert session.analysis().network is shown.network, "the shared analysis follows the moment shown"
    session.move_cursor(+1)
    assert session.shown.step == 4 and session.shown.event is SnapshotEvent.EPOCH_END
    session.move_cursor_epochs(+1)
    assert session.cursor.step is None, "the last epoch end is the live edge"
    session.cursor_home()
    assert session.shown.step == 0
    session.move_cursor(-5)
    assert session.shown.step == 0, "clamped to the recording"
    session.go_live()
    assert session.shown is session.latest and moved == [3, 4, None, 0, None]


def test_training_goes_on_while_the_cursor_looks_at_the_past(session, fakes):
    runner, _, _ = fakes
    networks = [session.latest.network, *nets(4)]
    session.start()
    timeline = runner.requests[-1].timeline
    record(timeline, networks)
    session.set_cursor(2)
    record(timeline, [networks[-1], *nets(3)])
    runner.snapshot(7)
    assert session.state is RunState.RUNNING and session.shown.step == 2
    assert session.history().train_x.size == 7, "the curves hold every batch of the recording"


def test_replay_plays_at_its_pace_and_stops_or_loops_at_the_end(session, fakes):
    runner, _, _ = fakes
    run_and_record(session, runner, [session.latest.network, *nets(8)])
    s_clock[0] = 10.0
    session.cursor_home()
    session.play(pace=2.0)  # two recorded batches per second
    s_clock[0] = 11.0
    session.tick_replay()
    assert session.cursor.step == 2
    s_clock[0] = 20.0
    session.tick_replay()
    assert session.cursor.step == 8 and not session.replay.playing
    session.replay.loop = True
    session.play(pace=4.0)
    s_clock[0] = 22.5
    session.tick_replay()
    assert session.replay.playing and session.cursor.step == 0, "looped to the first moment"


def test_replay_with_a_fake_clock_alone():
    now = [0.0]
    replay = Replay(lambda: now[0])
    replay.set_pace(10.0)
    replay.start(5)
    now[0] = 0.35
    assert replay.tick((0, 100)) == 8
    replay.set_pace(None)
    now[0] = 0.45
    assert replay.tick((0, 100)) == 100 and not replay.playing


def test_continue_from_here_asks_drops_later_moments_and_trains_on_from_that_moment(make_session, fakes):
    runner, _, _ = fakes
    questions = []
    session = make_session(confirm=lambda title, text: questions.append(text) or True)
    session.start_loading()
    networks = [session.latest.network, *nets(8)]
    timeline = run_and_record(session, runner, networks)
    session.set_cursor(5)
    assert session.continue_from_cursor()
    assert "3 recorded moments" in questions[0]
    request = runner.requests[-1]
    assert request.timeline is timeline and timeline.last_step == 5 and request.initial.step == 5
    np.testing.assert_array_equal(request.initial.network.weights[1], networks[5].weights[1])
    assert session.cursor.live and session.state is RunState.RUNNING


def test_a_run_file_round_trip_opens_for_replay(session, fakes, tmp_path):
    runner, _, _ = fakes
    networks = [session.latest.network, *nets(6)]
    run_and_record(session, runner, networks)
    saved = []
    session.status_message.connect(saved.append)
    path = tmp_path / "run.nnviz-run"
    session.save_run(str(path))
    assert path.exists() and "Run saved" in saved[-1]
    session.reset()
    session.open_run(str(path))
    assert session.timeline is not None and session.timeline.batch_count == 6
    assert session.model_config is not None and session.state is RunState.READY
    session.set_cursor(2)
    np.testing.assert_array_equal(session.shown.network.weights[0], networks[2].weights[0])
    csv = tmp_path / "metrics.csv"
    session.export_metrics(str(csv))
    assert len(csv.read_text().strip().splitlines()) == 1 + 6


def test_a_broken_run_file_changes_nothing(session, fakes, tmp_path):
    runner, _, _ = fakes
    run_and_record(session, runner, [session.latest.network, *nets(3)])
    before = (session.timeline, session.latest)
    errors = []
    session.error_raised.connect(lambda title, text: errors.append((title, text)))
    bad = tmp_path / "broken.nnviz-run"
    bad.write_bytes(b"PK\x03\x04 not really a run")
    session.open_run(str(bad))
    assert (session.timeline, session.latest) == before and session.state is RunState.READY
    assert errors and errors[0][0] == "Could not open the run" and "\n" not in errors[0][1]


def test_the_pace_applies_to_a_run_in_progress(session, fakes):
    runner, _, _ = fakes
    paces = []
    session.pace_changed.connect(paces.append)
    session.set_pace(None)
    session.start()
    session.set_pace(10.0)
    assert runner.requests[-1].pace is None and ("pace", 10.0) in runner.calls and paces == [None, 10.0]


def test_a_moment_of_a_mixed_network_keeps_its_activations():
    net = Network.from_arrays([np.zeros((784, 3)), np.zeros((3, 10))], [np.zeros(3), np.zeros(10)], ("tanh",))
    from visualizer.core.timeline import Timeline

    t = Timeline()
    t.extend(net, 0)
    t.append(Batches(first_step=1, epoch=0, first_batch=1, batches_per_epoch=4, loss=np.array([1.0]),
                     accuracy=np.array([0.5]), weight_steps=[1], weights=[flatten_network(net)]))
    assert t.moment_at(1).network.activations == ("tanh", "softmax")


def test_a_step_applied_by_hand_is_a_moment_on_the_timeline_and_undo_takes_it_off(session, fakes):
    from dataclasses import replace

    runner, _, _ = fakes
    networks = [session.latest.network, *nets(4)]
    timeline = run_and_record(session, runner, networks)
    before = session.latest
    stepped = replace(before, step=before.step + 1, network=tiny_network(999, hidden=(16, 16)),
                      metrics={"loss": 0.5})
    assert session.adopt_snapshot(stepped, "Step applied")
    assert session.timeline is timeline and timeline.last_step == before.step + 1
    np.testing.assert_array_equal(timeline.moment_at(before.step + 1).network.weights[0], stepped.network.weights[0])
    assert session.adopt_snapshot(before, "Step undone")
    assert timeline.last_step == before.step and session.latest is before
    session.start()
    assert runner.requests[-1].timeline is timeline, "training goes on in the same recording"


def test_a_burst_of_cursor_moves_starts_one_neuron_analysis_of_the_final_moment(session, fakes):
    runner, _, _ = fakes
    networks = [session.latest.network, *nets(8)]
    run_and_record(session, runner, networks)
    started, results = session.neurons.analyses_started, []
    session.neurons.result_changed.connect(results.append)
    s_clock[0] = 100.0
    for step in (1, 2, 5, 6, 3):  # a drag: each move within a frame of the last
        session.set_cursor(step)
        s_clock[0] += 0.01
        assert not session.settle_cursor(), "still moving: no analysis yet"
    assert session.neurons.analyses_started == started
    s_clock[0] += 0.5
    assert session.settle_cursor() and not session.settle_cursor(), "one rest, one analysis"
    assert session.neurons.analyses_started == started + 1
    assert results[-1].snapshot.step == 3 and results[-1].snapshot is session.shown


def test_a_cursor_that_keeps_moving_still_gets_an_analysis_a_second(session, fakes):
    runner, _, _ = fakes
    run_and_record(session, runner, [session.latest.network, *nets(8)])
    s_clock[0] = 200.0
    rested = []
    session.cursor_rested.connect(rested.append)
    for i in range(30):  # a replay: a new moment every 50 ms for 1.5 s
        session.set_cursor(1 + i % 7)
        s_clock[0] += 0.05
        session.settle_cursor()
    assert len(rested) == 1, "one analysis in 1.5 s of moving, not one per move"
