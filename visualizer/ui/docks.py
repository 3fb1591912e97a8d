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
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

# Saved window states carry this number; a state saved by a version with other docks is ignored
# (QMainWindow.restoreState fails on a different version) and the default layout is used.
LAYOUT_VERSION = 4

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
# Default widths and heights in pixels; the network view takes whatever is left.
DEFAULT_WIDTHS = {"Training": 260, "Draw": 430}
DEFAULT_HEIGHTS = {"Weights": 250, "Training": 440, "Curves": 400}


def dock_name(title: str) -> str:
    """The objectName saveState() remembers a dock by ("Test set" -> "dock_test_set")."""
    return "dock_" + re.sub(r"\W+", "_", title.lower()).strip("_")


def make_dock(window: QMainWindow, widget: QWidget, title: str) -> QDockWidget:
    """A movable, floatable, closable dock around ``widget`` (not yet placed in the window)."""
    dock = QDockWidget(title, window)
    dock.setObjectName(dock_name(title))
    dock.setWidget(widget)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    toggle = dock.toggleViewAction()
    toggle.setToolTip(f"Show or hide the {title} panel")
    return dock


def arrange(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """Put the known docks where DEFAULT_LAYOUT says (docks it does not know stay where they are)."""
    window.setCorner(Qt.Corner.BottomLeftCorner, Area.LeftDockWidgetArea)
    window.setCorner(Qt.Corner.BottomRightCorner, Area.RightDockWidgetArea)
    for title, (area, tab_with) in DEFAULT_LAYOUT.items():
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
    resize_defaults(window, docks)


def resize_defaults(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """Give the docks their default sizes (Qt ignores this before the window is first shown)."""
    _resize(window, docks, DEFAULT_WIDTHS, Qt.Orientation.Horizontal)
    _resize(window, docks, DEFAULT_HEIGHTS, Qt.Orientation.Vertical)


def _resize(window: QMainWindow, docks: dict[str, QDockWidget], sizes: dict[str, int], orientation) -> None:
    titles = [t for t in sizes if t in docks]
    if titles:
        window.resizeDocks([docks[t] for t in titles], [sizes[t] for t in titles], orientation)
