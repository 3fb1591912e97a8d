"""Light and dark themes: Fusion style, a full palette, and pyqtgraph colours taken from it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from visualizer.ui.common.options import Theme


# (role, light, dark); the disabled group is derived below.
_COLOURS = {
    QPalette.ColorRole.Window: ("#f3f3f3", "#2b2d30"),
    QPalette.ColorRole.WindowText: ("#1b1b1b", "#e6e6e6"),
    QPalette.ColorRole.Base: ("#ffffff", "#1f2023"),
    QPalette.ColorRole.AlternateBase: ("#eaeaea", "#303236"),
    QPalette.ColorRole.ToolTipBase: ("#ffffe8", "#3c3f44"),
    QPalette.ColorRole.ToolTipText: ("#1b1b1b", "#e6e6e6"),
    QPalette.ColorRole.PlaceholderText: ("#808080", "#8a8a8a"),
    QPalette.ColorRole.Text: ("#1b1b1b", "#e6e6e6"),
    QPalette.ColorRole.Button: ("#e6e6e6", "#3a3d41"),
    QPalette.ColorRole.ButtonText: ("#1b1b1b", "#e6e6e6"),
    QPalette.ColorRole.BrightText: ("#d00000", "#ff6b6b"),
    QPalette.ColorRole.Light: ("#ffffff", "#4a4d52"),
    QPalette.ColorRole.Midlight: ("#dcdcdc", "#404348"),
    QPalette.ColorRole.Mid: ("#b8b8b8", "#303236"),
    QPalette.ColorRole.Dark: ("#9a9a9a", "#1a1b1d"),
    QPalette.ColorRole.Shadow: ("#6a6a6a", "#000000"),
    QPalette.ColorRole.Highlight: ("#2f6fd0", "#3d7fe0"),
    QPalette.ColorRole.HighlightedText: ("#ffffff", "#ffffff"),
    QPalette.ColorRole.Link: ("#1f5fbf", "#6ea8ff"),
    QPalette.ColorRole.LinkVisited: ("#7a3fbf", "#b48cff"),
}
_DISABLED_TEXT = ("#9c9c9c", "#6f7175")


def system_scheme() -> Theme:
    """DARK when the platform says so (Qt >= 6.5 QStyleHints.colorScheme), else LIGHT."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None and scheme() == Qt.ColorScheme.Dark:
        return Theme.DARK
    return Theme.LIGHT


def resolve(mode: Theme | str) -> Theme:
    """Map a user choice (system, light, dark) to the scheme actually used (light or dark)."""
    mode = Theme.parse(mode, Theme.SYSTEM)
    return system_scheme() if mode is Theme.SYSTEM else mode


def make_palette(scheme: Theme | str) -> QPalette:
    """A complete Fusion palette for light or dark."""
    i = 1 if Theme.parse(scheme, Theme.LIGHT) is Theme.DARK else 0
    pal = QPalette()
    for role, colours in _COLOURS.items():
        pal.setColor(role, QColor(colours[i]))
    grey = QColor(_DISABLED_TEXT[i])
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.HighlightedText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, grey)
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor(_COLOURS[QPalette.ColorRole.Mid][i]))
    return pal


def apply_theme(mode: Theme | str = Theme.SYSTEM, app: QApplication | None = None) -> Theme:
    """Apply Fusion + palette for ``mode`` to the application and to live pyqtgraph views.

    Returns the scheme used (LIGHT or DARK).
    """
    app = app or QApplication.instance()
    scheme = resolve(mode)
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    pal = make_palette(scheme)
    app.setPalette(pal)
    _apply_pyqtgraph(app, pal)
    return scheme


def _apply_pyqtgraph(app: QApplication, pal: QPalette) -> None:
    """Plots created from now on take their colours from the palette. Existing nnviz views
    recolour themselves on QEvent.PaletteChange (their own colour choices win)."""
    import pyqtgraph as pg

    pg.setConfigOptions(background=pal.color(QPalette.ColorRole.Base), foreground=pal.color(QPalette.ColorRole.Text))
