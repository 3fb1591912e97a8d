"""Presenter mode fits a projector (1024x768) and a full-HD screen: the whole toolbar, nothing cut, nothing jumping."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QMessageBox, QToolButton

from visualizer.session.explanations import NETWORK

from visualizer.session.presets import PRESETS
from visualizer.ui.common.colormaps import presentation_scale
from visualizer.ui.help import HelpButton
from visualizer.ui.panels.timeline.bar import moment_text
from visualizer.ui.panels.weights.view import TITLE_PT
from visualizer.ui.presenter import PresenterMode, font_scale
from window_fixtures import save_screenshot

SIZES = ((1024, 768), (1920, 1080))


@pytest.fixture(params=SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def presenting(request, make_window, make_snapshot, qtbot, monkeypatch):
    """A window in presenter mode at one of SIZES, with the type that screen gets (the offscreen screen is 800x800)."""
    width, height = request.param
    monkeypatch.setattr(PresenterMode, "scale", lambda self: font_scale(height))
    window = make_window()
    window.session.on_snapshot(make_snapshot())
    window.show_test_digit(1)
    window.presenter.enter()
    qtbot.wait(50)  # full screen (the offscreen screen's size) lands first
    window.resize(width, height)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (width, height))
    window.render(everything=True)
    qtbot.wait(50)
    assert (window.width(), window.height()) == (width, height)
    yield window
    window.presenter.leave()


def _controls(window) -> list:
    bar = window.presenter.toolbar
    return [bar.widgetForAction(a) for a in bar.actions() if not a.isSeparator() and bar.widgetForAction(a)]


def _geometries(window) -> list[QRect]:
    return [QRect(w.mapTo(window, QPoint(0, 0)), w.size()) for w in _controls(window)]


def test_every_toolbar_control_is_whole_and_inside_the_window(presenting, tmp_path):
    window = presenting
    bar = window.presenter.toolbar
    extension = bar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert extension is None or not extension.isVisible(), "controls spilled into the toolbar's » menu"
    texts = set()
    for control, rect in zip(_controls(window), _geometries(window), strict=True):
        assert control.isVisible(), control
        assert window.rect().contains(rect), (control, rect)
        if isinstance(control, QLabel | QComboBox) or (isinstance(control, QToolButton)
                                                        and control is not window.presenter.preset_button):
            assert control.width() >= control.sizeHint().width(), f"{control} is cut: {control.width()} px"
            texts.add(control.text() if hasattr(control, "text") else control.currentText())
    assert {"Start", "Pause", "Step", "✕ Leave"} <= {t.replace("&", "") for t in texts}
    assert any("Speed" in t for t in texts)
    assert window.presenter.toolbar.font().pointSizeF() >= 1.5 * 9 - 0.01
    save_screenshot(window, tmp_path, f"presenter_fit_{window.width()}x{window.height()}.png")


def test_the_toolbar_holds_still_and_names_every_preset_whole(presenting, qtbot):
    window = presenting
    button = window.presenter.preset_button
    before = _geometries(window)
    for p in PRESETS:
        window.actions.presets[p.key].trigger()
        qtbot.wait(10)
        assert button.name() == window.controls.preset.currentText()
        assert button.text() == button.name(), f"{p.name!r} is elided to {button.text()!r}"
        assert _geometries(window) == before, f"the toolbar moved for {p.name!r}"


def test_a_long_preset_name_is_elided_with_the_full_name_in_its_tooltip(presenting):
    button = presenting.presenter.preset_button
    width = button.width()
    long_name = "One neuron: is it a 6? " * 4
    button.set_name(long_name)
    assert button.width() == width
    assert button.text() != long_name and button.text().endswith("…")
    assert long_name in button.toolTip()


def test_the_timeline_bar_grows_with_the_presenter_type(presenting):
    window, bar = presenting, presenting.timeline_bar
    line = bar.fontMetrics().height()
    assert bar.font().pointSizeF() >= 1.5 * 9 - 0.01
    assert bar.home_button.iconSize().height() >= line and bar.play_button.iconSize().height() >= line
    assert bar.strip.height() >= 2 * line  # the trace above, the epoch numbers below
    hint = bar.strip.empty_hint()
    assert bar.strip.fontMetrics().horizontalAdvance(hint) <= bar.strip.width()
    bar.set_cursor(188_888, moment_text(188_888, 100.7, False, False))
    assert bar.status.fontMetrics().horizontalAdvance(bar.status.text()) <= bar.status.width()
    toolbar = window.timeline_toolbar
    assert window.rect().contains(QRect(toolbar.mapTo(window, QPoint(0, 0)), toolbar.size()))
    for control in (bar.home_button, bar.play_button, bar.live_button, bar.speed, bar.loop_box, bar.status):
        assert control.isVisible() and control.width() >= control.sizeHint().width(), control


def test_menus_dialogs_and_help_popups_get_the_large_type_too(presenting, qtbot):
    window = presenting
    base = window.presenter._saved.app_font.pointSizeF()
    # The views still know how much larger their type is than the normal one (lines, map titles).
    assert presentation_scale(window.network_view) >= 1.5 and presentation_scale(window.curves) >= 1.5
    window.presenter.set_panel("Weights")
    qtbot.wait(20)
    blocks = window.weight_maps._blocks
    assert blocks and all(block.title_pt >= 1.5 * TITLE_PT - 0.01 for block in blocks)
    menu = window.presenter.preset_button.menu()
    box = QMessageBox(QMessageBox.Icon.Information, "Title", "Text", parent=window)
    qtbot.addWidget(box)
    popup = HelpButton(NETWORK, window).show_help()
    for widget in (menu, box, popup, popup.label):
        assert widget.font().pointSizeF() >= 1.5 * base - 0.01, widget
    popup.close()
    window.presenter.leave()
    qtbot.wait(10)
    assert QApplication.font().pointSizeF() == base
    assert box.font().pointSizeF() == base and menu.font().pointSizeF() == base
    assert presentation_scale(window.network_view) == 1.0
