"""View ▸ Reset settings, and the notice when the settings carried from last time could trap a new session.

A 784-1024-1024-1024-10 network remembered from an experiment is slow to train and to draw; a
locked colour range saturates every weight map once the weights grow. Neither is obvious to the
next person at the computer, so the window says so on start and offers the way back: the default
network, pace, theme, redraw rate, colour range and panel layout (the folders last used stay).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton, QVBoxLayout, QWidget

from visualizer.core.config import TrainingConfig
from visualizer.session.architecture import trains_as
from visualizer.session.moments import DEFAULT_PACE
from visualizer.session.state import RunState
from visualizer.ui.common.options import RangeMode, Theme
from visualizer.ui.settings import DEFAULT_REDRAW_HZ
from visualizer.ui.status import Banner

LARGE_PARAMETERS = 1_000_000  # weights and biases: training and drawing get slow beyond
LARGE_LAYER = 512  # neurons in one hidden layer: its column becomes a grid of tiny cells
QUESTION = ("Put back the default network (784-16-16-10 relu), training pace, theme, redraw rate, weight "
            "colour range and panel layout? Weights and the recorded run are not touched; an untrained "
            "network is rebuilt with the default layers.")


def trap_notes(config: TrainingConfig, range_mode: RangeMode) -> list[str]:
    """What in the restored settings could surprise a new session (empty: nothing)."""
    notes = []
    params = config.parameter_count
    widest = max(config.hidden, default=0)
    if params > LARGE_PARAMETERS or widest >= LARGE_LAYER:
        shape = "-".join(map(str, config.layer_sizes))
        notes.append(f"a large {shape} network ({params:,} parameters: slow to train and draw)")
    if RangeMode.parse(range_mode) is RangeMode.LOCK:
        notes.append("a locked weight colour range (maps saturate as weights grow)")
    return notes


def notice_text(notes: list[str]) -> str:
    return "Settings from last time: " + " and ".join(notes) + "."


class SettingsNotice(Banner):
    """A dismissable message above the network view with a "Reset settings…" button (``reset_button``)
    under its text, so a narrow window keeps the text wide."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settings_notice")
        self.reset_button = QToolButton()
        self.reset_button.setText("Reset settings…")
        self.reset_button.setAutoRaise(True)  # white text on the banner's colour, like its ✕
        font = self.reset_button.font()
        font.setBold(True)
        font.setUnderline(True)
        self.reset_button.setFont(font)
        self.reset_button.setToolTip("View ▸ Reset settings: the default network, pace, theme, colour range and layout")
        row = self.layout()
        row.removeWidget(self.label)
        text = QVBoxLayout()
        text.setContentsMargins(0, 0, 0, 0)
        text.setSpacing(0)
        text.addWidget(self.label)
        text.addWidget(self.reset_button, 0, Qt.AlignmentFlag.AlignLeft)
        row.insertLayout(0, text, 1)


def show_notice(window) -> list[str]:
    """On start: tell about restored settings that could trap this session; returns the notes shown."""
    notes = trap_notes(window.settings.config(), window.settings.weight_range)
    if notes:
        window.settings_notice.show_message(notice_text(notes), "info")
    return notes


def reset_settings(window, *, ask: bool = True) -> bool:
    """Put the remembered preferences back to their defaults (after a confirmation); True when done."""
    session = window.session
    if not session.state.config_editable:
        window.statusBar().showMessage("Stop training first: the network settings cannot change during a run", 8000)
        return False
    if ask and not session.confirm("Reset settings?", QUESTION):
        return False
    window.settings.reset()
    window.controls.set_config(TrainingConfig())
    window.settings.pace = DEFAULT_PACE
    window.session.set_pace(DEFAULT_PACE)  # the controls follow pace_changed
    window.set_theme(Theme.SYSTEM)  # each setter also stores its value again
    window.set_redraw_rate(DEFAULT_REDRAW_HZ)
    window.weight_maps.set_range_mode(RangeMode.GROW)
    window._on_range_mode_changed(RangeMode.GROW)  # the menu's Lock follows
    window.reset_layout()
    window.settings_notice.hide()
    latest = session.latest
    if (session.state is RunState.READY and latest is not None and latest.step == 0 and not session.imported_from
            and not trains_as(latest.network, TrainingConfig())):
        session.reset()  # an untrained network of the old layers: nothing is lost, the default one is smaller
    window.statusBar().showMessage("Settings reset to their defaults", 8000)
    return True

