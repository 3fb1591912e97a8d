"""An open confusion cell lists its digits in at least three full rows in a 1024x700 window."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect

from visualizer.ui.panels.testset.panel import THUMB


def _rect_in(widget, ancestor) -> QRect:
    return QRect(widget.mapTo(ancestor, widget.rect().topLeft()), widget.size())


@pytest.mark.parametrize("size", [(1024, 700), (1280, 800), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_an_open_cell_shows_three_full_rows_of_digits(make_window, make_snapshot, qtbot, tmp_path, size):
    window = make_window()
    window.resize(*size)
    window.reset_layout()
    qtbot.wait(50)
    window.session.on_snapshot(make_snapshot())
    window.show_test_digit(1)
    window.browser.evaluate_now()
    qtbot.waitUntil(lambda: window.browser.evaluation() is not None, timeout=20_000)
    window.docks["Test set"].raise_()
    qtbot.wait(50)
    browser, dock = window.browser, window.docks["Test set"]
    counts = browser.confusion.matrix()
    t, p = np.unravel_index(int(np.argmax(counts)), counts.shape)
    browser._on_cell_clicked(int(t), int(p))
    qtbot.wait(50)
    listed = browser.cell_list
    grid = listed.gridSize().height()
    assert listed.viewport().height() >= 3 * grid, "the cell's list shows fewer than three full rows"
    per_row = listed.viewport().width() // listed.gridSize().width()
    assert per_row >= 3
    # Still: every row of the matrix in view, and Next walks the cell.
    for row in range(10):
        assert browser.confusion.rect().contains(browser.confusion.cell_rect(row, row).toRect())
    assert dock.rect().contains(_rect_in(browser.confusion, dock))
    assert dock.rect().contains(_rect_in(browser.evaluate_button, dock))
    assert all(browser.confusion._count_font(str(int(c)), browser.confusion.cell_rect(0, 0).width())
               for c in counts[counts > 0].ravel()), "a count is too wide for its cell and is left blank"
    ids = browser.listed_indices()
    browser.step(+1)
    browser.step(+1)
    assert browser.current_index() == ids[1 % ids.size]
    assert THUMB >= 28  # a thumbnail is at least the digit's own 28 pixels
