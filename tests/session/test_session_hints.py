"""When the session gives a teaching hint: at epoch and run ends, in the banner, quiet on a healthy run."""

from __future__ import annotations

import numpy as np

from visualizer.core.diagnostics import HintKind
from visualizer.core.history import MetricHistory
from visualizer.core.network import Network
from visualizer.core.snapshot import SnapshotEvent, TrainingSnapshot
from visualizer.session import RunState

from session_fakes import FakeDataset, tiny_network


def history(losses, accuracies, per_epoch: int = 20):
    """Per-batch training points, and one validation point per epoch at the epoch's last values."""
    h = MetricHistory()
    for e, (loss, acc) in enumerate(zip(losses, accuracies, strict=True)):
        for b in range(1, per_epoch + 1):
            h.add_train(e + b / per_epoch, loss, acc)
        h.add_validation(e + 1.0, loss, acc)
    return h.view()


def healthy(epochs: int = 2):
    return history(np.linspace(0.9, 0.3, epochs), np.linspace(0.8, 0.93, epochs))


def stuck(epochs: int = 1):
    return history([2.302] * epochs, [0.098] * epochs)  # what lr 10 with SGD gave: 9.8%, loss ln 10


def dead_network() -> Network:
    """Every hidden ReLU is off for every image in [0, 1] (biases far below zero): a run killed by lr 10."""
    net = tiny_network(2, hidden=(16, 16))
    return Network.from_arrays(net.weights, [np.full(16, -50.0), np.full(16, -50.0), net.biases[2]])


def loaded(make_session, fakes):
    _, _, backend = fakes
    rng = np.random.default_rng(0)
    backend.dataset = FakeDataset(rng.random((40, 784), dtype=np.float32), np.arange(40) % 10)
    session = make_session()
    session.start_loading()
    session.start()
    assert session.state is RunState.RUNNING
    return session


def send(session, view, network=None, event=SnapshotEvent.EPOCH_END, step: int = 20):
    snap = TrainingSnapshot(run_id=session.run_id, step=step, epoch=0, epochs=5, batch=20, batches_per_epoch=20,
                            network=network or session.latest.network, history=view, event=event)
    session.on_snapshot(snap)
    return snap


def test_a_healthy_run_gets_no_hint(make_session, fakes):
    session = loaded(make_session, fakes)
    send(session, healthy(1), step=20)
    send(session, healthy(2), step=40, event=SnapshotEvent.TRAIN_END)
    assert session.hints.checks == 2 and session.hints.hints == []
    assert session.banner == ("", "")


def test_lr_10_warns_in_the_banner_with_what_was_measured(make_session, fakes):
    session = loaded(make_session, fakes)
    lists = []
    session.hints.changed.connect(lists.append)
    send(session, stuck(), network=dead_network())
    kinds = [h.kind for h in session.hints.hints]
    assert kinds == [HintKind.DEAD_RELUS, HintKind.NOT_LEARNING, HintKind.CHANCE_ACCURACY]
    text, level = session.banner
    assert level == "warning" and text.startswith("Hint: 32 of 32 ReLU neurons (100%) output 0 for all 40 images")
    assert "learning rate too high?" in text and text.endswith("(2 more hints in the Neurons panel.)")
    assert lists[-1] == session.hints.hints


def test_no_check_on_batches_or_adopted_networks(make_session, fakes):
    session = loaded(make_session, fakes)
    before = session.hints.checks
    send(session, stuck(), network=dead_network(), event=SnapshotEvent.BATCH)
    session.neurons.analyse_now()  # a batch moment: analysed, not judged
    assert session.hints.checks == before and session.banner == ("", "")


def test_a_dismissed_hint_stays_quiet_for_the_run_and_a_new_run_may_warn_again(make_session, fakes):
    session = loaded(make_session, fakes)
    send(session, stuck(), network=dead_network(), step=20)
    assert session.banner[1] == "warning"
    session.dismiss_banner()  # the user closes it
    send(session, stuck(2), network=dead_network(), step=40)
    assert session.banner == ("", ""), "not nagged again in the same run"
    assert session.hints.hints, "the panel still lists what applies"
    session.runner.finish()
    session.start()  # new settings, a new chance
    send(session, stuck(1), network=dead_network(), step=60)
    assert session.banner[0].startswith("Hint: ")


def test_a_healthy_check_takes_the_hint_down_and_an_error_stays_in_front(make_session, fakes):
    session = loaded(make_session, fakes)
    send(session, stuck(), step=20)
    assert session.banner[0].startswith("Hint: training loss 2.30 after 1 epoch")
    send(session, healthy(2), step=40)
    assert session.banner == ("", "") and session.hints.hints == []
    session.on_run_error(RuntimeError("boom"))
    send(session, stuck(3), step=60)
    assert session.banner[1] == "error", "a hint never hides an error"
    assert not session.show_hint("anything")


def test_a_reset_clears_the_hints(make_session, fakes):
    session = loaded(make_session, fakes)
    send(session, stuck(), network=dead_network())
    assert session.hints.hints
    session.runner.finish()
    session.reset()
    assert session.hints.hints == [] and session.banner == ("", "")
