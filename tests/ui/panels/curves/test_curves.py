"""Curves draw the loss and accuracy history; the screenshot test of all three views."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage

from visualizer.ui.panels.curves.view import Curves
from visualizer.ui.panels.network.view import NetworkView
from visualizer.ui.panels.weights.view import WeightMaps

from view_inputs import CONFIGS, _ring_digit  # noqa: F401


@pytest.fixture
def curves(qtbot):
    widget = Curves()
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.show()
    return widget


def test_curves_follow_history(curves, make_history):
    history = make_history(epochs=3, batches_per_epoch=50)
    curves.set_history(history)
    lines = curves._lines
    assert len(lines["train_loss"].xData) == len(history.train_x) == 150
    np.testing.assert_array_equal(lines["train_loss_raw"].yData, history.train_loss)
    np.testing.assert_array_equal(lines["val_loss"].xData, history.val_x)
    np.testing.assert_allclose(lines["val_accuracy"].yData, history.val_accuracy * 100)
    assert lines["train_loss"].yData[-1] < lines["train_loss"].yData[0]  # smoothed, still falling
    curves.set_history(make_history(epochs=5, batches_per_epoch=50))
    assert len(lines["train_accuracy"].xData) == 250


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_curves_legend_is_one_line_above_the_plots(qtbot, make_history, palettes, scheme):
    widget = Curves()
    qtbot.addWidget(widget)
    widget.setPalette(palettes[scheme])
    widget.resize(260, 400)  # the narrow left dock
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_history(make_history())
    assert all(plot.legend is None for plot in (widget.loss_plot, widget.accuracy_plot)), "nothing over the curves"
    legend = widget.legend
    assert legend.isVisible() and legend.geometry().bottom() <= widget._canvas.geometry().top()
    assert "train (smoothed)" in legend.text() and "validation" in legend.text()
    assert legend.sizeHint().width() <= widget.width(), "fits on one line in the narrow dock"
    # The swatches are the lines' own colours in this theme.
    for key in ("train_loss", "val_loss"):
        assert widget._lines[key].opts["pen"].color().name() in legend.text()


def test_set_epochs_spans_the_run(curves, make_history):
    curves.set_epochs(30)
    assert curves.x_range()[1] == pytest.approx(30, rel=0.03)
    curves.set_history(make_history(epochs=3))  # early in the run: the axis still shows all of it
    assert curves.x_range()[1] == pytest.approx(30, rel=0.03)
    curves.set_epochs(2)  # a shorter run than the data shown: the data still fits
    assert curves.x_range()[1] >= 3


def test_curves_hover_readout(curves, make_history):
    history = make_history()
    curves.set_history(history)
    curves.show_values_at(2.0)
    text = curves.readout_text()
    assert "epoch 2.00" in text and f"loss {history.val_loss[1]:.4f}" in text
    assert all(line.isVisible() and line.value() == 2.0 for line in curves._crosshair)
    curves.show_values_at(None)
    assert curves.readout_text() == ""


def test_none_clears_curves(curves, make_history):
    curves.set_history(make_history())
    curves.set_history(None)
    assert all(line.xData is None or len(line.xData) == 0 for line in curves._lines.values())


# --------------------------------------------------------------------------- screenshots
def test_screenshots(qtbot, tmp_path, make_snapshot, make_history, palettes):
    """Render each widget in a light and a dark palette; the PNGs are for people to look at."""
    snap = make_snapshot()
    acts = snap.network.forward(_ring_digit())
    for theme, pal in palettes.items():
        widgets = {"network": NetworkView(), "weights": WeightMaps(), "curves": Curves()}
        for widget in widgets.values():
            qtbot.addWidget(widget)
            widget.setPalette(pal)
            widget.resize(1000, 480)
            widget.show()
        widgets["network"].set_weights(snap)
        widgets["network"].set_activations(acts, predicted=int(np.argmax(acts[-1])), true_label=3)
        widgets["network"].click_at(QPointF(*widgets["network"]._pos[1][2]))
        widgets["weights"].set_weights(snap)
        widgets["curves"].set_history(make_history())
        qtbot.wait(20)
        for name, widget in widgets.items():
            path = tmp_path / f"{name}_{theme}.png"
            assert widget.grab().save(str(path))
            img = QImage(str(path))
            assert img.width() >= 900
            corner = img.pixelColor(5, 5)
            assert corner.lightness() > 200 if theme == "light" else corner.lightness() < 60


def test_curves_empty_ranges_have_no_si_prefix(curves, make_history):
    """Before training: 0..1 epochs (or the run's length), loss 0..2.5, accuracy 0..100, no 'x0.001'."""
    lo, hi = curves.x_range()
    assert lo <= 0 < 1 <= hi < 1.1
    loss, acc = curves.y_ranges()["loss"], curves.y_ranges()["accuracy"]
    assert loss[0] <= 0 and 2.5 <= loss[1] < 2.7
    assert acc[0] <= 0 and 100 <= acc[1] < 103
    curves.set_epochs(5)
    assert 5 <= curves.x_range()[1] < 5.2
    for plot in (curves.loss_plot, curves.accuracy_plot):
        for key in ("left", "bottom"):
            axis = plot.getAxis(key)
            assert not axis.autoSIPrefix and axis.labelString().find("x0.") < 0
    curves.set_history(make_history(epochs=7, batches_per_epoch=50))  # data past the run: the axis follows
    assert curves.x_range()[1] >= 7
    curves.set_history(None)
    assert 5 <= curves.x_range()[1] < 5.2


def test_the_gradient_plot_draws_one_line_per_layer(curves):
    from visualizer.session.gradient_sizes import GradientSizeView

    x = np.linspace(0.1, 1.0, 10)
    norms = np.stack([1e-4 * np.ones(10), 1e-2 * np.ones(10), np.linspace(1.0, 0.5, 10)], axis=1)
    curves.set_gradient_sizes(GradientSizeView(x, norms, norms * 1e-3))
    lines = curves.gradients.lines
    assert len(lines) == 3 and not any(line.isVisible() for line in lines)
    curves.lower.setCurrentIndex(curves.lower.findData("gradients"))
    assert curves.showing_gradients() and all(line.isVisible() for line in lines)
    assert not curves._lines["train_accuracy"].isVisible(), "two plots only: the dock is short"
    assert curves.accuracy_plot.getAxis("left").logMode
    np.testing.assert_allclose(lines[0].yData, norms[:, 0])
    assert "W1" in curves.legend.text() and "W3" in curves.legend.text()
    curves.show_values_at(0.5)
    assert "gradient size @" in curves.readout_text() and "W1 0.0001" in curves.readout_text()
    curves.set_gradient_sizes(GradientSizeView(x[:2], norms[:2, :2], norms[:2, :2]))
    assert len(curves.gradients.lines) == 2 and "W3" not in curves.legend.text()
    curves.lower.setCurrentIndex(curves.lower.findData("accuracy"))
    assert curves._lines["train_accuracy"].isVisible() and not lines[0].isVisible()
    assert "validation" in curves.legend.text() and curves.y_ranges()["accuracy"][1] == pytest.approx(102)
