"""The "?" of every panel: a dock title bar with a help button, and the popup that explains the panel.

The words come from :mod:`visualizer.session.explanations`; the guided tour
(``ui/help_tour.py``) shows the same ones.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QSize, Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from visualizer.session.explanations import Explanation, explanation

POPUP_WIDTH_EM = 26  # the popup's width in lines of "M": a short paragraph, whatever the font


def explanation_html(e: Explanation) -> str:
    """The explanation as the popup and the tour show it: the title in bold, what it is, the text."""
    return f"<b>{e.title}</b> — {e.subject}.<p style='margin-top:4px'>{e.text}</p>"


def explanation_for(title: str, network=None) -> Explanation:
    """The explanation of a panel, or a generic one for a panel nnviz does not know; ``network``
    (the Network shown, or None) makes the network view's own text say what its outputs do."""
    return explanation(title, network) or Explanation(title, "a panel", f"The {title} panel.", ())


class HelpPopup(QFrame):
    """A small framed paragraph that closes on the next click anywhere (a Qt popup)."""

    def __init__(self, parent: QWidget):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.Box)
        self.setObjectName("help_popup")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.label)

    def show_text(self, html: str, at: QPoint, *, upward: bool = False) -> None:
        """Show ``html`` with its top-left corner at global point ``at`` (its bottom-left corner
        with ``upward``), kept on the screen."""
        self.label.setText(html)
        self.label.setFixedWidth(self.fontMetrics().horizontalAdvance("M") * POPUP_WIDTH_EM)
        self.adjustSize()
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        x, y = at.x(), at.y() - (self.height() if upward else 0)
        if screen is not None:
            x = max(screen.left(), min(x, screen.right() - self.width()))
            y = max(screen.top(), min(y, screen.bottom() - self.height()))
        self.move(x, y)
        self.show()
        if self.pos() != QPoint(x, y):
            self.move(x, y)  # a first show may add a guessed frame (Qt's offscreen platform does)


class HelpButton(QToolButton):
    """A small "?" that opens the explanation of the part titled ``title()`` under itself.

    Parameters
    ----------
    title
        The part's title, or a callable returning it (a dock's title can change).
    upward
        Open the popup above the "?" (for one at the bottom of the screen, like the network view's).
    network
        A callable returning the Network shown (or None): the network view's text then says what
        that network's outputs do (ten softmax outputs, or one "is it a 6?" neuron).
    """

    def __init__(self, title, parent: QWidget | None = None, *, upward: bool = False, network=None):
        super().__init__(parent)
        self._title = title if callable(title) else (lambda: title)
        self._upward = upward
        self._network = network if network is not None else (lambda: None)
        self.setObjectName("help_button")
        self.setText("?")
        self.setToolTip(f"What the {self._title()} panel shows")
        self.setAutoRaise(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bold = self.font()
        bold.setBold(True)
        self.setFont(bold)
        self.popup: HelpPopup | None = None  # made on first use
        self.clicked.connect(self.show_help)

    def explanation(self) -> Explanation:
        return explanation_for(self._title(), self._network())

    def show_help(self) -> HelpPopup:
        """Open the popup with the explanation under the "?" (above it when ``upward``)."""
        if self.popup is None:
            self.popup = HelpPopup(self)
        corner = self.mapToGlobal(QPoint(0, 0 if self._upward else self.height()))
        self.popup.show_text(explanation_html(self.explanation()), corner, upward=self._upward)
        return self.popup


class DockTitleBar(QWidget):
    """A dock's title bar: its title, a "?" that explains the panel, and the float and close buttons.

    Mouse presses on the title itself are left to the dock (QDockWidget moves and floats it), as Qt
    asks of a custom title bar.
    """

    def __init__(self, dock: QDockWidget):
        super().__init__(dock)
        self.title = QLabel(dock.windowTitle())
        self.help_button = HelpButton(dock.windowTitle, self)
        self.float_button = self._button(QStyle.StandardPixmap.SP_TitleBarNormalButton,
                                         "Float the panel in its own window, or dock it again")
        self.float_button.clicked.connect(lambda: dock.setFloating(not dock.isFloating()))
        self.close_button = self._button(QStyle.StandardPixmap.SP_TitleBarCloseButton,
                                         "Close the panel (View ▸ Panels shows it again)")
        self.close_button.clicked.connect(dock.close)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 2, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title, 1)
        for b in (self.help_button, self.float_button, self.close_button):
            layout.addWidget(b)
        dock.windowTitleChanged.connect(self.title.setText)
        dock.featuresChanged.connect(self._on_features)
        self._on_features(dock.features())
        self._fit_buttons()

    def _fit_buttons(self) -> None:
        # Square buttons one text line high: the bar is no taller than Qt's own (16 px at 9 pt),
        # which a 1024x700 window's docks need; they grow with the font (presenter mode).
        side = self.fontMetrics().height() + 2
        for b in (self.help_button, self.float_button, self.close_button):
            b.setFixedSize(side, side)
            b.setIconSize(QSize(side - 4, side - 4))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._fit_buttons()
        super().changeEvent(event)

    def _button(self, icon, tip: str) -> QToolButton:
        b = QToolButton(self)
        b.setIcon(self.style().standardIcon(icon))
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return b

    def _on_features(self, features) -> None:
        f = QDockWidget.DockWidgetFeature
        self.float_button.setVisible(bool(features & f.DockWidgetFloatable))
        self.close_button.setVisible(bool(features & f.DockWidgetClosable))

    def explanation(self) -> Explanation:
        return self.help_button.explanation()

    def show_help(self) -> HelpPopup:
        return self.help_button.show_help()


def install_title_bar(dock: QDockWidget) -> DockTitleBar:
    """Give ``dock`` the title bar with a "?" (its explanation follows the dock's title)."""
    bar = DockTitleBar(dock)
    dock.setTitleBarWidget(bar)
    return bar


def title_bar(dock: QDockWidget) -> DockTitleBar | None:
    """The dock's title bar with a "?" (None when it has Qt's own)."""
    bar = dock.titleBarWidget()
    return bar if isinstance(bar, DockTitleBar) else None
