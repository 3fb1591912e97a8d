"""Warnings that teach: each hint fires on a run made to trigger it and stays quiet on a healthy one."""

import numpy as np
import pytest

from analysis_helpers import blob_digits, random_network
from visualizer.core.backprop import batch_gradient, sgd_step
from visualizer.core.diagnostics import HintKind, RunMetrics, diagnose
from visualizer.core.history import MetricHistory
from visualizer.core.neurons import analyze_neurons


def train_and_record(learning_rate, epochs=2, batch=32, seed=0):
    """Train with numpy SGD like nnviz's trainer does and record its curves: (RunMetrics, network, data)."""
    x, y = blob_digits(60, seed=2)
    xv, yv = blob_digits(20, seed=3)
    net = random_network(seed=3)
    rng = np.random.default_rng(seed)
    bx, bl, ba, tl, ta, vl, va = [], [], [], [], [], [], []
    steps = int(np.ceil(len(y) / batch))
    for epoch in range(epochs):
        order = rng.permutation(len(y))
        losses, hits = [], []
        for k in range(steps):
            part = order[k * batch : (k + 1) * batch]
            g = batch_gradient(net, x[part], y[part])
            net = sgd_step(net, g, learning_rate)
            bx.append(epoch + (k + 1) / steps), bl.append(g.loss), ba.append(g.accuracy)
            losses.append(g.loss), hits.append(g.accuracy)
        tl.append(np.mean(losses)), ta.append(np.mean(hits))
        v = batch_gradient(net, xv, yv)
        vl.append(v.loss), va.append(v.accuracy)
    return RunMetrics(bx, bl, ba, tl, ta, vl, va), net, (xv, yv)


@pytest.fixture(scope="module")
def healthy():
    metrics, net, (xv, yv) = train_and_record(0.2, epochs=3)
    assert metrics.val_accuracy[-1] > 0.9
    return metrics, analyze_neurons(net, xv, yv)


def test_a_healthy_run_gets_no_hint(healthy):
    assert diagnose(*healthy) == []


def test_a_learning_rate_of_10_warns_of_dead_relus_no_learning_and_chance(healthy):
    metrics, net, (xv, yv) = train_and_record(10.0)
    hints = diagnose(metrics, analyze_neurons(net, xv, yv))
    kinds = [h.kind for h in hints]
    assert kinds == [HintKind.DEAD_RELUS, HintKind.NOT_LEARNING, HintKind.CHANCE_ACCURACY]
    dead = hints[0]
    assert "learning rate too high?" in dead.text and "of 32 ReLU neurons" in dead.measured
    assert "Hidden 1:" in dead.measured and "output 0 for all 200 images" in dead.measured
    assert f"training loss {metrics.train_loss[-1]:.2f} after 2 epochs" in hints[1].measured
    assert "ln 10 = 2.30" in hints[1].measured and "not learning" in hints[1].suggestion
    assert f"test accuracy {metrics.val_accuracy[-1]:.1%}" in hints[2].measured and "guessing scores 10%" in hints[2].measured
    assert all("\n" not in h.text and " \u2014 " in h.text for h in hints)


def test_a_loss_stuck_at_ln_10_after_an_epoch_but_not_before():
    flat = dict(batch_loss=np.full(40, 2.30), batch_accuracy=np.full(40, 0.11))
    early = RunMetrics(batch_epochs=np.linspace(0.025, 0.9, 40), **flat)
    assert diagnose(early) == []
    late = RunMetrics(batch_epochs=np.linspace(0.03, 1.2, 40), **flat)
    hint, chance = diagnose(late)
    assert hint.kind is HintKind.NOT_LEARNING and chance.kind is HintKind.CHANCE_ACCURACY
    assert hint.measured.startswith("training loss 2.30 after 1.2 epochs, about ln 10 = 2.30")
    assert chance.measured.startswith("training accuracy 11.0% after 1.2 epochs")
    learning = RunMetrics(batch_epochs=np.linspace(0.03, 1.2, 40), batch_loss=np.linspace(2.3, 0.4, 40),
                          batch_accuracy=np.linspace(0.1, 0.9, 40))
    assert diagnose(learning) == []


def test_overfitting_needs_two_rising_validation_epochs_while_training_falls():
    train = [0.40, 0.20, 0.12, 0.08, 0.05]
    good_acc = [0.9, 0.93, 0.95, 0.95, 0.95]
    rising = RunMetrics(train_loss=train, train_accuracy=good_acc, val_loss=[0.30, 0.20, 0.18, 0.19, 0.21],
                        val_accuracy=good_acc)
    (hint,) = diagnose(rising)
    assert hint.kind is HintKind.OVERFITTING
    assert "0.180 \u2192 0.190 \u2192 0.210" in hint.measured and "0.120 \u2192 0.080 \u2192 0.050" in hint.measured
    assert "after epoch 3" in hint.suggestion
    once = RunMetrics(train_loss=train, val_loss=[0.30, 0.20, 0.18, 0.17, 0.19], val_accuracy=good_acc)
    assert diagnose(once) == []
    both_rise = RunMetrics(train_loss=[0.4, 0.2, 0.12, 0.13, 0.15], val_loss=[0.30, 0.20, 0.18, 0.19, 0.21],
                           val_accuracy=good_acc)
    assert diagnose(both_rise) == []


def test_chance_for_a_yes_no_network_is_the_larger_class():
    stuck = RunMetrics(train_loss=[0.33], val_loss=[0.33], val_accuracy=[0.90], num_classes=2, chance_accuracy=0.9)
    (hint,) = diagnose(stuck)
    assert hint.kind is HintKind.CHANCE_ACCURACY and "guessing scores 90%" in hint.measured
    assert diagnose(RunMetrics(train_loss=[0.1], val_loss=[0.1], val_accuracy=[0.98], num_classes=2,
                               chance_accuracy=0.9)) == []


def test_metrics_from_the_curves_panel_history():
    history = MetricHistory()
    for k in range(1, 21):  # two epochs of 10 points, stuck at ln 10
        history.add_train(k / 10, 2.3026, 0.1)
        if k % 10 == 0:
            history.add_validation(k / 10, 2.3026, 0.098)
    metrics = RunMetrics.from_history(history.view())
    np.testing.assert_allclose(metrics.train_loss, [2.3026, 2.3026])
    assert metrics.epochs_done == 2.0
    assert [h.kind for h in diagnose(metrics)] == [HintKind.NOT_LEARNING, HintKind.CHANCE_ACCURACY]
    assert "test accuracy 9.8% after 2 epochs" in diagnose(metrics)[1].measured
    with pytest.raises(ValueError, match="one value per point"):
        RunMetrics(batch_epochs=[0.1, 0.2], batch_loss=[2.3], batch_accuracy=[0.1])
