"""The neuron analysis as the session schedules it: at settled moments, one at a time, newest wins, stale answers dropped."""

from __future__ import annotations

import numpy as np

from visualizer.core.neurons import analyze_neurons
from visualizer.core.snapshot import SnapshotEvent, TrainingSnapshot
from visualizer.session import NeuronRef, RunState
from visualizer.session.neurons import moment_text

from session_fakes import FakeDataset, tiny_network


def digits(n: int = 60, seed: int = 3) -> FakeDataset:
    rng = np.random.default_rng(seed)
    return FakeDataset(rng.random((n, 784), dtype=np.float32), np.arange(n) % 10)


def loaded(make_session, fakes, dataset=None):
    _, _, backend = fakes
    backend.dataset = dataset or digits()
    session = make_session()
    results = []
    session.neurons.result_changed.connect(results.append)
    session.start_loading()
    assert session.state is RunState.READY
    return session, results


def epoch_end(session, step: int, network=None, run_id=None) -> TrainingSnapshot:
    # As the trainer sends it: the epoch that just ended (0-based) with all its batches done.
    snap = TrainingSnapshot(run_id=session.run_id if run_id is None else run_id, step=step, epoch=step // 10 - 1,
                            epochs=5, batch=10, batches_per_epoch=10,
                            network=network or session.latest.network, event=SnapshotEvent.EPOCH_END)
    session.on_snapshot(snap)
    return snap


def test_the_adopted_network_is_analysed_and_the_matrix_is_the_core_result(make_session, fakes):
    session, results = loaded(make_session, fakes)
    (result,) = results
    assert result is session.neurons.result and result.snapshot is session.latest
    data = session.dataset
    direct = analyze_neurons(session.latest.network, data.x_test, data.y_test)
    for mine, theirs in zip(result.layers, direct.layers, strict=True):
        np.testing.assert_allclose(mine.mean_by_class, theirs.mean_by_class)
        np.testing.assert_array_equal(mine.dead, theirs.dead)
    # What the panel lists for a neuron and for one cell comes from the same answer.
    ref = NeuronRef(1, 2)
    ids, values = result.top(ref)
    np.testing.assert_array_equal(ids, direct.layers[0].top_images[2])
    ids3, _ = result.top(ref, digit=3)
    assert set(data.y_test[ids3]) == {3} and len(ids3) == 6  # 60 digits: six 3s
    np.testing.assert_allclose(result.template(ref), session.latest.network.weights[0][:, 2].reshape(28, 28))
    assert result.template(NeuronRef(2, 0)) is None and not result.has(NeuronRef(3, 0))
    assert result.caption() == "60 test digits, this network"  # the fake adopts a bare network


def test_batch_snapshots_are_not_analysed_but_epoch_ends_and_analyse_now_are(make_session, fakes):
    runner, _, _ = fakes
    session, results = loaded(make_session, fakes)
    started = session.neurons.analyses_started
    session.start()
    runner.snapshot(3)  # a batch during an epoch
    assert session.neurons.analyses_started == started
    snap = epoch_end(session, 10)
    assert session.neurons.analyses_started == started + 1 and results[-1].snapshot is snap
    assert moment_text(snap) == "after epoch 1"
    batch = runner.snapshot(12)
    assert session.neurons.analyse_now() and results[-1].snapshot is batch


def test_one_analysis_at_a_time_and_only_the_newest_request_waits(make_session, fakes):
    _, jobs, _ = fakes
    session, results = loaded(make_session, fakes)
    session.start()
    jobs.hold = True
    busy = []
    session.neurons.busy_changed.connect(busy.append)
    first = epoch_end(session, 10)
    epoch_end(session, 20)
    third = epoch_end(session, 30)
    assert len(jobs.held) == 1, "never two analyses at once"
    assert busy == [True]
    jobs.release()
    # The first epoch's answer is shown while the newest is computed; the middle one never ran.
    assert [r.snapshot for r in results[1:]] == [first, third]
    assert busy == [True, False] and not session.neurons.busy


def test_an_answer_for_a_previous_run_is_dropped(make_session, fakes):
    _, jobs, _ = fakes
    session, results = loaded(make_session, fakes)
    session.start()
    jobs.hold = True
    old = epoch_end(session, 10)
    session.runner.finish()
    session.reset()  # a new network while the old one's analysis runs
    jobs.held.reverse()  # the new weights are ready before the old analysis ends
    jobs.release()
    shown = [r.snapshot for r in results if r is not None]
    assert old not in shown, "the previous run's neurons are never shown over the new network"
    assert session.neurons.result.snapshot is session.latest and session.latest.run_id == old.run_id + 1


def test_an_answer_older_than_the_one_shown_is_dropped(make_session, fakes):
    _, jobs, _ = fakes
    session, results = loaded(make_session, fakes)
    session.start()
    later = epoch_end(session, 20)
    jobs.hold = True
    session.neurons.request(TrainingSnapshot(run_id=later.run_id, step=10, epoch=1, epochs=5, batch=0,
                                             batches_per_epoch=10, network=tiny_network(5, (16, 16))))
    jobs.release()
    assert session.neurons.result.snapshot is later


def test_a_new_network_clears_the_old_answer_and_a_new_dataset_drops_one_in_flight(make_session, fakes):
    _, jobs, _ = fakes
    session, results = loaded(make_session, fakes)
    session.import_weights("w.npz")  # another architecture (3, 3)
    assert results[-2] is None, "the old network's analysis is taken down at once"
    assert [layer.units for layer in results[-1].layers] == [3, 3]
    jobs.hold = True
    session.neurons.analyse_now()
    session.load_dataset("other.npz")  # held too: loads after the analysis started
    jobs.release()
    assert session.neurons.result.images is session.dataset.x_test
    assert session.neurons.result.analysis.count == len(session.dataset.x_test)


def test_a_failed_analysis_says_so_in_one_line(make_session, fakes, monkeypatch):
    session, results = loaded(make_session, fakes)
    failures = []
    session.neurons.failed.connect(failures.append)

    def broken(*args):
        raise MemoryError("no room")

    monkeypatch.setattr("visualizer.session.neurons.analyse_test_set", broken)
    session.neurons.analyse_now()
    assert failures == ["Could not analyse the neurons: MemoryError: no room"]
    assert session.neurons.result is results[-1], "the previous answer stays"


def test_after_closing_nothing_more_is_delivered_or_started(make_session, fakes):
    _, jobs, _ = fakes
    session, results = loaded(make_session, fakes)
    jobs.hold = True
    session.neurons.analyse_now()
    session.ideas.dream_digit(3)
    dreams = []
    session.ideas.ready.connect(dreams.append)
    session.close_analyses()  # the window closes while both compute
    started = session.neurons.analyses_started
    assert not session.neurons.busy
    session.neurons.analyse_now()
    jobs.release()
    assert len(results) == 1 and dreams == [] and session.neurons.analyses_started == started
