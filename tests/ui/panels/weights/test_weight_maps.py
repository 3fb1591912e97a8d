"""WeightMaps draw every weight: first-layer tiles, deeper matrices, biases, colour ranges."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from visualizer.ui.common.options import RangeMode
from visualizer.ui.panels.weights.view import WeightMaps
from visualizer.core.mosaic import EMPTY_RANGE, MATRIX_PIXELS, PAGE_TILES, best_columns, color_scale, grown_range, tile_mosaic
from visualizer.core.network import Network

from view_inputs import CONFIGS, _ring_digit  # noqa: F401


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
    page = snap.weights[0][:, :PAGE_TILES]  # a wide first layer shows its first page
    np.testing.assert_array_equal(images[0].image, tile_mosaic(page, cols=weight_maps.mosaic_columns()))
    for img, w in zip(images[1:], snap.weights[1:], strict=True):
        np.testing.assert_array_equal(img.image, w)
    for img, b in zip(weight_maps.bias_images(), snap.biases, strict=True):
        np.testing.assert_array_equal(img.image, b.reshape(1, -1))
    for img, w in zip(images, [page, *snap.weights[1:]], strict=True):
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


def test_1024_tiles_build_one_page_at_a_time(weight_maps, make_snapshot, qtbot):
    snap = make_snapshot(hidden=(1024, 1024, 1024), seed=3)
    weight_maps.set_weights(snap)
    mosaic = weight_maps.images()[0].image
    tiles = np.isfinite(mosaic).sum() // (28 * 28)
    assert tiles == PAGE_TILES  # one page of readable tiles, not 1024 specks
    assert weight_maps.page_count() == 1024 // PAGE_TILES and weight_maps.next_page.isVisible()
    assert "neurons 0–63 of 1024" in weight_maps.titles()[0]
    weight_maps.next_page.click()
    assert weight_maps.page() == 1 and "neurons 64–127 of 1024" in weight_maps.titles()[0]
    cols = weight_maps.mosaic_columns()
    np.testing.assert_array_equal(weight_maps.images()[0].image, tile_mosaic(snap.weights[0][:, 64:128], cols=cols))
    assert weight_maps.describe(0, QPointF(3.5, 2.5)) == f"pixel (2, 3) → Hidden 1 neuron 64: w = {snap.weights[0][2 * 28 + 3, 64]:+.5f}"
    # Pinning a neuron on another page turns to its page and outlines its tile.
    weight_maps.set_highlight((1, 700))
    assert weight_maps.page() == 700 // PAGE_TILES and weight_maps.highlighted()[0] is not None
    # Deep 1024x1024 matrices: one heatmap each, sampled to a bounded image; hover reads the exact weight.
    for img in weight_maps.images()[1:]:
        assert max(img.image.shape) <= MATRIX_PIXELS
    assert weight_maps.describe(1, QPointF(777.5, 5.5)) == f"Hidden 1 neuron 5 → Hidden 2 neuron 777: w = {snap.weights[1][5, 777]:+.5f}"


def test_small_first_layer_has_no_pages(weight_maps, make_snapshot):
    weight_maps.set_weights(make_snapshot(hidden=(16, 16)))
    assert weight_maps.page_count() == 1 and not weight_maps.next_page.isVisible()


def test_a_deep_matrix_zooms_to_its_exact_weights_and_resets(weight_maps, make_snapshot, qtbot):
    snap = make_snapshot(hidden=(64, 1024, 1024), seed=6)
    weight_maps.set_weights(snap)
    block = weight_maps._blocks[2]  # Hidden 2 -> Hidden 3, 1024 x 1024: sampled to fit
    image = weight_maps.images()[2]
    assert image.image.shape == (MATRIX_PIXELS, MATRIX_PIXELS)
    weight_maps.zoom_to(2, (100, 164), (500, 580))  # a 64 x 80 window: every weight its own pixel
    r0, r1, c0, c1 = block.window()
    np.testing.assert_array_equal(image.image, snap.weights[2][r0:r1, c0:c1])
    assert 100 <= r0 + 1 and r1 <= 165 and 500 <= c0 + 1 and c1 <= 581
    rect = image.mapRectToParent(image.boundingRect())
    assert (round(rect.left()), round(rect.top()), round(rect.width()), round(rect.height())) == (c0, r0, c1 - c0, r1 - r0)
    # Hover still reads the weight under the mouse from the full matrix.
    assert weight_maps.describe(2, QPointF(c0 + 3.5, r0 + 2.5)).endswith(f"w = {snap.weights[2][r0 + 2, c0 + 3]:+.5f}")
    # New weights while zoomed: the same window, the new weights.
    newer = make_snapshot(hidden=(64, 1024, 1024), seed=7)
    weight_maps.set_weights(newer)
    np.testing.assert_array_equal(image.image, newer.weights[2][r0:r1, c0:c1])
    weight_maps.reset_zoom(2)
    assert block.window() == (0, 1024, 0, 1024) and image.image.shape == (MATRIX_PIXELS, MATRIX_PIXELS)
