"""View ▸ Presenter mode: full screen, large type and thick lines, the network view plus one chosen panel.

For showing the network to a room (a 1024×768 projector): every dock but the chosen one is hidden,
the Training dock's controls shrink to a toolbar (a preset, Start, Pause, Step, the speed), the
timeline bar stays, and the window's font (and the application's, for menus, dialogs and the "?"
popups) grows ×1.5–2 with the screen (views thicken their lines with the font,
``colormaps.presentation_scale``). Leaving (the same shortcut, or Esc) puts back
the exact dock layout, window geometry and fonts saved on entering.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QFont, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QWidget,
)

from visualizer.session.moments import PACES, pace_text
from visualizer.ui import docks
from visualizer.ui.common.colormaps import BASE_FONT_PROPERTY
from visualizer.ui.panels.training.panel import CUSTOM  # its name for fields that match no preset

# The panels that can sit beside the network (the Training dock becomes the toolbar), and where.
PANELS = ("Draw", "Weights", "Curves", "Test set", "Neurons", "Gradients")
DEFAULT_PANEL = "Draw"  # a teacher draws digits first
Area = Qt.DockWidgetArea
PANEL_AREAS = {"Weights": Area.BottomDockWidgetArea, "Curves": Area.BottomDockWidgetArea}  # wide ones; else right
PANEL_SHARE = {"Weights": 0.45, "Curves": 0.4}  # of the window's height (bottom) or width (right: RIGHT_SHARE)
RIGHT_SHARE = 0.42
SHORTCUTS = ("F5", "Ctrl+Shift+P")
MIN_PRESET_EM = 6  # the preset button is never narrower than this many "M"s of text (then names are elided)
CUSTOM_TEXT = "Custom network"  # what the toolbar says then (alone, "Custom" says too little)
LEAVE_KEY = "Esc"  # taken from Stop while presenting (Stop is not among the presenter's controls)


def font_scale(screen_height: int) -> float:
    """×1.5 on a 768-pixel-high screen (a projector), growing to ×2 at 1080 and above."""
    return float(min(2.0, max(1.5, 1.5 + 0.5 * (screen_height - 768) / (1080 - 768))))


class PresetButton(QToolButton):
    """The toolbar's preset chooser, as wide as the longest preset's name (or the room the toolbar
    leaves, ``set_room``) whatever the preset chosen, so the controls beside it never move; a name
    that does not fit is elided, whole in the tooltip."""

    TIP = "The preset: put a tutorial's network in place (Start trains it)"

    def __init__(self, names, parent: QWidget | None = None):
        super().__init__(parent)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._names = [*names, CUSTOM_TEXT]
        self._name = ""
        self._room: int | None = None  # pixels the toolbar leaves it (None: no limit)
        self._fit()

    def name(self) -> str:
        """The chosen preset's full name (the text shown may be elided)."""
        return self._name

    def set_name(self, name: str) -> None:
        self._name = CUSTOM_TEXT if name == CUSTOM else name
        self._fit()

    def set_room(self, pixels: int | None) -> None:
        """At most this wide (the toolbar's room once its other controls are whole)."""
        if pixels != self._room:
            self._room = pixels
            self._fit()

    def _fit(self) -> None:
        fm = self.fontMetrics()
        shown = self.text()
        self.setText("M")  # the frame and the menu arrow round one letter: what the text leaves
        chrome = super().sizeHint().width() - fm.horizontalAdvance("M")
        self.setText(shown)
        width = chrome + max(fm.horizontalAdvance(n) for n in self._names) + 2
        if self._room is not None:
            width = max(min(width, self._room), chrome + fm.horizontalAdvance("M") * MIN_PRESET_EM)
        if width != self.width() or self.minimumWidth() != width:
            self.setFixedWidth(width)
        text = fm.elidedText(self._name, Qt.TextElideMode.ElideRight, width - chrome)
        if text != self.text():
            self.setText(text)
        self.setToolTip(self.TIP if text == self._name else f"{self._name} — {self.TIP[0].lower()}{self.TIP[1:]}")

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()


@dataclass
class _Saved:
    """What entering changed, to put back exactly on leaving."""

    state: QByteArray
    geometry: QRect  # the normal (not maximized) geometry
    window_state: Qt.WindowState
    font: QFont
    font_set: bool  # the window had a font of its own (else it follows the application's)
    app_font: QFont  # menus, message boxes and the "?" popups are windows of their own: they follow this
    menu_bar: bool
    status_bar: bool
    stop_keys: list


class PresenterMode(QObject):
    """The mode, its View menu entries and its toolbar.

    Parameters
    ----------
    window
        The MainWindow: ``actions``, ``menus``, ``controls``, ``session``, ``timeline_toolbar``,
        ``network_view``; optional ``tour`` (a HelpTour) adds a "?" to the toolbar.
    """

    toggled = Signal(bool)  # entered (True) or left (False)

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self._window = window
        self._saved: _Saved | None = None
        self._panel = DEFAULT_PANEL
        self.action = QAction("&Presenter mode", window, checkable=True)
        self.action.setShortcuts([QKeySequence(k) for k in SHORTCUTS])
        self.action.setToolTip("Full screen, large type, the network and one panel: for showing it to a room "
                               "(F5; Esc leaves)")
        self.action.toggled.connect(self._on_toggled)
        window.addAction(self.action)
        self.panel_group = QActionGroup(self)
        self.panel_actions: dict[str, QAction] = {}
        for title in PANELS:
            a = QAction(title, window, checkable=True)
            a.setToolTip(f"In presenter mode, show the {title} panel beside the network")
            a.setChecked(title == self._panel)
            a.triggered.connect(lambda _=False, t=title: self.set_panel(t))
            self.panel_group.addAction(a)
            self.panel_actions[title] = a
        self.toolbar: QToolBar | None = None  # built on first entry
        self.preset_button: PresetButton | None = None
        self._panel_combo: QComboBox | None = None
        self._pace_combo: QComboBox | None = None
        self._add_menu_entries()
        window.installEventFilter(self)  # closing while presenting saves the normal layout

    def _add_menu_entries(self) -> None:
        view = self._window.menus["view"]
        view.addSeparator()
        view.addAction(self.action)
        panels = QMenu("Presenter pa&nel", view)
        panels.addActions(list(self.panel_actions.values()))
        panels.setToolTipsVisible(True)
        view.addMenu(panels)
        self.panel_menu = panels

    # -- public API -----------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self._saved is not None

    def panel(self) -> str:
        """The panel shown beside the network in presenter mode."""
        return self._panel

    def set_panel(self, title: str) -> None:
        """Choose the panel beside the network (at once, when presenting)."""
        if title not in PANELS:
            raise ValueError(f"no presenter panel {title!r}; choose one of {', '.join(PANELS)}")
        self._panel = title
        self.panel_actions[title].setChecked(True)
        if self._panel_combo is not None and self._panel_combo.currentText() != title:
            self._panel_combo.setCurrentText(title)
        if self.active:
            self._show_only(title)

    def enter(self) -> None:
        self.action.setChecked(True)

    def leave(self) -> None:
        self.action.setChecked(False)

    def scale(self) -> float:
        """The font scale presenter mode uses on this window's screen."""
        screen = self._window.screen()
        return font_scale(screen.geometry().height() if screen is not None else 768)

    # -- entering and leaving ---------------------------------------------------------------------
    def _on_toggled(self, on: bool) -> None:
        if on and not self.active:
            self._enter()
        elif not on and self.active:
            self._leave()

    def _enter(self) -> None:
        w = self._window
        stop = w.actions.stop
        app = QApplication.instance()
        self._saved = _Saved(w.saveState(docks.LAYOUT_VERSION), w.normalGeometry(), w.windowState(),
                             QFont(w.font()), w.testAttribute(Qt.WidgetAttribute.WA_SetFont), QFont(app.font()),
                             w.menuBar().isVisible(), w.statusBar().isVisible(), stop.shortcuts())
        # Esc leaves; Stop gives it up meanwhile (two actions on one key would both go deaf).
        stop.setShortcuts([k for k in stop.shortcuts() if k != QKeySequence(LEAVE_KEY)])
        self.action.setShortcuts([*(QKeySequence(k) for k in SHORTCUTS), QKeySequence(LEAVE_KEY)])
        scale = self.scale()
        # The views scale their lines by their font over the normal one, which the application's
        # no longer is meanwhile.
        app.setProperty(BASE_FONT_PROPERTY, self._saved.app_font.pointSizeF())
        font = QFont(w.font())
        font.setPointSizeF(font.pointSizeF() * scale)
        w.setFont(font)
        # Popups and dialogs (QMenu, QMessageBox, the "?" texts, tooltips) are windows: they take
        # the application's font, not this window's.
        app_font = QFont(app.font())
        app_font.setPointSizeF(app_font.pointSizeF() * scale)
        app.setFont(app_font)
        w.menuBar().hide()
        w.statusBar().hide()  # the timeline bar says where the run is; the rows go to the panels
        toolbar = self._toolbar()
        toolbar.show()
        w.timeline_toolbar.show()
        self._show_only(self._panel)
        w.showFullScreen()
        screen = w.screen()
        if screen is not None and w.geometry() != screen.geometry():
            w.setGeometry(screen.geometry())  # no window manager to do it (a bare X server, a kiosk)
        self.toggled.emit(True)

    def _leave(self) -> None:
        w, saved = self._window, self._saved
        self._saved = None
        self.action.setShortcuts([QKeySequence(k) for k in SHORTCUTS])
        w.actions.stop.setShortcuts(saved.stop_keys)
        self.toolbar.hide()
        w.setWindowState(saved.window_state)
        # Fonts first: the panels' minimum sizes, which the restored layout must meet, follow them.
        app = QApplication.instance()
        app.setFont(saved.app_font)
        app.setProperty(BASE_FONT_PROPERTY, None)
        w.setFont(saved.font if saved.font_set else QFont())
        w.menuBar().setVisible(saved.menu_bar)
        w.statusBar().setVisible(saved.status_bar)
        if not saved.window_state & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
            w.setGeometry(saved.geometry)  # (restoreGeometry would shrink a window larger than the screen)
        w.restoreState(saved.state, docks.LAYOUT_VERSION)
        self.toggled.emit(False)

    def _show_only(self, title: str) -> None:
        """Hide every dock but ``title``'s, which goes beside (or under) the network at a set share."""
        w = self._window
        chosen = None
        for dock in w.findChildren(QDockWidget):
            if dock.windowTitle() == title:
                chosen = dock
            else:
                dock.hide()
        if chosen is None:
            return
        chosen.setFloating(False)
        area = PANEL_AREAS.get(title, Area.RightDockWidgetArea)
        w.addDockWidget(area, chosen)  # out of its tab group, alone in its area
        chosen.show()
        chosen.raise_()
        screen = w.screen().geometry() if w.screen() is not None else w.geometry()
        if area == Area.BottomDockWidgetArea:
            w.resizeDocks([chosen], [int(screen.height() * PANEL_SHARE.get(title, 0.4))], Qt.Orientation.Vertical)
        else:
            w.resizeDocks([chosen], [int(screen.width() * RIGHT_SHARE)], Qt.Orientation.Horizontal)

    # -- the toolbar ----------------------------------------------------------------------------
    def _toolbar(self) -> QToolBar:
        if self.toolbar is not None:
            return self.toolbar
        w, a = self._window, self._window.actions
        bar = self.toolbar = QToolBar("Presenter")
        bar.setObjectName("toolbar_presenter")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        presets = self.preset_button = PresetButton([act.text() for act in a.presets.values()])
        menu = QMenu(presets)
        menu.addActions(list(a.presets.values()))
        menu.setToolTipsVisible(True)
        presets.setMenu(menu)
        w.controls.preset.currentTextChanged.connect(presets.set_name)
        presets.set_name(w.controls.preset.currentText())
        bar.addWidget(presets)
        bar.addSeparator()
        bar.addActions([a.start, a.pause, a.step])
        bar.addWidget(QLabel(" Speed "))
        self._pace_combo = pace = QComboBox()
        for p in PACES:
            pace.addItem(pace_text(p), p)
        pace.setToolTip(w.controls.pace.toolTip())
        pace.setCurrentIndex(w.controls.pace.currentIndex())
        # The controls' own combo decides (it tells the window, which tells the session).
        pace.activated.connect(w.controls.pace.setCurrentIndex)
        w.session.pace_changed.connect(lambda _p: pace.setCurrentIndex(w.controls.pace.currentIndex()))
        bar.addWidget(pace)
        bar.addSeparator()
        bar.addWidget(QLabel(" Panel "))
        self._panel_combo = panels = QComboBox()
        panels.addItems(list(PANELS))
        panels.setCurrentText(self._panel)
        panels.setToolTip("The panel shown beside the network")
        panels.textActivated.connect(self.set_panel)
        bar.addWidget(panels)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        tour = getattr(w, "tour", None)
        if tour is not None:  # short texts: the toolbar must fit 1024 pixels at ×1.5
            ask = QAction("?", bar)
            ask.setToolTip(tour.action.toolTip())
            ask.triggered.connect(tour.start)
            bar.addAction(ask)
        leave = QAction("✕ Leave", bar)
        leave.setToolTip("Back to the normal window, its panels where they were (Esc)")
        leave.triggered.connect(self.leave)
        bar.addAction(leave)
        w.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        bar.installEventFilter(self)  # its width sets the preset button's room
        return bar

    def _fit_preset_button(self) -> None:
        """Give the preset button the room the toolbar's other controls leave it, all of them whole."""
        bar, button = self.toolbar, self.preset_button
        layout = bar.layout()
        others = 0
        for act in bar.actions():
            widget = bar.widgetForAction(act)
            if widget is None or widget is button or widget.sizePolicy().horizontalPolicy() == QSizePolicy.Policy.Expanding:
                continue
            others += widget.sizeHint().width() + layout.spacing()
        margins = bar.contentsMargins()
        extra = layout.contentsMargins().left() + layout.contentsMargins().right() + margins.left() + margins.right()
        button.set_room(bar.width() - others - extra - layout.spacing() - 4)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.toolbar and event.type() in (QEvent.Type.Resize, QEvent.Type.FontChange):
            self._fit_preset_button()
        if obj is self._window and event.type() == QEvent.Type.Close and self.active:
            self.leave()  # the window saves its layout as it closes: the normal one, not this
        return super().eventFilter(obj, event)
