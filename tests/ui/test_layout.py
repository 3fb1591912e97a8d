"""The window at 1024x700, 1280x800 (its default size) and 1920x1080: nothing elided, cut off or overlapping in the docks; screenshots saved."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractButton, QComboBox, QGroupBox, QLabel, QStyle, QStyleOptionComboBox, QWidget

from visualizer.ui import docks
from window_fixtures import save_screenshot

SIZES = [(1024, 700), (1280, 800), (1920, 1080)]


def _shown(window, make_snapshot):
    window.session.on_snapshot(make_snapshot())
    window.show_test_digit(1)
    window.browser.evaluate_now()
    return window


def _rect_in(widget, ancestor) -> QRect:
    return QRect(widget.mapTo(ancestor, widget.rect().topLeft()), widget.size())


def _visible_in_dock(widget, dock) -> bool:
    """The widget's whole rectangle is inside what its dock shows (not scrolled or squeezed out)."""
    area = dock.widget()
    view = area.viewport() if hasattr(area, "viewport") else area
    return QRect(view.mapTo(dock, view.rect().topLeft()), view.size()).contains(_rect_in(widget, dock))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_panel_fits_without_clipping(make_window, make_snapshot, qtbot, tmp_path, size):
    window = make_window()
    window.resize(*size)
    window.reset_layout()
    qtbot.wait(50)
    _shown(window, make_snapshot)
    qtbot.waitUntil(lambda: window.browser.evaluation() is not None, timeout=20_000)
    window.render(everything=True)
    qtbot.wait(50)
    # The window itself fits: a panel whose minimum grew (a held-height caption asked for 578 px
    # of network view) makes Qt keep the window taller than the screen, and the timeline bar and
    # status bar fall off the bottom of a 700 px screen.
    hint = window.minimumSizeHint()
    assert hint.width() <= size[0] and hint.height() <= size[1], hint
    assert window.height() <= size[1] and window.width() <= size[0]

    # Test set: every row of the confusion matrix is on screen, no count is left blank.
    window.docks["Test set"].raise_()
    qtbot.wait(50)
    browser = window.browser
    test_dock = window.docks["Test set"]
    counts = browser.confusion.matrix()
    # Opening a cell lists its digits beside the digit; Next stays inside it.
    t, p = np.unravel_index(int(np.argmax(counts)), counts.shape)
    browser._on_cell_clicked(int(t), int(p))
    listed = browser.listed_indices()
    browser.step(+1)
    browser.step(+1)
    assert browser.current_index() == listed[1 % listed.size], "Next after opening a cell left the cell"
    assert browser.cell_list.height() >= 2 * 48, "the cell's digit list shows less than two rows"
    qtbot.wait(50)
    assert _visible_in_dock(browser.confusion, test_dock), "the confusion matrix is cut off"
    assert _visible_in_dock(browser.evaluate_button, test_dock), "Evaluate now is cut off"
    assert _rect_in(browser.confusion, test_dock).bottom() < _rect_in(browser.evaluate_button, test_dock).top(), \
        "the matrix's bottom rows hide under Evaluate now"
    for row in range(10):
        cell = browser.confusion.cell_rect(row, row).toRect()
        assert browser.confusion.rect().contains(cell), f"row {row} of the matrix falls outside it"
    counts = browser.confusion.matrix()
    assert counts is not None and counts.sum() == len(window.dataset.y_test)
    assert all(browser.confusion._count_font(str(int(c)), browser.confusion.cell_rect(0, 0).width()) for c in
               counts[counts > 0].ravel()), "a count is too wide for its cell and is left blank"
    _save(window, tmp_path, f"testset_{size[0]}x{size[1]}.png")

    # Draw: captions whole (again at the end), title and verdict apart, every part inside the dock.
    window.docks["Draw"].raise_()
    window.pad.compare_box.setChecked(True)
    qtbot.wait(50)
    pad = window.pad
    for tile in [*pad.steps.tiles, pad.saliency_tile, pad.naive_tile]:
        assert not tile.caption_elided(), f"caption {tile._caption!r} is elided"
    pad.naive_bars.set_probabilities(np.eye(10)[5] * 0.459 + 0.06)  # what a squashed drawing shows
    for bars in (pad.bars, pad.naive_bars):
        # Title and verdict share the header only when both fit; else the verdict takes a second line.
        two_lines = not bars.title_fits()
        assert not two_lines or bars.height() >= 2 * bars.fontMetrics().height() + 40
    for widget in (pad.pad, pad.clear_button, pad.open_button, pad.bars, pad.naive_bars, pad.steps):
        assert _visible_in_dock(widget, window.docks["Draw"]), f"{type(widget).__name__} is cut off"

    # Training: the buttons, the state and the error line in view and apart.
    controls, dock = window.controls, window.docks["Training"]
    controls.hidden.setText("0")
    qtbot.wait(50)
    assert controls.error.isVisible()
    assert _visible_in_dock(controls.error, dock), "the config error is clipped"
    assert controls.error.height() >= controls.error.heightForWidth(controls.error.width())
    _no_overlaps(controls, dock)
    controls.hidden.setText("16,16")

    # Weights: every map's plot inside the canvas.
    window.docks["Weights"].raise_()
    qtbot.wait(50)
    maps = window.weight_maps
    canvas = maps._canvas
    for block in maps._blocks:
        rect = block.plot.sceneBoundingRect()
        assert rect.right() <= canvas.width() + 1 and rect.bottom() <= canvas.height() + 1, \
            f"{block.title} is cut off ({rect} in a {canvas.width()}x{canvas.height()} canvas)"
    assert _visible_in_dock(maps.range_combo, window.docks["Weights"]), "the range combo is cut off"

    # Curves: the two plots have room for their axes.
    window.docks["Curves"].raise_()
    qtbot.wait(50)
    curves = window.curves
    loss, accuracy = (p.sceneBoundingRect() for p in (curves.loss_plot, curves.accuracy_plot))
    assert not loss.intersects(accuracy), "the two curve plots overlap"
    # Stacked, both plots' labels share one column; a short stack drops the upper epoch axis.
    least = 90 if curves.side_by_side() else (110 if curves.loss_plot.getAxis("bottom").isVisible() else 80)
    assert min(loss.height(), accuracy.height()) >= least, "a curve plot is too short for its axis labels"
    window.docks["Draw"].raise_()
    qtbot.wait(50)
    for tile in [*pad.steps.tiles, pad.saliency_tile, pad.naive_tile]:
        assert not tile.caption_elided(), f"caption {tile._caption!r} is elided"
    _save(window, tmp_path, f"window_{size[0]}x{size[1]}.png")


def _combo_text_fits(combo: QComboBox) -> bool:
    """The combo's current text fits its text field (not cut to "Range: grov")."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxEditField, combo)
    return combo.fontMetrics().horizontalAdvance(combo.currentText()) <= field.width()


def _parts_whole(window, title: str) -> None:
    """In dock ``title``: no scrolling sideways, and every label, group title and combo text whole and in view."""
    dock = window.docks[title]
    area = dock.widget()
    assert area.horizontalScrollBar().maximum() == 0, f"the {title} panel scrolls sideways"
    panel = docks.panel_of(dock)
    for w in panel.findChildren(QWidget):
        if not w.isVisible() or w.width() == 0:
            continue
        if isinstance(w, QComboBox):
            assert _combo_text_fits(w), f"{title}: {w.currentText()!r} is cut"
        elif isinstance(w, QLabel) and w.text() and not w.wordWrap() and w.pixmap().isNull():
            assert w.fontMetrics().horizontalAdvance(w.text()) <= w.contentsRect().width(), \
                f"{title}: {w.text()!r} is elided"
        else:
            continue
        assert _visible_in_dock(w, dock), f"{title}: {type(w).__name__} {w.currentText() if isinstance(w, QComboBox) else w.text()!r} is cut off"
    for box in (b for b in panel.findChildren(QGroupBox) if b.isVisible()):
        assert _visible_in_dock(box, dock), f"{title}: the group {box.title()!r} is cut off"


def _titles_apart(maps) -> None:
    """No weight map's title runs into its map (or into another map)."""
    for block in maps._blocks:
        title = block.plot.titleLabel.item.sceneBoundingRect()
        for other in maps._blocks:
            assert not title.intersects(other.plot.vb.sceneBoundingRect()), \
                f"the title of {block.title} ({title}) runs into the map {other.title} ({other.plot.vb.sceneBoundingRect()})"


def _axis_titles_whole(curves) -> None:
    canvas = QRectF(curves._canvas.rect())
    for plot in (curves.loss_plot, curves.accuracy_plot):
        for key in ("left", "bottom"):
            axis = plot.getAxis(key)
            if axis.isVisible() and axis.label.isVisible():
                rect = axis.label.sceneBoundingRect()
                assert canvas.contains(rect), f"the axis title {axis.labelText!r} is cut ({rect} in {canvas})"
                if key == "left":  # centred on its axis: longer than the axis, it sticks out and is cut
                    along = axis.sceneBoundingRect()  # the text without its 4 px margins within the axis' height
                    assert along.top() - 2 <= rect.top() + 4 and rect.bottom() - 4 <= along.bottom() + 2, \
                        f"the axis title {axis.labelText!r} ({rect}) is longer than its axis ({axis.sceneBoundingRect()})"


@pytest.mark.parametrize("hidden", [(16, 16), (1024, 1024, 1024)], ids=["16,16", "1024,1024,1024"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_left_column_and_the_weights_show_their_parts_whole(make_window, make_snapshot, qtbot, tmp_path,
                                                                 size, hidden):
    window = make_window()
    window.resize(*size)
    window.reset_layout()
    qtbot.wait(50)
    window.session.on_snapshot(make_snapshot(hidden=hidden, run_id=window.session.run_id + 1))
    window.show_test_digit(1)
    window.render(everything=True)
    qtbot.wait(50)
    controls, training = window.controls, window.docks["Training"]
    # The longest prediction line there is (a right answer at chance confidence) had made the box
    # grow after the column was split, and the panel scrolled both ways.
    controls.set_prediction("Test digit #1", 7, 7, 0.12)
    qtbot.wait(50)
    assert training.widget().verticalScrollBar().maximum() == 0, "the Training panel scrolls"
    assert _visible_in_dock(controls.input_label, training), "the prediction line is cut off"
    _parts_whole(window, "Training")
    _no_overlaps(controls, training)
    for title in ("Weights", "Curves"):  # tabbed together in a short window: each in turn
        window.docks[title].raise_()
        qtbot.wait(50)
        _parts_whole(window, title)
    window.docks["Weights"].raise_()
    qtbot.wait(50)
    _titles_apart(window.weight_maps)
    window.docks["Curves"].raise_()
    qtbot.wait(50)
    _axis_titles_whole(window.curves)
    if size[1] >= docks.COMPACT_HEIGHT:  # the curves under the settings: the rest of the column is theirs
        curves_dock = window.docks["Curves"]
        assert curves_dock.height() >= 180, "the settings took the curves' share of the column"
        assert curves_dock.widget().verticalScrollBar().maximum() == 0, "the curves scroll"
    _save(window, tmp_path, f"left_{'_'.join(map(str, hidden))}_{size[0]}x{size[1]}.png")


def test_run_buttons_stay_put_when_the_state_text_changes(make_window, qtbot):
    window = make_window(wait_ready=False, autoload=False)
    qtbot.wait(50)
    start = window.controls.findChildren(QAbstractButton)[0]
    before = start.geometry()
    window.controls.set_state_text("Training epoch 3 of 5 \N{HORIZONTAL ELLIPSIS} a long state text")
    qtbot.wait(20)
    assert start.geometry() == before
    window.controls.set_state_text("Ready")
    qtbot.wait(20)
    assert start.geometry() == before


def test_compact_layout_puts_the_curves_beside_the_weights(make_window, qtbot):
    window = make_window(wait_ready=False, autoload=False)
    window.resize(1024, 700)
    window.reset_layout()
    assert window.docks["Curves"] in window.tabifiedDockWidgets(window.docks["Weights"])
    window.resize(1280, 800)
    window.reset_layout()
    assert window.dockWidgetArea(window.docks["Curves"]) == docks.Area.LeftDockWidgetArea


def _no_overlaps(panel, dock) -> None:
    """No two visible labels, buttons or combos of ``panel`` overlap."""
    widgets = [w for w in panel.findChildren(QWidget)
               if isinstance(w, (QLabel, QAbstractButton, QComboBox)) and w.isVisible()]
    rects = [(w, _rect_in(w, dock)) for w in widgets]
    for i, (a, ra) in enumerate(rects):
        for b, rb in rects[i + 1:]:
            if a.isAncestorOf(b) or b.isAncestorOf(a):
                continue
            assert not ra.intersects(rb), f"{a.objectName() or type(a).__name__} {a.text() if hasattr(a, 'text') else ''!r} " \
                                          f"overlaps {type(b).__name__} {b.text() if hasattr(b, 'text') else ''!r}"


_save = save_screenshot


def test_a_right_answer_at_chance_confidence_is_called_a_guess(make_window):
    window = make_window(wait_ready=False, autoload=False)
    controls = window.controls
    controls.set_prediction("Test digit #1", 7, 7, 0.12)
    assert "✓ right" in controls.input_label.text() and "guess" in controls.input_label.text()
    controls.set_prediction("Test digit #1", 7, 7, 0.93)
    assert "✓ right" in controls.input_label.text() and "guess" not in controls.input_label.text()
    controls.set_prediction("Test digit #1", 7, 3, 0.12)
    assert "✗ wrong" in controls.input_label.text() and "guess" not in controls.input_label.text()


def _labels_apart(plot) -> bool:
    """The epoch axis' major labels have room between them at the plot's width."""
    axis, (low, high) = plot.getAxis("bottom"), plot.vb.viewRange()[0]
    (major, _), *_ = axis.tickSpacing(low, high, plot.vb.width())
    first = np.ceil(low / major) * major
    labels = axis.tickStrings(list(np.arange(first, high + 1e-9, major)), 1.0, major)
    metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
    widest = max(metrics.horizontalAdvance(t) for t in labels)
    return major / (high - low) * plot.vb.width() >= widest + 6


def test_the_small_docks_at_1024x700_show_their_parts_whole(make_window, make_history, make_snapshot, qtbot, tmp_path):
    window = make_window()
    window.resize(1024, 700)
    window.reset_layout()
    qtbot.wait(50)

    # Gradients ▸ This batch: the grid and its header within the dock (no horizontal scrolling).
    window.show_gradients(batch=True)  # the batch Step trains next
    batch = window.gradients_panel.batch
    qtbot.waitUntil(lambda: len(batch.grid.captions()) > 0, timeout=30_000)
    qtbot.wait(50)
    dock = window.docks["Gradients"]
    assert dock.widget().horizontalScrollBar().maximum() == 0, "the Gradients panel is wider than its dock"
    for widget in (batch.grid, batch.next_button, batch.average, batch.single):
        assert _visible_in_dock(widget, dock), f"{type(widget).__name__} is cut off"
    _save(window, tmp_path, "gradients_batch_1024x700.png")

    # Weights: both combos show their whole text, whichever view is chosen.
    window.docks["Weights"].raise_()
    maps = window.weight_maps
    for i in range(maps.view_combo.count()):
        maps.view_combo.setCurrentIndex(i)
        qtbot.wait(20)
        for combo in (maps.view_combo, maps.range_combo):
            assert combo.width() >= combo.sizeHint().width(), f"{combo.currentText()!r} is clipped"
            assert _visible_in_dock(combo, window.docks["Weights"]), f"{combo.currentText()!r} is cut off"
    maps.view_combo.setCurrentIndex(0)
    # A paged first layer and three matrices: the footer's paging and every map still fit.
    window.session.on_snapshot(make_snapshot(hidden=(100, 30, 20), run_id=window.session.run_id + 1))
    window.render(everything=True)
    qtbot.wait(50)
    assert maps.next_page.isVisible()
    assert window.docks["Weights"].widget().horizontalScrollBar().maximum() == 0, "the weight maps scroll sideways"
    for block in maps._blocks:
        assert block.plot.sceneBoundingRect().right() <= maps._canvas.width() + 1, f"{block.title} is cut off"

    # Curves: epoch labels apart at every span, the axis titles inside the plots' canvas.
    window.docks["Curves"].raise_()
    curves = window.curves
    curves.set_epochs(20)
    curves.set_history(make_history(epochs=20, batches_per_epoch=20))
    for span in range(curves.span.count()):
        curves.set_cursor(7.3)
        curves.span.setCurrentIndex(span)
        qtbot.wait(50)
        for plot in (curves.loss_plot, curves.accuracy_plot):
            assert _labels_apart(plot), f"epoch labels touch ({curves.span.currentText()})"
    canvas = curves._canvas
    title = curves.accuracy_plot.getAxis("bottom").label.sceneBoundingRect()
    assert title.bottom() <= canvas.height() + 1, "the epoch axis title is cut off"
    _save(window, tmp_path, "curves_1024x700.png")


def test_the_prediction_line_is_readable_after_presenter_mode(make_window, make_snapshot, qtbot):
    """Presenter mode hides the Training dock and doubles the font; the line its box held for the
    big font stayed behind, the text centred in it below the box's bottom edge: an empty box."""
    window = make_window()
    window.resize(1024, 768)
    window.reset_layout()
    window.session.on_snapshot(make_snapshot())
    window.show_test_digit(1)
    window.render(everything=True)
    qtbot.wait(50)
    window.presenter.action.trigger()
    qtbot.wait(100)
    window.show_test_digit(5)  # while the Training dock is hidden
    window.render(everything=True)
    qtbot.wait(100)
    window.presenter.action.trigger()
    qtbot.wait(100)
    window.render(everything=True)
    qtbot.wait(50)
    held = window.controls.input_label
    assert "Test digit #6" in held.text()
    assert held.label.geometry() == held.rect(), "the text's label is not the box it sits in"
    assert held.height() >= held.label.heightForWidth(held.width()), "the box cuts its text"
