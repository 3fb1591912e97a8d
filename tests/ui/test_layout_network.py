"""The network view at small and large sizes: titles clear of the neurons, every output row apart, all text inside."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication

from visualizer.ui.panels.network.view import NetworkView

from view_inputs import _ring_digit
from window_fixtures import save_screenshot

NOTICE = ("Settings from last time: a large 784-1024-1024-1024-10 network (2,913,290 parameters: slow to "
          "train and draw) and a locked weight colour range (maps saturate as weights grow).")
# The view's whole size (drawing, colour keys and caption) in the window, measured: at 1024x700
# with the startup notice and without, at 1280x800, at 1920x1080; and one smaller than any of them.
SIZES = [(327, 250), (327, 349), (533, 343), (1173, 701), (330, 190)]
NETWORKS = ["16-16", "1024-1024-1024", "784-10", "784-1"]


def _settle():
    for _ in range(5):
        QCoreApplication.sendPostedEvents()
        QCoreApplication.processEvents()


def _frame(network: str, make_snapshot, make_one_neuron):
    """(snapshot, activations, predicted, true label): always a wrong prediction, the longest label."""
    if network == "784-1":
        snap = make_one_neuron(digit=6)
        acts = snap.network.forward(_ring_digit())
        predicted = int(acts[-1][0] > 0.5)
        return snap, acts, predicted, 3 if predicted else 6  # "✗ (not a 6)" or "✗ (is a 6)"
    hidden = {"16-16": (16, 16), "1024-1024-1024": (1024, 1024, 1024), "784-10": ()}[network]
    snap = make_snapshot(hidden=hidden, seed=2)
    acts = snap.network.forward(_ring_digit())
    predicted = int(np.argmax(acts[-1]))
    return snap, acts, predicted, (predicted + 1) % 10


def assert_laid_out(view: NetworkView) -> None:
    """Nothing the user reads overlaps anything else, and all of it is inside the canvas."""
    drawn = view.drawn_rects()
    names = [t.toPlainText() for t in view._titles]
    labels = view.output_texts()
    for title, name in zip(drawn.titles, names, strict=True):
        assert drawn.view.contains(title), f"title {name!r} {title} is cut off by the view {drawn.view}"
        for k, layer in enumerate(drawn.layers):
            assert not title.intersects(layer), f"title {name!r} {title} is drawn over layer {k} {layer}"
        for label, text in zip(drawn.outputs, labels, strict=True):
            assert not title.intersects(label), f"title {name!r} overlaps output label {text!r}"
    for (a, name_a), (b, name_b) in itertools.combinations(zip(drawn.titles, names, strict=True), 2):
        assert not a.intersects(b), f"titles {name_a!r} and {name_b!r} overlap"
    for label, text in zip(drawn.outputs, labels, strict=True):
        assert drawn.view.contains(label), f"output label {text!r} {label} is cut off by the view {drawn.view}"
    for (a, text_a), (b, text_b) in itertools.combinations(zip(drawn.outputs, labels, strict=True), 2):
        assert not a.intersects(b), f"output labels {text_a!r} {a} and {text_b!r} {b} overlap"
    assert any("(is" in t or "(not" in t for t in labels), labels  # the true label is among those checked
    for rect in drawn.layers:
        assert drawn.view.contains(rect), f"a layer {rect} is cut off by the view {drawn.view}"


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_small_and_large_views_keep_text_apart_and_inside(qtbot, make_snapshot, make_one_neuron, network, size):
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.set_frame(*_frame(network, make_snapshot, make_one_neuron))
    _settle()
    assert_laid_out(view)


def test_a_short_view_shrinks_the_output_labels_rather_than_overlap_them(qtbot, make_snapshot, make_one_neuron):
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(1173, 701)
    view.show()
    qtbot.waitExposed(view)
    view.set_frame(*_frame("1024-1024-1024", make_snapshot, make_one_neuron))
    _settle()
    full = view._out_labels[0].textItem.font().pointSizeF()
    view.resize(330, 190)  # below the drawing's least height: the view keeps that
    _settle()
    assert view._canvas.height() >= view._canvas.minimumHeight() > 0
    assert view._out_labels[0].textItem.font().pointSizeF() <= full
    assert_laid_out(view)
    view.resize(1173, 701)  # and back: the full font again
    _settle()
    assert view._out_labels[0].textItem.font().pointSizeF() == full
    assert_laid_out(view)


def test_the_digit_shows_over_the_connections_leaving_it(network_view_frame):
    view = network_view_frame
    assert view._input_img.zValue() > view._edges.zValue(), "the input fan is drawn over the digit"
    assert view._pin_edges.zValue() > view._input_img.zValue(), "a pinned neuron's lines hide under the digit"


@pytest.fixture
def network_view_frame(qtbot, make_snapshot, make_one_neuron):
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(533, 343)
    view.show()
    qtbot.waitExposed(view)
    view.set_frame(*_frame("16-16", make_snapshot, make_one_neuron))
    _settle()
    return view


@pytest.mark.parametrize("notice", [False, True], ids=["plain", "notice"])
@pytest.mark.parametrize("network", ["16-16", "1024-1024-1024", "784-1"])
def test_the_window_at_1024x700_lays_out_the_network(make_window, make_snapshot, make_one_neuron, qtbot, tmp_path,
                                                     network, notice):
    window = make_window()
    window.resize(1024, 700)
    window.reset_layout()
    if notice:
        window.settings_notice.show_message(NOTICE, "info")
    snap, acts, predicted, true = _frame(network, make_snapshot, make_one_neuron)
    window.session.on_snapshot(snap)  # the window's own network, drawn as the window draws it
    window.show_test_digit(1)
    qtbot.wait(200)
    _settle()
    window.network_view.set_frame(snap, acts, predicted, true)  # then a wrong prediction: the longest label
    _settle()
    assert window.network_view._sizes == tuple(snap.layer_sizes)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 700, hint
    assert window.height() <= 700
    assert_laid_out(window.network_view)
    save_screenshot(window, tmp_path, f"network_1024x700_{network}_{'notice' if notice else 'plain'}.png")


@pytest.mark.parametrize("scale", [1.0, 2.0], ids=["normal", "presenter"])
def test_a_right_guess_label_fits_as_well_as_a_wrong_one(qtbot, make_snapshot, scale):
    """'7  0.12  ✓ guess' is wider than '9  1.00  ✗ (is 3)': it ran out of a 1920x1080 presenter view."""
    view = NetworkView()
    qtbot.addWidget(view)
    font = view.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    view.setFont(font)
    view.resize(1104 if scale > 1 else 533, 900 if scale > 1 else 343)  # the view in presenter mode at 1920x1080
    view.show()
    qtbot.waitExposed(view)
    snap = make_snapshot(hidden=(16, 16), seed=2)
    acts = snap.network.forward(_ring_digit())
    acts[-1] = np.full(10, 0.098, np.float32)
    acts[-1][7] = 0.118  # right, but far from sure: "7  0.12  ✓ guess"
    view.set_frame(snap, acts, 7, 7)
    _settle()
    drawn, labels = view.drawn_rects(), view.output_texts()
    assert any("guess" in t for t in labels), labels
    for label, text in zip(drawn.outputs, labels, strict=True):
        assert drawn.view.contains(label), f"output label {text!r} {label} is cut off by the view {drawn.view}"
