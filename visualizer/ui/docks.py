"""The window's docks: creating them, the default arrangement, and putting it back (View ▸ Reset layout).

Default layout (fits 1280x800, grows well to 1600x1000 and maximized)::

    +-----------+-----------------------------+-------------------+
    | Training  |                             | [Draw] [Test set] |
    | settings, |        network view         | [Neurons] [Grad.] |
    | run       |                             |  tabbed, the      |
    +-----------+                             |  window's full    |
    | Curves    +-----------------------------+  height, so the   |
    |           |  Weights                    |  pad is big       |
    +-----------+-----------------------------+-------------------+

The left and right dock areas own the bottom corners, so the weight maps sit under the network
view only. The curves share the left column with the settings they react to.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QWidget

from visualizer.ui.help import install_title_bar

# Saved window states carry this number; a state saved by a version with other docks is ignored
# (QMainWindow.restoreState fails on a different version) and the default layout is used.
LAYOUT_VERSION = 5  # 5: the left column's split between the settings and the curves

Area = Qt.DockWidgetArea
# title: (area, title of the dock it shares tabs with, or None)
DEFAULT_LAYOUT = {
    "Training": (Area.LeftDockWidgetArea, None),
    "Draw": (Area.RightDockWidgetArea, None),
    "Test set": (Area.RightDockWidgetArea, "Draw"),
    "Neurons": (Area.RightDockWidgetArea, "Test set"),
    "Gradients": (Area.RightDockWidgetArea, "Neurons"),
    "Curves": (Area.LeftDockWidgetArea, None),
    "Weights": (Area.BottomDockWidgetArea, None),
}
# A window shorter than this (1024x768, 1024x700: projectors, small laptops) cannot stack the
# settings and both curves in the left column: the curves share the bottom with the weight maps,
# where they are wide enough to sit side by side.
COMPACT_HEIGHT = 780
# Default widths and heights in pixels; the network view takes whatever is left.
DEFAULT_WIDTHS = {"Training": 300, "Draw": 430}  # 300: the curves sit side by side at 1280x800
# The left column is split: the settings get what they need (FIRST_IN_COLUMN), the curves the rest.
DEFAULT_HEIGHTS = {"Weights": 250}
FIRST_IN_COLUMN = ("Training", "Curves")
COMPACT_WIDTHS = {"Training": 240, "Draw": 380}
COMPACT_HEIGHTS = {"Weights": 215}


class PanelScroll(QScrollArea):
    """A frameless scroll area whose panel fills it, and scrolls only below the panel's minimum size.

    QScrollArea's own ``widgetResizable`` sizes a panel by its layout's height-for-width, which is
    the *preferred* height (a wrapped label's, an image tile's): panels scrolled long before their
    parts would have collided. Here the panel gets the viewport, or its minimum size when larger.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)

    def _fit(self) -> None:
        panel = self.widget()
        if panel is None:
            return
        least = panel.minimumSizeHint().expandedTo(panel.minimumSize())
        view = self.maximumViewportSize()
        width = max(view.width(), least.width())
        height = max(view.height(), least.height())
        if width > view.width():  # a horizontal scroll bar takes height from the viewport
            height = max(view.height() - self.horizontalScrollBar().sizeHint().height(), least.height())
        if height > view.height():
            width = max(view.width() - self.verticalScrollBar().sizeHint().width(), least.width())
        panel.resize(width, height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def event(self, event) -> bool:
        if event.type() == event.Type.LayoutRequest:
            self._fit()
        return super().event(event)

    def sizeHint(self):
        panel = self.widget()
        return super().sizeHint() if panel is None else panel.sizeHint()


def dock_name(title: str) -> str:
    """The objectName saveState() remembers a dock by ("Test set" -> "dock_test_set")."""
    return "dock_" + re.sub(r"\W+", "_", title.lower()).strip("_")


def make_dock(window: QMainWindow, widget: QWidget, title: str) -> QDockWidget:
    """A movable, floatable, closable dock around ``widget`` (not yet placed in the window).

    The widget sits in a frameless scroll area that fills the dock: when the window is too small
    for every panel's minimum size (1024x700, a projector), a panel scrolls instead of being
    squeezed until its parts overlap or are cut off. ``panel_of(dock)`` is the widget itself. The
    title bar has a "?" that explains the panel (``ui/help.py``).
    """
    dock = QDockWidget(title, window)
    dock.setObjectName(dock_name(title))
    area = PanelScroll()
    area.setObjectName(f"{dock.objectName()}_scroll")
    area.setWidget(widget)
    dock.setWidget(area)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    toggle = dock.toggleViewAction()
    toggle.setToolTip(f"Show or hide the {title} panel")
    install_title_bar(dock)  # its "?" explains the panel
    return dock


def panel_of(dock: QDockWidget) -> QWidget:
    """The panel a dock made by :func:`make_dock` shows (inside its scroll area)."""
    inner = dock.widget()
    return inner.widget() if isinstance(inner, QScrollArea) else inner


def default_layout(compact: bool = False) -> dict[str, tuple]:
    """DEFAULT_LAYOUT, or for a short window (``compact``) the curves tabbed with the weight maps."""
    if not compact:
        return DEFAULT_LAYOUT
    layout = {t: v for t, v in DEFAULT_LAYOUT.items() if t != "Curves"}
    layout["Curves"] = (Area.BottomDockWidgetArea, "Weights")
    return layout


def showing(dock: QDockWidget) -> bool:
    """True when ``dock`` is on screen: shown and not behind another tab (Qt keeps a tabbed dock
    "visible" behind the one in front; only its visible region tells)."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def arrange(window: QMainWindow, docks: dict[str, QDockWidget], *, compact: bool = False) -> None:
    """Put the known docks where :func:`default_layout` says (docks it does not know stay where they are)."""
    window.setCorner(Qt.Corner.BottomLeftCorner, Area.LeftDockWidgetArea)
    window.setCorner(Qt.Corner.BottomRightCorner, Area.RightDockWidgetArea)
    for title, (area, tab_with) in default_layout(compact).items():
        dock = docks.get(title)
        if dock is None:
            continue
        dock.setFloating(False)
        if tab_with is not None and tab_with in docks:
            window.tabifyDockWidget(docks[tab_with], dock)
        else:
            window.addDockWidget(area, dock, Qt.Orientation.Vertical)
        dock.show()
    if "Draw" in docks:
        docks["Draw"].raise_()  # the pad is the first thing to try
    if compact and "Weights" in docks:
        docks["Weights"].raise_()
    resize_defaults(window, docks, compact=compact)


def resize_defaults(window: QMainWindow, docks: dict[str, QDockWidget], *, compact: bool = False) -> None:
    """Give the docks their default sizes (Qt ignores this before the window is first shown)."""
    _resize(window, docks, COMPACT_WIDTHS if compact else DEFAULT_WIDTHS, Qt.Orientation.Horizontal)
    _resize(window, docks, COMPACT_HEIGHTS if compact else DEFAULT_HEIGHTS, Qt.Orientation.Vertical)
    if not compact:
        _split_column(window, docks, *FIRST_IN_COLUMN)


def _split_column(window: QMainWindow, docks: dict[str, QDockWidget], first: str, rest: str) -> None:
    """Give dock ``first`` the height its panel needs and ``rest``, below it in the same column, the rest.

    Qt's resizeDocks shares out a column's spare height in proportion to the sizes asked for, so
    the settings grew at 1920x1080 (to 724 px for 566 needed) while the curves under them
    stayed short; and at 1280x800 they got less than they needed and scrolled both ways.
    """
    top, bottom = docks.get(first), docks.get(rest)
    if top is None or bottom is None or window.dockWidgetArea(top) != window.dockWidgetArea(bottom):
        return
    if top.isFloating() or bottom.isFloating() or not (top.isVisible() and bottom.isVisible()):
        return
    window.layout().activate()  # the docks' geometry after the arrangement just made
    column = top.height() + bottom.height()
    need = _at_least_minimum(top, 0, Qt.Orientation.Vertical)
    window.resizeDocks([top, bottom], [need, max(column - need, 1)], Qt.Orientation.Vertical)


def _resize(window: QMainWindow, docks: dict[str, QDockWidget], sizes: dict[str, int], orientation) -> None:
    titles = [t for t in sizes if t in docks]
    if titles:
        window.resizeDocks([docks[t] for t in titles], [_at_least_minimum(docks[t], sizes[t], orientation)
                                                        for t in titles], orientation)


def _at_least_minimum(dock: QDockWidget, size: int, orientation) -> int:
    """``size``, or more when the dock's panel needs more: a default must not make a panel scroll."""
    least = panel_of(dock).minimumSizeHint()
    title = dock.sizeHint().height() - dock.widget().sizeHint().height() if orientation == Qt.Orientation.Vertical else 0
    need = least.height() + max(title, 0) if orientation == Qt.Orientation.Vertical else least.width()
    return max(size, need)
