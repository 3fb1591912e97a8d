"""NetworkView, WeightMaps and Curves draw what they are given, and only that."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from visualizer.ui.common.options import RangeMode
from visualizer.ui.panels.curves.view import Curves
from visualizer.ui.panels.network.view import NetworkView, NeuronInfo
from visualizer.ui.panels.weights.view import WeightMaps
from visualizer.core.edges import CONTEXT, FAN_PER_NEURON, LIT, WEIGHTS_PER_NEURON
from visualizer.ui.panels.network.view import GRID
from visualizer.core.mosaic import EMPTY_RANGE, best_columns, color_scale, grown_range, tile_mosaic
from visualizer.core.network import Network

CONFIGS = [(16, 16), (32,), (64, 32, 16), (256,), (8, 8, 8, 8, 8, 8)]


def _ring_digit() -> np.ndarray:
    yy, xx = np.mgrid[:28, :28]
    r = np.hypot(yy - 14, (xx - 14) * 1.4)
    return ((r > 6) & (r < 9.5)).astype(np.float32).ravel()


@pytest.fixture
def network_view(qtbot):
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(900, 450)
    view.show()
    qtbot.waitExposed(view)
    return view


def _drawn_edges(view: NetworkView) -> int:
    return int(view._edges.counts.sum())


def _to_viewport(view: NetworkView, x: float, y: float):
    scene = view._vb.mapViewToScene(QPointF(x, y))
    return view._canvas.mapFromScene(scene)


# --------------------------------------------------------------------------- NetworkView
@pytest.mark.parametrize("hidden", CONFIGS, ids=lambda h: "-".join(map(str, h)))
def test_network_view_draws_any_architecture(network_view, make_snapshot, hidden):
    snap = make_snapshot(hidden=hidden, seed=1)
    acts = snap.network.forward(_ring_digit())
    predicted = int(np.argmax(acts[-1]))
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=predicted, true_label=predicted)

    assert len(network_view._neurons.data) == sum(hidden) + 10
    titles = [t.toPlainText() for t in network_view._titles]
    assert titles[0] == "Input 28×28"
    assert titles[1] == f"Hidden 1 ({hidden[0]})"
    assert titles[-1] == "Output"
    np.testing.assert_array_equal(network_view._input_img.image, _ring_digit().reshape(28, 28))
    label = network_view._out_labels[predicted].toPlainText()
    assert label.startswith(f"{predicted}  {acts[-1][predicted]:.2f}") and "✓" in label
    # Every deeper pair small enough is drawn in full; the input fan is capped.
    n = _drawn_edges(network_view)
    assert 0 < n <= 480 + sum(min(a * b, 4096) for a, b in zip(hidden, (*hidden[1:], 10), strict=True))
    assert "Input → Hidden 1: the" in network_view.edge_summary()
    # Neurons and the grid stay inside the view, and titles do not overlap each other.
    rect = network_view._vb.viewRect()
    for pos in network_view._pos:
        assert rect.contains(QPointF(*pos.min(axis=0))) and rect.contains(QPointF(*pos.max(axis=0)))
    boxes = [t.sceneBoundingRect() for t in network_view._titles[1:]]
    assert not any(a.intersects(b) for a, b in zip(boxes, boxes[1:], strict=False))


def test_network_view_edges_follow_weights(network_view, make_snapshot):
    """Without a digit: the strongest weights into each hidden-1 neuron (faint), all deeper ones by |w|."""
    snap = make_snapshot()
    network_view.set_weights(snap)
    deeper = 16 * 16 + 16 * 10
    assert _drawn_edges(network_view) == WEIGHTS_PER_NEURON * 16 + deeper
    assert "Hidden 1 → Hidden 2: all 256" in network_view.edge_summary()
    pixels, neurons = network_view.fan_edges()
    first = np.abs(snap.weights[0])
    kth = np.sort(first, axis=0)[-WEIGHTS_PER_NEURON]
    assert (first[pixels, neurons] >= kth[neurons]).all()
    # The strongest positive bin holds exactly the deeper weights at >= 7/8 of their layer's max
    # (the weight-only fan is drawn fainter, never in the strongest bins).
    expected = sum(int(np.sum(w / np.abs(w).max() >= 7 / 8)) for w in snap.weights[1:])
    assert network_view._edges.counts[-1] == expected


def test_digit_fan_starts_at_lit_pixels(network_view, make_snapshot):
    """With a digit: each hidden-1 neuron's lines come from the lit pixels with the largest |w·x|."""
    snap = make_snapshot()
    x = _ring_digit() * np.linspace(0.2, 1.0, 784, dtype=np.float32)
    acts = snap.network.forward(x)
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=0)
    pixels, neurons = network_view.fan_edges()
    assert (x[pixels] > LIT).all()
    assert np.bincount(neurons, minlength=16).tolist() == [FAN_PER_NEURON] * 16
    contrib = np.abs(snap.weights[0] * x[:, None])
    kth = np.sort(contrib, axis=0)[-FAN_PER_NEURON]
    assert (contrib[pixels, neurons] >= kth[neurons] - 1e-12).all()
    assert "this digit's lit pixels" in network_view.edge_summary()
    # Lines start at the pixel centres of the grid.
    rect = network_view.input_rect()
    starts = network_view._pos[0][pixels]
    assert (starts[:, 0] >= rect.left()).all() and (starts[:, 1] <= rect.bottom()).all()
    # Clearing the input brings back the weight-only fan.
    network_view.set_activations(None)
    assert len(network_view.fan_edges()[0]) == WEIGHTS_PER_NEURON * 16
    assert "Show a digit" in network_view._caption.text()


def test_active_path_outshines_silent_neurons(network_view, make_snapshot):
    """Deeper edges from a silent neuron fade to a trace of |w|; from an active one they carry |w × a|."""
    snap = make_snapshot()
    acts = snap.network.forward(_ring_digit())
    acts[1][:] = 0.0
    acts[1][3] = 1.0  # only hidden-1 neuron 3 fires
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=0)
    w = snap.weights[1]
    rows, cols, vals, _ = network_view._deep_edges(1, w, acts[1])
    silent = rows != 3
    np.testing.assert_allclose(np.abs(vals[silent]), CONTEXT * np.abs(w[rows, cols][silent]) / np.abs(w).max(), rtol=1e-5)
    np.testing.assert_allclose(np.abs(vals[~silent]), np.abs(w[3]) / np.abs(w[3]).max(), rtol=1e-5)
    np.testing.assert_array_equal(np.sign(vals), np.sign(w[rows, cols]))
    assert _drawn_edges(network_view) == FAN_PER_NEURON * 16 + 16 * 16 + 16 * 10


def test_wrong_prediction_is_marked(network_view, make_snapshot):
    snap = make_snapshot()
    acts = snap.network.forward(_ring_digit())
    predicted = int(np.argmax(acts[-1]))
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=predicted, true_label=(predicted + 1) % 10)
    assert f"✗ (is {(predicted + 1) % 10})" in network_view._out_labels[predicted].toPlainText()


def test_none_clears_network_view(network_view, make_snapshot):
    snap = make_snapshot()
    acts = snap.network.forward(_ring_digit())
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=3)
    network_view.set_activations(None)
    assert [t.toPlainText() for t in network_view._out_labels] == [str(d) for d in range(10)]
    assert not network_view._input_img.image.any()
    brushes = {id(b) for b in network_view._neurons.data["brush"]}
    assert brushes == {id(network_view._brushes[0])}  # every neuron dark
    network_view.set_weights(None)
    assert _drawn_edges(network_view) == 0


def test_activations_of_another_architecture_are_ignored(network_view, make_snapshot):
    network_view.set_weights(make_snapshot(hidden=(16, 16)))
    other = make_snapshot(hidden=(32,))
    network_view.set_activations(Network.from_arrays(other.weights, other.biases, "relu").forward(_ring_digit()), predicted=1)
    assert network_view._acts is None
    assert len(network_view._neurons.data) == 42


def _settle(view: NetworkView) -> None:
    """Finish the layout chain a new caption starts (label re-wrap -> canvas resize -> ViewBox
    resize -> neurons re-placed), so view units map to the pixels they will have."""
    for _ in range(10):
        before = (view._vb.sceneBoundingRect(), [p.copy() for p in view._pos])
        QCoreApplication.sendPostedEvents()
        after = (view._vb.sceneBoundingRect(), view._pos)
        if before[0] == after[0] and all(np.array_equal(a, b) for a, b in zip(before[1], after[1], strict=True)):
            return
    raise AssertionError("the network view's layout does not settle")


def test_hover_emits_neuron_info_with_incoming_weights(qtbot, network_view, make_snapshot):
    snap = make_snapshot()
    acts = snap.network.forward(_ring_digit())
    network_view.set_weights(snap)
    network_view.set_activations(acts, predicted=0)
    viewport = network_view._canvas.viewport()
    # Start from empty space: the cursor may rest anywhere after earlier tests, and a move to
    # where it already is sends no event.
    _settle(network_view)
    x, y = network_view._pos[1][5]
    QTest.mouseMove(viewport, _to_viewport(network_view, x + 10, 2.0))
    _settle(network_view)
    x, y = network_view._pos[1][5]  # read where the neuron is now, just before moving onto it
    with qtbot.waitSignal(network_view.neuron_hovered, timeout=2000) as blocker:
        QTest.mouseMove(viewport, _to_viewport(network_view, x, y))
    info = blocker.args[0]
    assert isinstance(info, NeuronInfo)
    assert (info.layer, info.index) == (1, 5)
    assert info.activation == pytest.approx(float(acts[1][5]))
    assert info.bias == pytest.approx(float(snap.biases[0][5]))
    np.testing.assert_array_equal(info.incoming, snap.weights[0][:, 5])
    assert network_view._inset_img.isVisible()
    np.testing.assert_array_equal(network_view._inset_img.image, snap.weights[0][:, 5].reshape(28, 28))
    assert "bias" in network_view._inset_text.toPlainText()
    # Moving to empty space reports None, however soon after the last move (no rate limit).
    with qtbot.waitSignal(network_view.neuron_hovered, timeout=2000) as blocker:
        QTest.mouseMove(viewport, _to_viewport(network_view, x + 10, 1.0))
    assert blocker.args == [None]
    assert not network_view._inset_text.isVisible()
    # Back onto the neuron and straight out again within a millisecond: the last move counts.
    QTest.mouseMove(viewport, _to_viewport(network_view, x, y))
    QTest.mouseMove(viewport, _to_viewport(network_view, x + 10, 2.0))
    assert network_view._hovered is None and not network_view._inset_text.isVisible()


def test_hover_input_pixel_and_output(network_view, make_snapshot):
    snap = make_snapshot()
    network_view.set_weights(snap)
    top = network_view.input_rect().top()
    assert network_view.neuron_at(QPointF(3.5, top + 2.5)) == (0, 2 * GRID + 3)
    x, y = network_view._pos[-1][7]
    assert network_view.neuron_at(QPointF(x, y)) == (len(snap.layer_sizes) - 1, 7)
    assert network_view.neuron_at(QPointF(x + 5, y)) is None


def test_click_pins_and_unpins(qtbot, network_view, make_snapshot):
    snap = make_snapshot()
    network_view.set_weights(snap)
    x, y = network_view._pos[2][3]
    viewport = network_view._canvas.viewport()
    with qtbot.waitSignal(network_view.neuron_pinned, timeout=2000) as blocker:
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=_to_viewport(network_view, x, y))
    info = blocker.args[0]
    assert (info.layer, info.index, info.bias) == (2, 3, pytest.approx(float(snap.biases[1][3])))
    assert network_view.pinned_info().index == 3
    assert "pinned" in network_view._inset_text.toPlainText()
    with qtbot.waitSignal(network_view.neuron_pinned, timeout=2000) as blocker:  # same neuron again
        network_view.click_at(QPointF(x, y))
    assert blocker.args == [None]
    network_view.click_at(QPointF(x, y))
    with qtbot.waitSignal(network_view.neuron_pinned, timeout=2000) as blocker:  # empty space
        network_view.click_at(QPointF(x + 9, 0.5))
    assert blocker.args == [None] and network_view.pinned_info() is None


def test_network_view_follows_palette(network_view, make_snapshot, palettes):
    network_view.set_weights(make_snapshot())
    for name, pal in palettes.items():
        network_view.setPalette(pal)
        assert network_view._canvas.backgroundBrush().color() == pal.color(pal.ColorRole.Base), name
        assert network_view._titles[1].color == pal.color(pal.ColorRole.Text), name


# --------------------------------------------------------------------------- WeightMaps
@pytest.fixture
def weight_maps(qtbot):
    maps = WeightMaps()
    qtbot.addWidget(maps)
    maps.resize(900, 450)
    maps.show()
    return maps


def test_tile_mosaic_places_each_neuron():
    w = np.arange(784 * 5, dtype=np.float32).reshape(784, 5)
    img = tile_mosaic(w)
    assert img.shape == (2 * 29 - 1, 3 * 29 - 1)  # 2 rows x 3 columns of tiles, 1 px gaps
    np.testing.assert_array_equal(img[29:57, 29:57], w[:, 4].reshape(28, 28))
    assert np.isnan(img[28, 0]) and np.isnan(img[29:, 58:]).all()  # gap and the empty 6th tile


@pytest.mark.parametrize("hidden", CONFIGS, ids=lambda h: "-".join(map(str, h)))
def test_weight_maps_show_every_weight(weight_maps, make_snapshot, hidden):
    snap = make_snapshot(hidden=hidden, seed=2)
    weight_maps.set_weights(snap)
    images = weight_maps.images()
    assert len(images) == len(snap.weights)
    np.testing.assert_array_equal(images[0].image, tile_mosaic(snap.weights[0], cols=weight_maps.mosaic_columns()))
    for img, w in zip(images[1:], snap.weights[1:], strict=True):
        np.testing.assert_array_equal(img.image, w)
    for img, b in zip(weight_maps.bias_images(), snap.biases, strict=True):
        np.testing.assert_array_equal(img.image, b.reshape(1, -1))
    for img, w in zip(images, snap.weights, strict=True):
        m = color_scale(w)  # the default range grows from the data's, to a round number
        assert m <= img.levels[1] <= 4 / 3 * m + 1e-9 and img.levels[0] == -img.levels[1]


def _scaled(snap, weights: float = 1.0, biases: float = 1.0, **fields):
    network = Network.from_arrays([w * weights for w in snap.weights], [b * biases for b in snap.biases],
                                  snap.network.hidden_activations)
    return type(snap)(**{**snap.__dict__, "network": network, **fields})


def _levels(maps) -> list[float]:
    return [float(img.levels[1]) for img in maps.images()]


def test_default_range_only_grows_during_a_run(weight_maps, make_snapshot):
    assert weight_maps.range_mode() is RangeMode.GROW and weight_maps.range_combo.currentData() is RangeMode.GROW
    snap = make_snapshot(seed=0, run_id=1)
    weight_maps.set_weights(snap)
    start = _levels(weight_maps)
    weight_maps.set_weights(_scaled(snap, 3.0))  # the weights outgrow the range: it widens...
    grown = _levels(weight_maps)
    for before, after, w in zip(start, grown, snap.weights, strict=True):
        assert after > before and after >= 3 * color_scale(w)
    weight_maps.set_weights(_scaled(snap, 0.5))  # ...and does not narrow when they shrink
    assert _levels(weight_maps) == grown
    # Hardly anything saturates: at most 0.5% of a map's weights lie beyond its range.
    for img, m in zip(weight_maps.images(), grown, strict=True):
        values = np.abs(img.image[np.isfinite(img.image)])
        assert (values > m).mean() <= 0.005
    weight_maps.set_weights(_scaled(snap, 0.5, run_id=2))  # another run's network: its own scale
    assert _levels(weight_maps) < grown


def test_first_layer_scale_ignores_a_few_outliers():
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.1, (784, 16)).astype(np.float32)
    w[:20, 0] = 1.5  # a few weights grow far beyond the rest (as after training)
    assert color_scale(w) < 0.5, "the templates keep their contrast"
    small = rng.normal(0, 0.1, (16, 10))
    assert color_scale(small) == pytest.approx(float(np.abs(small).max()))


def test_grown_range_rounds_up_to_steps():
    assert grown_range(None, 0.087) == pytest.approx(0.1)
    assert grown_range(0.1, 0.09) == 0.1, "never narrows"
    assert grown_range(0.1, 0.11) == pytest.approx(0.12)
    assert grown_range(0.12, 0.31) == pytest.approx(0.4)
    assert grown_range(None, 0.0) == EMPTY_RANGE


def test_lock_keeps_levels_and_auto_fits_each_update(weight_maps, make_snapshot, qtbot):
    first = make_snapshot(seed=0)
    weight_maps.set_weights(first)
    before = _levels(weight_maps)
    with qtbot.waitSignal(weight_maps.range_mode_changed) as blocker:
        weight_maps.range_combo.setCurrentIndex(weight_maps.range_combo.findData(RangeMode.LOCK))  # the user's combo
    assert blocker.args == [RangeMode.LOCK] and weight_maps.range_mode() is RangeMode.LOCK
    bigger = _scaled(make_snapshot(seed=1), 3.0)
    weight_maps.set_weights(bigger)
    assert _levels(weight_maps) == before
    np.testing.assert_array_equal(weight_maps.images()[1].image, bigger.weights[1])  # data still updates
    weight_maps.set_range_mode(RangeMode.AUTO)
    assert weight_maps.range_combo.currentData() is RangeMode.AUTO
    assert weight_maps.images()[1].levels[1] == pytest.approx(float(np.abs(bigger.weights[1]).max()))
    smaller = _scaled(bigger, 0.25)
    weight_maps.set_weights(smaller)
    assert weight_maps.images()[1].levels[1] == pytest.approx(float(np.abs(smaller.weights[1]).max()))
    with pytest.raises(ValueError):
        weight_maps.set_range_mode("fixed")


def test_range_locked_on_zero_biases_adopts_the_first_real_range(weight_maps, make_snapshot):
    snap = make_snapshot()
    weight_maps.set_weights(_scaled(snap, biases=0.0))
    weight_maps.set_range_mode(RangeMode.LOCK)
    weight_maps.set_weights(snap)  # biases now non-zero: their scale is theirs, not ±1e-6
    for img, b in zip(weight_maps.bias_images(), snap.biases, strict=True):
        assert img.levels[1] == pytest.approx(float(np.abs(b).max()))
    weight_maps.set_weights(_scaled(snap, biases=3.0))  # ... and stays locked from then on
    for img, b in zip(weight_maps.bias_images(), snap.biases, strict=True):
        assert img.levels[1] == pytest.approx(float(np.abs(b).max()))


def test_weight_maps_hover_reports_exact_weight(weight_maps, make_snapshot):
    snap = make_snapshot()
    weight_maps.set_weights(snap)
    text = weight_maps.describe(1, QPointF(7.5, 3.5))  # row 3 (from), column 7 (to)
    assert text == f"Hidden 1 neuron 3 → Hidden 2 neuron 7: w = {snap.weights[1][3, 7]:+.5f}"
    # Tile of neuron 5 is at tile row 5 // cols, tile column 5 % cols; pixel (2, 4) inside it.
    tr, tc = divmod(5, weight_maps.mosaic_columns())
    text = weight_maps.describe(0, QPointF(29 * tc + 4.5, 29 * tr + 2.5))
    assert text == f"pixel (2, 4) → Hidden 1 neuron 5: w = {snap.weights[0][2 * 28 + 4, 5]:+.5f}"
    block = weight_maps._blocks[2]
    text = weight_maps.describe(2, QPointF(9.5, block.bias_y + 0.5))
    assert text == f"bias of Output neuron 9: {snap.biases[2][9]:+.5f}"


def test_best_columns_fit_the_panel_shape():
    assert best_columns(16, 500, 500) == 4  # square panel: 4x4
    assert best_columns(16, 900, 180) == 8  # wide and short: 8x2
    assert best_columns(16, 3000, 100) == 16  # a strip: one row
    assert best_columns(16, 60, 2000) == 1  # a tall narrow column


def test_mosaic_fills_a_wide_short_dock(qtbot, make_snapshot):
    """At the default dock shape the 16 tiles are 8x2 and much larger than a 4x4 mosaic's."""
    maps = WeightMaps()
    qtbot.addWidget(maps)
    maps.resize(1600, 230)
    maps.show()
    qtbot.waitExposed(maps)
    maps.set_weights(make_snapshot())
    qtbot.wait(20)
    assert maps.mosaic_columns() == 8
    vb = maps._blocks[0].plot.vb
    tile_px = 28 / vb.viewPixelSize()[0]
    assert tile_px > 60
    maps.resize(700, 700)  # a square panel re-shapes the mosaic
    qtbot.wait(20)
    assert maps.mosaic_columns() == 4
    np.testing.assert_array_equal(maps.images()[0].image, tile_mosaic(maps._snapshot.weights[0], cols=4))


def test_titles_show_readable_ranges(weight_maps, make_snapshot):
    snap = make_snapshot()
    zero = _scaled(snap, biases=0.0)
    weight_maps.set_weights(zero)
    assert all(t.endswith("biases 0") for t in weight_maps.titles())
    assert "e-0" not in " ".join(weight_maps.titles())
    weight_maps.set_weights(snap)
    m = weight_maps.ranges()[1][0]  # the scale shown: the data's range rounded up (it only grows)
    assert f"w ±{m:.2g}" in weight_maps.titles()[1] and "b ±" in weight_maps.titles()[1]
    assert "biases 0" not in weight_maps.titles()[1]


def test_none_clears_weight_maps(weight_maps, make_snapshot):
    weight_maps.set_weights(make_snapshot())
    weight_maps.set_weights(None)
    assert all(img.image is None for img in weight_maps.images())


# --------------------------------------------------------------------------- Curves
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
