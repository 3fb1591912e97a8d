"""Help ▸ "What am I looking at?": a tour of the window, one part at a time, framed with a caption.

The parts are the network view, every dock that is open (a dock behind another's tab is brought
to the front; a closed one is skipped) and the timeline bar when shown, in the order of
:data:`visualizer.session.explanations.TOUR_ORDER`. The words are the panels' "?" texts.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QPalette, QPen
from PySide6.QtWidgets import QDockWidget, QFrame, QHBoxLayout, QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget

from visualizer.session.explanations import NETWORK, TIMELINE, tour_steps
from visualizer.ui.help import explanation_for, explanation_html

FRAME_WIDTH = 4  # pixels of the coloured frame round the part explained
CAPTION_WIDTH_EM = 30  # the caption's width in "M"s (at most the window's width less a margin)


class _Highlight(QWidget):
    """Covers the window; dims everything but one rectangle, which gets a coloured frame. Clicks pass through."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.target = QRect()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        shade = QColor(0, 0, 0, 70)
        outside = self.rect()
        if self.target.isValid():
            # Four bands round the target, so the part itself keeps its real colours.
            t = self.target
            p.fillRect(QRect(0, 0, outside.width(), t.top()), shade)
            p.fillRect(QRect(0, t.bottom() + 1, outside.width(), outside.height() - t.bottom() - 1), shade)
            p.fillRect(QRect(0, t.top(), t.left(), t.height()), shade)
            p.fillRect(QRect(t.right() + 1, t.top(), outside.width() - t.right() - 1, t.height()), shade)
            pen = QPen(self.palette().color(QPalette.ColorRole.Highlight), FRAME_WIDTH)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            p.setPen(pen)
            half = FRAME_WIDTH // 2
            p.drawRect(t.adjusted(half, half, -half, -half))
        else:
            p.fillRect(outside, shade)
        p.end()


class _Caption(QFrame):
    """The caption box: the explanation, "3 of 8", and Back / Next / Done."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("tour_caption")
        self.setFrameShape(QFrame.Shape.Box)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.counter = QLabel()
        self.back = QPushButton("◀ Back")
        self.next = QPushButton("Next ▶")
        self.done = QPushButton("Done")
        self.next.setDefault(True)
        row = QHBoxLayout()
        row.addWidget(self.counter, 1)
        for b in (self.back, self.next, self.done):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(self.label)
        layout.addLayout(row)


class HelpTour(QObject):
    """The tour and its Help menu entry (``window.menus["help"]``); start it with :meth:`start`.

    Parameters
    ----------
    window
        The MainWindow: its ``network_view``, ``docks``-made QDockWidgets, ``timeline_toolbar``.
    """

    step_changed = Signal(str)  # the title of the part now explained
    finished = Signal()

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self._window = window
        self.action = QAction("&What am I looking at?", window)
        self.action.setShortcut(QKeySequence("F1"))
        self.action.setToolTip("A tour of the window: each panel in turn, with what it shows (F1)")
        self.action.triggered.connect(self.start)
        window.addAction(self.action)
        self._highlight: _Highlight | None = None
        self._caption: _Caption | None = None
        self._steps: list[tuple[str, QWidget]] = []
        self._index = -1
        # Placed again once a raised tab or a resized window has been laid out (bursts collapse).
        self._later = QTimer(self, singleShot=True, interval=0)
        self._later.timeout.connect(self._place)
        self._add_menu_entry()

    def _add_menu_entry(self) -> None:
        menu = self._window.menus["help"]
        first = menu.actions()[0] if menu.actions() else None
        menu.insertAction(first, self.action)
        if first is not None:
            menu.insertSeparator(first)

    # -- what there is to see -----------------------------------------------------------------
    def parts(self) -> list[tuple[str, QWidget]]:
        """(title, widget) of every part shown now, in the tour's order."""
        w = self._window
        shown: dict[str, QWidget] = {NETWORK: w.network_view}
        for dock in w.findChildren(QDockWidget):
            if dock.toggleViewAction().isChecked():  # open (perhaps behind another dock's tab)
                shown[dock.windowTitle()] = dock
        bar = getattr(w, "timeline_toolbar", None)
        if bar is not None and bar.isVisible():
            shown[TIMELINE] = bar
        return [(e.title, shown[e.title]) for e in tour_steps(shown, self._network())]

    def _network(self):
        """The Network the window shows (None before there is one): the network view's caption
        says what its outputs do."""
        session = getattr(self._window, "session", None)
        return None if session is None else session.network

    # -- stepping -------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self._index >= 0

    def current(self) -> str | None:
        """The title of the part explained now (None when the tour is not running)."""
        return self._steps[self._index][0] if self.active else None

    def start(self) -> None:
        self._steps = self.parts()
        if self._highlight is None:
            self._build()
        self._window.installEventFilter(self)
        self._highlight.show()
        self._caption.show()
        self._go(0)

    def next(self) -> None:
        if self._index + 1 < len(self._steps):
            self._go(self._index + 1)
        else:
            self.stop()

    def back(self) -> None:
        if self._index > 0:
            self._go(self._index - 1)

    def stop(self) -> None:
        if not self.active:
            return
        self._index = -1
        self._window.removeEventFilter(self)
        self._highlight.hide()
        self._caption.hide()
        self.finished.emit()

    def caption_text(self) -> str:
        """The caption shown now, as plain text (tests)."""
        return self._caption.label.text() if self._caption is not None and self.active else ""

    def _build(self) -> None:
        self._highlight = _Highlight(self._window)
        self._caption = _Caption(self._window)
        self._caption.back.clicked.connect(self.back)
        self._caption.next.clicked.connect(self.next)
        self._caption.done.clicked.connect(self.stop)

    def _go(self, index: int) -> None:
        self._index = index
        title, widget = self._steps[index]
        if isinstance(widget, QDockWidget):
            widget.show()
            widget.raise_()  # to the front of its tab group
        c = self._caption
        c.label.setText(explanation_html(explanation_for(title, self._network())))
        c.counter.setText(f"{index + 1} of {len(self._steps)}")
        c.back.setEnabled(index > 0)
        last = index == len(self._steps) - 1
        c.next.setEnabled(not last)
        c.next.setDefault(not last)
        c.done.setDefault(last)
        self._place()
        self._later.start()
        self.step_changed.emit(title)

    def target_rect(self) -> QRect:
        """Where the part explained now is, in the window's coordinates (empty for a floating dock)."""
        if not self.active:
            return QRect()
        widget = self._steps[self._index][1]
        if widget.window() is not self._window or not widget.isVisible():
            return QRect()
        return QRect(widget.mapTo(self._window, QPoint(0, 0)), widget.size())

    def _place(self) -> None:
        if not self.active:
            return
        w = self._window
        target = self.target_rect()
        self._highlight.setGeometry(w.rect())
        self._highlight.target = target
        self._highlight.raise_()
        self._highlight.update()
        c = self._caption
        width = min(c.fontMetrics().horizontalAdvance("M") * CAPTION_WIDTH_EM, w.width() - 24)
        c.setFixedWidth(width)
        c.adjustSize()
        c.setFixedHeight(c.heightForWidth(width) if c.hasHeightForWidth() else c.sizeHint().height())
        c.move(*self._caption_position(target, c.width(), c.height()))
        c.raise_()

    def _caption_position(self, target: QRect, width: int, height: int) -> tuple[int, int]:
        """Beside the part where there is room (right, below, above, left), so it hides none of it;
        else inside its lower edge. Always on the window."""
        area = self._window.rect().adjusted(8, 8, -8, -8)
        if not target.isValid():
            return area.center().x() - width // 2, area.center().y() - height // 2
        gap = 8
        top = max(area.top(), min(target.top(), area.bottom() - height))
        middle = max(area.left(), min(target.center().x() - width // 2, area.right() - width))
        if area.right() - target.right() - gap >= width:
            return target.right() + gap, top
        if area.bottom() - target.bottom() - gap >= height:
            return middle, target.bottom() + gap
        if target.top() - gap - area.top() >= height:
            return middle, target.top() - gap - height
        if target.left() - gap - area.left() >= width:
            return target.left() - gap - width, top
        return middle, max(area.top(), min(target.bottom() - height - 16, area.bottom() - height))

    def eventFilter(self, obj, event) -> bool:
        if obj is self._window and event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self._later.start()
        return super().eventFilter(obj, event)
