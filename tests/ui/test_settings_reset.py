"""View ▸ Reset settings, and the notice on start when the restored settings could trap a new session."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from visualizer.core.config import TrainingConfig
from visualizer.session.moments import DEFAULT_PACE
from visualizer.ui.common.options import RangeMode, Theme
from visualizer.ui.settings import Settings
from visualizer.ui.settings_reset import trap_notes


def remember(**config):
    """What a previous session left behind."""
    s = Settings()
    s.set_config(TrainingConfig(**config))
    s.weight_range = RangeMode.LOCK
    s.pace = None
    s.theme = Theme.DARK
    s.redraw_hz = 10
    s.set_last_dir("weights", "/somewhere")
    s.sync()


def test_what_counts_as_a_trap():
    assert trap_notes(TrainingConfig(), RangeMode.GROW) == []
    big, = trap_notes(TrainingConfig(hidden=(1024, 1024, 1024)), RangeMode.AUTO)
    assert big == "a large 784-1024-1024-1024-10 network (2,913,290 parameters: slow to train and draw)"
    assert trap_notes(TrainingConfig(hidden=(512,)), RangeMode.GROW), "one layer of 512 is already a grid"
    assert trap_notes(TrainingConfig(hidden=(511, 511)), RangeMode.GROW) == []
    locked, = trap_notes(TrainingConfig(), RangeMode.LOCK)
    assert locked.startswith("a locked weight colour range")


def test_a_large_remembered_network_is_noticed_and_reset_puts_every_default_back(make_window, qtbot, dialogs):
    remember(hidden=(600,), activation="tanh")
    window = make_window()
    notice = window.settings_notice
    assert notice.isVisible()
    assert notice.text() == ("Settings from last time: a large 784-600-10 network (477,010 parameters: slow to train "
                             "and draw) and a locked weight colour range (maps saturate as weights grow).")
    assert window.latest_snapshot().layer_sizes == (784, 600, 10)
    dialogs.answer = QMessageBox.StandardButton.Cancel
    notice.reset_button.click()
    assert [t for _, t, _ in dialogs.shown] == ["Reset settings?"]
    assert window.controls.config().hidden == (600,) and notice.isVisible(), "Cancel changes nothing"
    dialogs.answer = QMessageBox.StandardButton.Yes
    window.actions.reset_settings.trigger()
    assert window.controls.config() == TrainingConfig()
    assert window.weight_maps.range_mode() is RangeMode.GROW and not window.actions.lock_range.isChecked()
    assert window.session.pace == DEFAULT_PACE and window.controls.pace.currentData() == DEFAULT_PACE
    assert window.settings.theme is Theme.SYSTEM and window.actions.theme[Theme.SYSTEM].isChecked()
    assert window.settings.redraw_hz == 30 and window.actions.redraw[30].isChecked()
    assert not notice.isVisible() and window.settings.last_dir("weights") == "/somewhere"
    qtbot.waitUntil(lambda: window.latest_snapshot().layer_sizes == (784, 16, 16, 10), timeout=30_000)
    assert window.statusBar().currentMessage() in ("Settings reset to their defaults",
                                                   "Weights reset to fresh random values")


def test_reset_puts_the_panels_back(make_window, qtbot, dialogs):
    window = make_window()
    pad = window.docks["Draw"]
    pad.setFloating(True)
    window.docks["Curves"].hide()
    window.actions.reset_settings.trigger()
    assert not pad.isFloating() and window.docks["Curves"].isVisibleTo(window)


def test_default_settings_show_no_notice(make_window):
    window = make_window()
    assert not window.settings_notice.isVisible()
