"""Teaching with the window: presenter mode, every panel's "?", and the "What am I looking at?" tour."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import QDockWidget

from visualizer.session.explanations import NETWORK, TIMELINE, explanation
from visualizer.ui import docks
from visualizer.ui.help import HelpButton, title_bar
from visualizer.ui.presenter import PANELS, font_scale
from window_fixtures import save_screenshot as _save

ESC = QKeySequence("Esc")


def _layout(window) -> dict:
    """What a user sees of the dock layout: each dock's visibility, area, floating, tab mates and size."""
    out = {}
    for title, dock in window.docks.items():
        mates = sorted(d.windowTitle() for d in window.tabifiedDockWidgets(dock))
        out[title] = (dock.isVisible(), window.dockWidgetArea(dock), dock.isFloating(), mates,
                      dock.width(), dock.height())
    return out


def _fonts(window) -> dict:
    return {"window": window.font().pointSizeF(), "network": window.network_view.font().pointSizeF(),
            **{t: docks.panel_of(d).font().pointSizeF() for t, d in window.docks.items()}}


@pytest.fixture
def window(make_window, make_snapshot, qtbot):
    w = make_window()
    w.resize(1024, 700)
    w.reset_layout()
    qtbot.wait(50)
    w.session.on_snapshot(make_snapshot())
    w.show_test_digit(1)
    w.render(everything=True)
    return w


def test_presenter_mode_enters_and_leaves_restoring_layout_and_fonts(window, qtbot, tmp_path):
    before, fonts, size = _layout(window), _fonts(window), window.size()
    presenter = window.presenter
    presenter.set_panel("Weights")
    presenter.enter()
    qtbot.wait(50)
    assert presenter.active and window.isFullScreen()
    assert window.font().pointSizeF() >= 1.5 * fonts["window"] - 0.01
    assert window.network_view.font().pointSizeF() >= 1.5 * fonts["network"] - 0.01
    assert [t for t, d in window.docks.items() if d.isVisible()] == ["Weights"]
    assert not window.menuBar().isVisible() and presenter.toolbar.isVisible()
    assert window.timeline_toolbar.isVisible()
    shown = {a.text() for a in presenter.toolbar.actions() if a.isVisible()}
    assert {"&Start", "Pa&use", "S&tep"} <= shown or {"Start", "Pause", "Step"} <= {t.replace("&", "") for t in shown}
    assert ESC in presenter.action.shortcuts() and ESC not in window.actions.stop.shortcuts()
    window.render(everything=True)
    window.resize(1024, 768)  # the offscreen screen is smaller than a projector's
    qtbot.wait(50)
    _save(window, tmp_path, "presenter_1024x768.png")

    presenter.leave()
    qtbot.wait(50)
    assert not presenter.active and not window.isFullScreen()
    assert _fonts(window) == fonts
    assert window.size() == size
    assert window.menuBar().isVisible() and not presenter.toolbar.isVisible()
    assert _layout(window) == before
    assert ESC in window.actions.stop.shortcuts() and ESC not in presenter.action.shortcuts()


def test_only_the_chosen_panel_is_shown_and_it_can_change_while_presenting(window, qtbot):
    presenter = window.presenter
    presenter.enter()
    for title in PANELS:
        presenter.set_panel(title)
        qtbot.wait(20)
        assert [t for t, d in window.docks.items() if d.isVisible()] == [title]
        assert presenter.panel_actions[title].isChecked()
    presenter.leave()
    assert presenter.panel() == PANELS[-1]  # remembered for the next time


def test_presenter_shortcuts_and_closing_while_presenting(window, qtbot):
    presenter = window.presenter
    keys = presenter.action.shortcuts()
    assert QKeySequence("F5") in keys and QKeySequence("Ctrl+Shift+P") in keys
    assert presenter.action in window.menus["view"].actions()
    presenter.enter()
    presenter.leave()  # its toolbar now exists (hidden): part of every saved state from here on
    state = window.saveState(docks.LAYOUT_VERSION)
    presenter.action.trigger()
    assert presenter.active
    window.close()  # saves the layout: the normal one, not the presenter's
    assert not presenter.active
    assert window.settings.state() == state


def test_font_scale_grows_with_the_screen():
    assert font_scale(768) == 1.5 and font_scale(600) == 1.5
    assert font_scale(1080) == 2.0 and font_scale(2160) == 2.0
    assert 1.5 < font_scale(900) < 2.0


def test_every_dock_has_a_question_mark_that_explains_its_subject(window, qtbot):
    for title, dock in window.docks.items():
        bar = title_bar(dock)
        assert bar is not None, f"the {title} dock has no '?'"
        e = bar.explanation()
        assert e.title == title and len(e.text) > 80
        assert e.terms and all(term in e.text.lower() for term in e.terms)
        popup = bar.show_help()
        assert popup.isVisible() and e.text[:40] in popup.label.text()
        popup.close()
    network = window.network_view.findChild(HelpButton)
    assert network is not None and "softmax" in network.explanation().text


def test_the_title_bar_still_floats_and_closes_its_dock(window, qtbot):
    dock = window.docks["Curves"]
    bar = title_bar(dock)
    bar.float_button.click()
    assert dock.isFloating()
    bar.float_button.click()
    assert not dock.isFloating()
    bar.close_button.click()
    assert not dock.toggleViewAction().isChecked()


def test_the_tour_visits_every_open_dock_and_skips_closed_ones(window, qtbot, tmp_path):
    window.docks["Neurons"].close()
    tour = window.tour
    assert tour.action in window.menus["help"].actions()
    tour.start()
    seen = []
    while tour.active:
        title = tour.current()
        seen.append(title)
        qtbot.wait(10)
        target = tour.target_rect()
        assert target.isValid() and window.rect().intersects(target), f"{title} is not framed"
        if title in window.docks:
            assert window.docks[title].isVisible(), f"{title} was not brought to the front"
        e = explanation(title)
        assert e.subject in tour.caption_text()
        caption = tour._caption
        assert window.rect().contains(caption.geometry()), f"the caption of {title} leaves the window"
        if len(seen) == 3:
            _save(window, tmp_path, "tour_1024x700.png")
        tour.next()
    open_docks = {t for t, d in window.docks.items() if d.toggleViewAction().isChecked()}
    assert seen[0] == NETWORK and seen[-1] == TIMELINE
    assert set(seen) == open_docks | {NETWORK, TIMELINE} and "Neurons" not in seen
    assert not tour._highlight.isVisible() and not tour._caption.isVisible()


def test_the_tour_goes_back_and_frames_its_part(window, qtbot):
    tour = window.tour
    tour.start()
    tour.next()
    second = tour.current()
    tour.back()
    assert tour.current() == NETWORK
    tour.next()
    assert tour.current() == second
    qtbot.wait(20)
    image = window.grab().toImage()
    target = tour.target_rect()
    frame = QColor(image.pixel(target.center().x(), target.top() + 1))
    assert frame == window.palette().color(window.palette().ColorRole.Highlight)
    tour.stop()
    assert not tour.active


def test_docks_added_later_get_a_question_mark_too(window, qtbot):
    from PySide6.QtWidgets import QLabel

    dock = window.add_dock(QLabel("hello"), "Histogram")
    bar = title_bar(dock)
    assert isinstance(dock, QDockWidget) and bar is not None and bar.explanation().text
    assert bar.help_button.mapToGlobal(QPoint(0, 0)) is not None


def test_the_network_views_question_mark_speaks_of_the_network_shown(window, qtbot, make_one_neuron):
    button = window.network_help
    ten = button.explanation().text
    assert "softmax" in ten and "sigmoid" not in ten
    window.session.on_snapshot(make_one_neuron(digit=6, step=1))
    window.render(everything=True)
    one = button.explanation().text
    assert one != ten and "is it a 6?" in one and "single neuron" in one
    popup = button.show_help()
    assert "is it a 6?" in popup.label.text()
    popup.close()
    tour = window.tour
    tour.start()
    assert tour.current() == NETWORK and "is it a 6?" in tour.caption_text()
    tour.stop()


def test_the_network_views_question_mark_opens_upward_on_the_screen(window, qtbot):
    window.move(0, 0)  # 1024x700: as high as the offscreen screen (800x800) allows
    qtbot.wait(50)
    button = window.network_help
    top = button.mapToGlobal(QPoint(0, 0)).y()
    assert button.mapTo(window.network_view, QPoint(0, 0)).y() > window.network_view.height() / 2  # its footer
    popup = button.show_help()
    geometry, screen = popup.geometry(), popup.screen().availableGeometry()
    assert geometry.bottom() < top and screen.contains(geometry)
    popup.close()
