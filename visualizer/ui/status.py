"""Status widgets: the status bar, training progress (epoch, batch, ETA, samples/s, UI frames/s) and a message banner."""

from __future__ import annotations

import time
from collections import deque

from PySide6 import QtGui
from PySide6.QtCore import QEvent, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QStatusBar,
    QStyle,
    QStyleOption,
    QToolButton,
    QWidget,
)

from visualizer.core.snapshot import SnapshotEvent
from visualizer.session.moments import pace_text
from visualizer.ui.common.labels import hold_size

PACE_WINDOW_S = 2.0  # seconds of snapshots the batch rate of a paced run is measured over
KEEPING_UP = 0.9  # a paced run at this fraction of its pace or more is shown at its pace


def format_duration(seconds: float | None) -> str:
    """'1:02:03', '4:05' or '–' for unknown."""
    if seconds is None or seconds != seconds or seconds < 0 or seconds == float("inf"):
        return "–"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class FrameCounter:
    """Frames drawn during the last second (the UI's own frame rate)."""

    def __init__(self, window_s: float = 1.0):
        self._window = window_s
        self._times: deque[float] = deque()

    def tick(self, now: float | None = None) -> None:
        self._times.append(time.perf_counter() if now is None else now)

    def fps(self, now: float | None = None) -> float:
        now = time.perf_counter() if now is None else now
        while self._times and now - self._times[0] > self._window:
            self._times.popleft()
        return len(self._times) / self._window


class ProgressPanel(QWidget):
    """Progress bar with epoch/batch text, ETA, training speed and the UI frame rate.

    The speed is the compute rate (images per second while computing) at full speed; a paced
    run shows the pace it follows ("100 batches/s (paced)"), or the batch rate it reaches when
    the network cannot keep up ("40 of 100 batches/s"). ``clock`` is for tests.
    """

    def __init__(self, parent: QWidget | None = None, *, clock=time.monotonic):
        super().__init__(parent)
        self._clock = clock
        self._pace: float | None = None
        self._paused = False
        self._steps: deque[tuple[float, int]] = deque()  # (time, step) of recent snapshots of a paced run
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setMinimumWidth(260)
        self.bar.setToolTip("Progress of the current run: epoch and batch within the epoch")
        self.eta = QLabel()
        self.eta.setToolTip("Estimated time left in this run")
        self.speed = QLabel()
        self.speed.setToolTip("Training speed, in images per second")
        self.fps = QLabel()
        self.fps.setToolTip("How many times per second the window redraws (limited by View ▸ Redraw rate)")
        # As wide as its fields, no wider: the room a status message gets is what is left of it.
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        for w in (self.bar, self.eta, self.speed, self.fps):
            layout.addWidget(w)
        for label in (self.eta, self.speed, self.fps):
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.clear()
        # They change at 10-30 Hz: a fixed size means no relayout each time.
        for label, widest in ((self.eta, "8,888,888 img/s"), (self.speed, "100 of 1,000 batches/s"),
                              (self.fps, "8,888,888 img/s")):
            hold_size(label, widest)

    def spare_fields(self) -> tuple[QLabel, ...]:
        """The fields a long status message may take the room of (the bar stays)."""
        return self.eta, self.speed, self.fps

    def clear(self) -> None:
        self.bar.setValue(0)
        self.bar.setFormat("Not training")
        self.eta.setText("ETA –")
        self.speed.setText("– img/s")
        self._steps.clear()

    def set_pace(self, pace: float | None) -> None:
        """The pace training follows (batches per second; None: full speed)."""
        if pace == self._pace:
            return
        self._pace = pace
        if self._steps:  # a run is going: say the new pace at once, measure it from now
            self.speed.setText("– img/s" if pace is None else f"{pace_text(pace)} (paced)")
        self._steps.clear()

    def set_paused(self, paused: bool) -> None:
        """The run is paused (the speed field says so, not the rate before the pause) or goes on."""
        paused = bool(paused)
        if paused == self._paused:
            return
        self._paused = paused
        self._steps.clear()  # a paced rate is measured afresh after the pause, not across it
        if paused:
            self.speed.setText("Paused")
            self.speed.setToolTip("Training is paused: Space resumes it, S trains one batch")

    def set_preparing(self) -> None:
        """A run was started and its first batch is still being prepared (model built, graph traced)."""
        self.bar.setValue(0)
        self.bar.setFormat("Preparing the training graph…")

    def set_snapshot(self, snap) -> None:
        """Show a TrainingSnapshot's position in its run and its speed metrics."""
        self._set_value(int(round(snap.progress * 1000)))
        epoch = min(snap.epoch + 1, snap.epochs)
        text = f"Epoch {epoch}/{snap.epochs} · batch {snap.batch:,}/{snap.batches_per_epoch:,}"
        ended = snap.event is SnapshotEvent.TRAIN_END
        if ended and snap.epoch >= snap.epochs:
            text = f"Done: {snap.epochs} epoch{'s' if snap.epochs != 1 else ''}"
        elif snap.event is SnapshotEvent.START:  # the graph is being traced: the first batch is coming
            text = f"Epoch {epoch}/{snap.epochs} · preparing the first batch…"
        elif ended:  # stopped part-way: say where, not "Done" on a half-full bar
            text = f"Stopped at epoch {epoch}/{snap.epochs} · batch {snap.batch:,}/{snap.batches_per_epoch:,}"
        self.bar.setFormat(text)
        m = snap.metrics or {}
        eta = m.get("eta_seconds")
        self.eta.setText(f"ETA {format_duration(0 if ended else eta)}")
        self._show_speed(snap, m.get("samples_per_second"))

    def _set_value(self, value: int) -> None:
        # QProgressBar.setValue repaints at once, outside the frame's paint: 13 ms per call on
        # the window bench (the status bar repainted and flushed on its own, ten times a second
        # while training). With updates off it only schedules a paint, done with the others.
        self.bar.setUpdatesEnabled(False)
        try:
            self.bar.setValue(value)
        finally:
            self.bar.setUpdatesEnabled(True)  # schedules the bar's paint (QWidget.update)

    def _show_speed(self, snap, sps: float | None) -> None:
        if self._paused:
            return
        computes = f"{sps:,.0f} img/s" if sps else "– img/s"
        if self._pace is None:
            self.speed.setText(computes)
            self.speed.setToolTip("Training speed, in images per second")
            return
        now = self._clock()
        steps = self._steps
        if steps and snap.step < steps[-1][1]:
            steps.clear()  # a new run
        steps.append((now, snap.step))
        while len(steps) > 2 and now - steps[0][0] > PACE_WINDOW_S:
            steps.popleft()
        (t0, s0), (t1, s1) = steps[0], steps[-1]
        reached = (s1 - s0) / (t1 - t0) if t1 - t0 >= PACE_WINDOW_S / 2 else None
        pace = pace_text(self._pace)
        if reached is None or reached >= KEEPING_UP * self._pace or snap.event is not SnapshotEvent.BATCH:
            self.speed.setText(f"{pace} (paced)")
        else:
            self.speed.setText(f"{reached:,.0f} of {pace}")
        self.speed.setToolTip(f"Training follows the pace chosen in the Training panel ({pace}); "
                              f"it computes {computes} when it runs")

    def set_fps(self, fps: float) -> None:
        self.fps.setText(f"{fps:.0f} fps")


class ElidedLabel(QLabel):
    """A one-line label (the status bar's dataset line) whose plain text is elided to its width,
    whole in the tooltip, instead of cut off where the progress bar begins. Rich text is shown
    as it is (its warning comes first)."""

    def __init__(self, tip: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._full = ""
        self._tip = tip
        self.setToolTip(tip)

    def text(self) -> str:  # Qt's name: the whole text, as set
        return self._full

    def setText(self, text: str) -> None:  # Qt's name
        self._full = text
        self._fit()

    def _fit(self) -> None:
        text = self._full
        if not QtGui.Qt.mightBeRichText(text):
            text = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(self.contentsRect().width(), 0))
        if text != super().text():
            super().setText(text)
        tip = self._tip if text == self._full or not self._full else f"{self._full}\n\n{self._tip}"
        if tip != self.toolTip():
            self.setToolTip(tip)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()


class StatusBar(QStatusBar):
    """The window's status bar: a message too long for its room takes that of the spare fields
    (``set_spare``: the ETA, speed and frame rate) rather than be cut; one still too long is
    elided, whole in the tooltip. ``currentMessage()`` is always the whole message."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._normal: list[QWidget] = []
        self._permanent: list[QWidget] = []
        self._spare: list[QWidget] = []
        # Fitting hides fields and re-lays the bar out, so it never runs inside a layout pass: a
        # permanent widget's Move/Resize comes from within QBoxLayout::setGeometry (a reformat()
        # there once freed the layout being iterated: a segmentation fault when the window was
        # resized). Every trigger asks for a fit on the next pass of the event loop instead.
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self._fit)
        self.messageChanged.connect(lambda _text: self._refit.start())

    def addWidget(self, widget: QWidget, stretch: int = 0) -> None:  # Qt's name
        super().addWidget(widget, stretch)
        self._normal.append(widget)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # Qt's name
        super().addPermanentWidget(widget, stretch)
        self._permanent.append(widget)
        widget.installEventFilter(self)  # moved by a new layout: the message's room changed

    def set_spare(self, widgets) -> None:
        """Fields (inside a permanent widget) that make way for a long message."""
        self._spare = list(widgets)
        self._refit.start()

    def spare_shown(self) -> bool:
        return not any(w.isHidden() for w in self._spare)

    def message_rect(self) -> QRect:
        """Where the message is drawn: Qt's own rectangle, left of the first permanent widget."""
        left, right = 6, self.width() - 12
        for w in self._permanent:
            if not w.isHidden():
                right = min(right, w.x() - 2)
                break
        return QRect(left, 0, max(right - left, 0), self.height())

    def shown_message(self) -> str:
        """The message as drawn: whole, or elided when even the spare fields' room is not enough."""
        message = self.currentMessage()
        return self.fontMetrics().elidedText(message, Qt.TextElideMode.ElideRight, self.message_rect().width())

    def _spare_width(self) -> int:
        total = 0
        for w in self._spare:
            layout = w.parentWidget().layout() if w.parentWidget() is not None else None
            # A held (fixed-size) field is as wide as its longest text, wider than its hint: with
            # the hint the room came out too big, and the fields went and came back on every fit.
            width = max(w.sizeHint().width(), w.minimumWidth())
            total += width + (layout.spacing() if layout is not None else 0)
        return total

    def _fit(self) -> None:
        # Only from the event loop (see __init__), and not while hidden (presenter mode): its
        # geometry is stale then; showing it fits it.
        if not self.isVisible():
            return
        message = self.currentMessage()
        room = self.message_rect().width()
        if not self.spare_shown():
            room -= self._spare_width()  # the room it would have with them shown
        fits = not message or self.fontMetrics().horizontalAdvance(message) <= room
        toggled = [w for w in self._spare if w.isHidden() == fits]
        for w in toggled:
            w.setVisible(fits)
        if toggled:
            self._relayout()
        shown = self.shown_message()
        tip = message if message and shown != message else ""
        if tip != self.toolTip():
            self.setToolTip(tip)
        self.update()

    def _relayout(self) -> None:
        """Lay the bar out again now that fields came or went: their panels first (a permanent
        widget's width follows its fields), then the bar's own rows. Not reformat(): it rebuilds the
        rows and re-adds every widget, which shows again the ones a message hid (the dataset line
        was drawn under the message)."""
        for w in self._permanent:
            if w.layout() is not None:
                w.layout().activate()
            w.updateGeometry()
        self.layout().invalidate()
        self.layout().activate()

    def eventFilter(self, obj, event) -> bool:
        if event.type() in (QEvent.Type.Move, QEvent.Type.Resize) and obj in self._permanent:
            self._refit.start()  # laid out again: judge the message against the room it really has
        return super().eventFilter(obj, event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._refit.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refit.start()
        # QStatusBar hides its normal widgets for a message only if they are visible then: one that
        # came while the bar was hidden (presenter mode) would be drawn over them once it is shown.
        if self.currentMessage():
            for w in self._normal:
                if w.isVisible():
                    w.hide()
                    # As Qt does: it comes back when the message ends.
                    w.setAttribute(Qt.WidgetAttribute.WA_WState_ExplicitShowHide, False)

    def paintEvent(self, event) -> None:
        message = self.currentMessage()
        shown = self.shown_message() if message else message
        if shown == message:
            super().paintEvent(event)
            return
        # What QStatusBar paints, with the message elided instead of cut off at the first field.
        p = QPainter(self)
        opt = QStyleOption()
        opt.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, opt, p, self)
        for w in self._permanent:
            if w.isVisible():
                frame = QStyleOption()
                frame.rect = w.geometry().adjusted(-2, -1, 2, 1)
                frame.palette = self.palette()
                self.style().drawPrimitive(QStyle.PrimitiveElement.PE_FrameStatusBarItem, frame, p, w)
        p.setPen(self.palette().windowText().color())
        flags = Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine
        p.drawText(self.message_rect(), flags, shown)
        p.end()


class Banner(QFrame):
    """A dismissable one-line message above the network view (warnings and errors that persist)."""

    dismissed = Signal()
    _LEVELS = {"info": "#2f6fd0", "warning": "#c98a00", "error": "#c0392b"}

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAutoFillBackground(True)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss this message")
        close.clicked.connect(self.dismiss)
        self._close = close
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.level = "info"
        self.hide()

    def show_message(self, text: str, level: str = "warning") -> None:
        self.level = level if level in self._LEVELS else "info"
        pal = self.palette()
        colour = QColor(self._LEVELS[self.level])
        pal.setColor(QPalette.ColorRole.Window, colour)
        pal.setColor(QPalette.ColorRole.WindowText, QColor("#ffffff"))
        pal.setColor(QPalette.ColorRole.ButtonText, QColor("#ffffff"))
        self.setPalette(pal)
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
