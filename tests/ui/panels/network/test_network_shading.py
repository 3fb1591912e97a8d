"""The network view's neuron shading: signed (tanh's negatives look negative), a legend, the pad's polarity, guesses."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QWidget

from visualizer.ui.panels.network.view import ZERO_SHADE, NetworkView

from view_inputs import _ring_digit


def _brush_color(view: NetworkView, k: int) -> QColor:
    return QColor(view._neurons.data["brush"][k].color())


def _tanh_acts(snap, hidden1: np.ndarray) -> list[np.ndarray]:
    acts = [np.asarray(a, np.float32) for a in snap.network.forward(_ring_digit())]
    acts[1] = hidden1.astype(np.float32)
    return acts


def test_a_negative_activation_is_shaded_unlike_the_same_positive_one(network_view, make_snapshot):
    snap = make_snapshot(activation="tanh")
    network_view.set_weights(snap)
    hidden1 = np.zeros(16)
    hidden1[0], hidden1[1] = 0.8, -0.8
    network_view.set_activations(_tanh_acts(snap, hidden1))
    positive, negative, zero = (_brush_color(network_view, k) for k in (0, 1, 2))
    assert negative.rgb() != positive.rgb()
    assert negative.blue() > negative.red() + 40  # the diverging map's blue, as for negative weights
    assert zero.rgb() != negative.rgb() and zero.rgb() != positive.rgb()
    assert network_view._neurons.data["brush"][2] is network_view._brushes[ZERO_SHADE]


def test_wide_layer_cells_shade_negative_activations_apart(network_view, make_snapshot):
    snap = make_snapshot(hidden=(256,), activation="tanh")
    network_view.set_weights(snap)
    hidden1 = np.zeros(256)
    hidden1[0], hidden1[1] = 1.0, -1.0
    network_view.set_activations(_tanh_acts(snap, hidden1))
    image = network_view._cells[0].image
    lut = network_view._cell_lut
    first_row = image[0]
    pos, neg = first_row[0], first_row[5]  # cell 0 and cell 1 (5 image pixels a cell)
    to_entry = lambda v: int(np.clip(round(v * (len(lut) - 1)), 0, len(lut) - 1))  # noqa: E731
    assert tuple(lut[to_entry(pos)]) != tuple(lut[to_entry(neg)])
    assert lut[to_entry(neg)][2] > lut[to_entry(neg)][0]  # bluish


@pytest.mark.parametrize("dark", [False, True])
def test_input_ink_is_bright_on_dark_like_the_pad(network_view, make_snapshot, dark):
    pal = QPalette(network_view.palette())
    pal.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e" if dark else "#ffffff"))
    pal.setColor(QPalette.ColorRole.Text, QColor("#eeeeee" if dark else "#000000"))
    pal.setColor(QPalette.ColorRole.Window, QColor("#202020" if dark else "#f0f0f0"))
    pal.setColor(QPalette.ColorRole.WindowText, QColor("#eeeeee" if dark else "#000000"))
    network_view.setPalette(pal)
    network_view.set_weights(make_snapshot())
    network_view.set_activations(make_snapshot().network.forward(_ring_digit()))
    lut = network_view._input_img.lut
    blank, ink = QColor(*lut[0][:3]), QColor(*lut[-1][:3])
    # The pad draws white ink on black (MNIST); the network's input grid must not invert it in the light theme.
    assert ink.lightness() > 240 and blank.lightness() < 40


def test_the_legend_says_what_shading_means(network_view):
    assert not network_view._shading.pixmap().isNull()
    tip = network_view._shading.toolTip().lower()
    assert "activation" in tip and "negative" in tip and "probability" in tip


def test_a_right_answer_at_chance_confidence_is_called_a_guess(network_view, make_snapshot):
    snap = make_snapshot()
    acts = [np.asarray(a, np.float32) for a in snap.network.forward(_ring_digit())]
    acts[-1] = np.full(10, 0.088, np.float32)
    acts[-1][4] = 0.208 - 0.088  # 12%: the winner of a network that has learned nothing
    acts[-1] /= acts[-1].sum()
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=4, true_label=4)
    assert "guess" in network_view._out_labels[4].toPlainText()
    acts[-1] = np.full(10, 0.01, np.float32)
    acts[-1][4] = 0.91
    network_view.set_activations(acts, predicted=4, true_label=4)
    text = network_view._out_labels[4].toPlainText()
    assert "✓" in text and "guess" not in text


def test_strokes_grow_with_the_font(qtbot, make_snapshot):
    holder = QWidget()
    qtbot.addWidget(holder)
    view = NetworkView(holder)
    holder.resize(900, 450)
    view.resize(900, 450)
    holder.show()
    view.set_weights(make_snapshot())
    assert view._edges._pens[0].width() == 1
    font = QFont(holder.font())
    font.setPointSizeF(font.pointSizeF() * 1.8)
    holder.setFont(font)  # presenter mode scales the window's font; the view follows it
    assert view._edges._pens[0].width() == 2
    assert view._font.pointSizeF() == pytest.approx(font.pointSizeF())
