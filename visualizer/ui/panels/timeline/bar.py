"""TimelineBar: the run from batch 0 to now — epoch ticks, a loss trace, the cursor — with replay controls."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSizePolicy, QStyle, QToolButton, QWidget

from visualizer.session.moments import PACES, pace_text
from visualizer.ui.common.colormaps import mix
from visualizer.ui.common.labels import hold_size

# What the empty strip says, longest first: the first that fits is drawn (presenter type is large).
EMPTY_HINTS = ("Press Start: every batch is recorded here", "Every batch is recorded here", "Recorded here")
WIDEST_MOMENT = "batch 888,888 · epoch 888.8 · earlier"  # the longest moment text the status holds
TRACE_POINTS = 600  # the loss trace is drawn with at most this many points, whatever the run's length
REPLAY_PACES = tuple(p for p in PACES if p is not None)


class _Strip(QWidget):
    """The painted strip: recorded range, epoch ticks, loss trace, cursor. Click or drag to move the cursor."""

    clicked = Signal(int)  # a step

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.first = self.last = 0
        self.epoch_ends = np.zeros(0, np.int64)
        self.trace = (np.zeros(0), np.zeros(0))  # (steps, loss)
        self.cursor: int | None = None  # None: live (the newest moment)
        self.version = 0  # bumped by every new recording range, ticks or trace
        # (key, picture) of everything but the cursor: a drag or a replay repaints only the cursor line
        self._background: tuple[tuple, QPixmap] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(False)
        self.setToolTip("The run so far: click or drag to look at any moment; the views all follow")
        self._fit()

    def _fit(self) -> None:
        # 34-38 px at 9 pt; taller with the font (presenter mode), so the trace keeps its room
        # above the epoch numbers.
        line = self.fontMetrics().height()
        self.setMinimumSize(160, max(34, int(line * 2.2)))
        self.updateGeometry()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    def sizeHint(self) -> QSize:
        return QSize(600, max(38, int(self.fontMetrics().height() * 2.5)))

    def empty_hint(self) -> str:
        """What the strip says before anything is recorded: the longest of EMPTY_HINTS that fits."""
        fm, room = self.fontMetrics(), self.width() - 10
        return next((h for h in EMPTY_HINTS if fm.horizontalAdvance(h) <= room), EMPTY_HINTS[-1])

    def _label_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() * 0.8, 6.0))
        return font

    def _span(self) -> tuple[float, float]:
        return 6.0, max(float(self.width()) - 12.0, 1.0)

    def x_of(self, step: float) -> float:
        left, width = self._span()
        span = max(self.last - self.first, 1)
        return left + width * (float(step) - self.first) / span

    def step_at(self, x: float) -> int:
        left, width = self._span()
        span = max(self.last - self.first, 1)
        return int(round(self.first + span * min(max((x - left) / width, 0.0), 1.0)))

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.last > self.first:
            self.clicked.emit(self.step_at(event.position().x()))

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton and self.last > self.first:
            self.clicked.emit(self.step_at(event.position().x()))

    def paintEvent(self, event) -> None:
        pal = self.palette()
        key = (self.version, self.size().toTuple(),
               self.devicePixelRatioF(), pal.cacheKey())
        if self._background is None or self._background[0] != key:
            ratio = self.devicePixelRatioF()
            picture = QPixmap(self.size() * ratio)
            picture.setDevicePixelRatio(ratio)
            picture.fill(pal.color(QPalette.ColorRole.Base))
            self._paint_background(picture, pal)
            self._background = (key, picture)
        p = QPainter(self)
        p.drawPixmap(0, 0, self._background[1])
        if self.last > self.first:
            at = self.last if self.cursor is None else self.cursor
            x = self.x_of(at)
            p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2.5 if self.cursor is not None else 1.5))
            p.drawLine(QPointF(x, 1.0), QPointF(x, self.height() - 1.0))
        p.end()

    def _paint_background(self, device: QPixmap, pal: QPalette) -> None:
        """The recorded range, loss trace and epoch ticks (everything but the cursor) into ``device``."""
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        accent = pal.color(QPalette.ColorRole.Highlight)
        p = QPainter(device)
        p.setFont(self.font())
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.fillRect(r, base)
        p.setPen(QPen(mix(base, text, 0.35), 1))
        p.drawRect(r)
        if self.last <= self.first:
            p.setPen(mix(base, text, 0.6))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, self.empty_hint())
            p.end()
            return
        p.setFont(self._label_font())
        fm = p.fontMetrics()
        top, bottom = 4.0, self.height() - fm.ascent() - 4.0  # the epoch numbers below the trace
        steps, loss = self.trace
        if steps.size > 1:
            finite = np.isfinite(loss)
            if finite.any():
                # Percentiles, not extremes: one odd batch must not flatten the whole trace.
                lo, hi = (float(v) for v in np.percentile(loss[finite], (2, 98)))
                scale = (bottom - top) / (hi - lo) if hi > lo else 0.0
                left, width = self._span()
                xs = left + width * (steps[finite] - self.first) / max(self.last - self.first, 1)
                ys = bottom - (np.clip(loss[finite], lo, hi) - lo) * scale
                path = pg.arrayToQPath(xs, ys)  # in bulk: it is redrawn as the recording grows
                p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
                p.setPen(QPen(mix(base, accent, 0.65), 1.2))
                p.drawPath(path)
                p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(QPen(mix(base, text, 0.45), 1))
        labelled_right = -1e9
        for i, s in enumerate(self.epoch_ends):
            x = self.x_of(s)
            p.drawLine(QPointF(x, top), QPointF(x, self.height() - 2.0))
            label = str(i + 1)
            w = fm.horizontalAdvance(label)
            if x - w - 2 > labelled_right:  # skip labels that would overlap (long runs)
                p.drawText(QPointF(x - w - 2, self.height() - 3.0 - fm.descent()), label)
                labelled_right = x
        p.end()


class TimelineBar(QWidget):
    """The strip across the window: the recording, the cursor, Live, replay and its speed.

    Keys (with the bar focused): Left/Right ±1 batch, Page Up/Down ±1 epoch, Home/End.

    Signals
    -------
    cursor_requested(int)
        A step to show (click, drag).
    batches_requested(int), epochs_requested(int)
        Move the cursor by batches (arrow keys) or epoch ends (Page keys).
    home_requested(), live_requested()
        The first moment; back to the running edge.
    play_toggled(bool), replay_pace_chosen(object), loop_toggled(bool)
        Replay from the cursor at the chosen pace, pause it; loop at the end.
    """

    cursor_requested = Signal(int)
    batches_requested = Signal(int)
    epochs_requested = Signal(int)
    home_requested = Signal()
    live_requested = Signal()
    play_toggled = Signal(bool)
    replay_pace_chosen = Signal(object)
    loop_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.strip = _Strip()
        style = self.style()
        self.home_button = _tool("", "Go to the first moment (Home)")
        self.home_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipBackward))
        self.play_button = _tool("", "Replay the recording from the cursor at the speed beside it")
        self._play_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPause)
        self.play_button.setIcon(self._play_icon)
        self.play_button.setCheckable(True)
        self.live_button = _tool("Live", "Back to the running edge: show the newest weights (End)")
        self.live_button.setCheckable(True)
        self.speed = QComboBox()
        for pace in REPLAY_PACES:
            self.speed.addItem(pace_text(pace), pace)
        self.speed.setCurrentIndex(REPLAY_PACES.index(10.0))
        self.speed.setToolTip("Replay speed, in recorded batches per second")
        self.loop_box = QCheckBox("Loop")
        self.loop_box.setToolTip("Start the replay again from the first moment when it reaches the end")
        self.status = QLabel()
        self.status.setToolTip("The moment every view shows")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.setSpacing(6)
        for w in (self.home_button, self.play_button, self.live_button):
            layout.addWidget(w)
        layout.addWidget(self.strip, 1)
        layout.addWidget(self.speed)
        layout.addWidget(self.loop_box)
        layout.addWidget(self.status)
        self._fit()
        self.strip.clicked.connect(self._on_clicked)
        self.home_button.clicked.connect(self.home_requested)
        self.live_button.clicked.connect(lambda: self.live_requested.emit())
        self.play_button.toggled.connect(self.play_toggled)
        self.speed.currentIndexChanged.connect(lambda i: self.replay_pace_chosen.emit(self.speed.itemData(i)))
        self.loop_box.toggled.connect(self.loop_toggled)
        self.set_recording(0, 0, np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        self.set_cursor(None, "")

    def _fit(self) -> None:
        """Icons and the moment text's fixed room follow the font (presenter mode enlarges it)."""
        line = self.fontMetrics().height()
        side = max(16, line)
        for b in (self.home_button, self.play_button):
            b.setIconSize(QSize(side, side))
        # The style's box stays 13 px whatever the font: in large type (presenter mode) it grows with it.
        box = int(line * 0.75)
        self.loop_box.setStyleSheet(f"QCheckBox {{ spacing: {line // 4}px; }} QCheckBox::indicator "
                                    f"{{ width: {box}px; height: {box}px; }}" if box > 16 else "")
        self.layout().setSpacing(max(6, line // 3))
        text = self.status.text()
        self.status.setText("batch 0")  # one line's height
        hold_size(self.status, WIDEST_MOMENT)  # it changes with every move
        self.status.setText(text)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    # -- what the window tells it --------------------------------------------------------------
    def set_recording(self, first: int, last: int, epoch_ends, steps, loss) -> None:
        """The recorded range, its epoch ends and every batch's loss (decimated here for drawing)."""
        s = self.strip
        s.first, s.last = int(first), int(last)
        s.epoch_ends = np.asarray(epoch_ends, dtype=np.int64)
        steps, loss = np.asarray(steps, dtype=np.float64), np.asarray(loss, dtype=np.float64)
        if steps.size > TRACE_POINTS:
            per = int(np.ceil(steps.size / TRACE_POINTS))
            n = steps.size // per * per
            steps = steps[:n].reshape(-1, per).mean(axis=1)
            with np.errstate(all="ignore"):
                loss = np.nanmean(loss[:n].reshape(-1, per), axis=1)
        s.trace = (steps, loss)
        s.version += 1
        enabled = s.last > s.first
        for w in (self.home_button, self.play_button, self.live_button, self.speed):
            w.setEnabled(enabled)
        s.update()

    def set_cursor(self, step: int | None, text: str) -> None:
        """Where the cursor is (None: live) and the status text ("batch 1,204 · epoch 2.6 · replay")."""
        if step == self.strip.cursor and text == self.status.text():
            return
        self.strip.cursor = step
        self.live_button.blockSignals(True)
        self.live_button.setChecked(step is None)
        self.live_button.blockSignals(False)
        if text != self.status.text():
            self.status.setText(text)
        self.strip.update()

    def set_playing(self, playing: bool) -> None:
        if playing == getattr(self, "_playing", None):
            return  # a new icon or tooltip re-lays out the toolbar: only when it changes
        self._playing = playing
        self.play_button.blockSignals(True)
        self.play_button.setChecked(playing)
        self.play_button.setIcon(self._pause_icon if playing else self._play_icon)
        self.play_button.setToolTip("Pause the replay" if playing else
                                    "Replay the recording from the cursor at the speed beside it")
        self.play_button.blockSignals(False)

    def replay_pace(self) -> float:
        return float(self.speed.currentData())

    def cursor(self) -> int | None:
        return self.strip.cursor

    # -- input ---------------------------------------------------------------------------------
    def _on_clicked(self, step: int) -> None:
        self.setFocus()
        self.cursor_requested.emit(step)

    def keyPressEvent(self, event) -> None:
        key = event.key()
        actions = {
            Qt.Key.Key_Left: lambda: self.batches_requested.emit(-1),
            Qt.Key.Key_Right: lambda: self.batches_requested.emit(+1),
            Qt.Key.Key_PageUp: lambda: self.epochs_requested.emit(-1),
            Qt.Key.Key_PageDown: lambda: self.epochs_requested.emit(+1),
            Qt.Key.Key_Home: self.home_requested.emit,
            Qt.Key.Key_End: self.live_requested.emit,
        }
        if key in actions:
            actions[key]()
            event.accept()
        else:
            super().keyPressEvent(event)


def _tool(text: str, tip: str) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setAutoRaise(False)
    return b


def moment_text(step: int | None, epoch_float: float | None, live: bool, replaying: bool) -> str:
    """'batch 1,204 · epoch 2.6 · replay' (what the status says about the moment shown)."""
    if step is None:
        return ""
    where = f"batch {step:,}" + (f" · epoch {epoch_float:.1f}" if epoch_float is not None else "")
    return where + (" · live" if live else " · replay" if replaying else " · earlier")

