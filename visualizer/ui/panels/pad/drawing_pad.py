"""DrawingPad: a canvas you draw a digit on with mouse, pen or finger; strokes are undoable polylines."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

CANVAS_SIZE = 280  # logical pixels of the backing store (10x MNIST's 28)
# A digit drawn across ~3/4 of the canvas is fitted into 20x20 by preprocessing (about 0.1x), so a
# 24 px brush becomes ~2.4 px: the stroke width of real MNIST digits.
BRUSH_WIDTH = 24.0
EMIT_INTERVAL_MS = 16  # at most ~60 canvas_changed per second while a stroke is being drawn
_BLANK_SHEET = object()  # source tag of the sheet a stroke starts on over a reference image
CLEARS_KEPT = 20  # cleared canvases Undo can bring back (each a short list of strokes)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm")


@dataclass
class Stroke:
    """One pen-down..pen-up polyline in canvas coordinates, with a width per point (pen pressure)."""

    points: list[tuple[float, float]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)


@dataclass
class ImageLayer:
    """An image that replaced the canvas (a loaded file or a test digit); ``source`` is the caller's tag."""

    ink: np.ndarray  # (CANVAS_SIZE, CANVAS_SIZE) uint8, ink=255
    source: object = None
    cleared_by_drawing: bool = False  # a stroke begun on it starts on a blank sheet instead


class DrawingPad(QWidget):
    """A square canvas drawn in white ink on black, like MNIST.

    Every stroke segment is composited with "lighten" (per-pixel max), so replaying the stored
    strokes reproduces the canvas bit for bit: that is how Undo restores the previous canvas.

    Signals
    -------
    canvas_changed
        The ink changed: throttled to ~60 Hz while drawing, then once more at the end of the
        stroke, and once after clear / undo / set_image.
    file_dropped(str)
        An image file was dropped on the canvas; the panel decides what to do with it.
    """

    canvas_changed = Signal()
    file_dropped = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, size: int = CANVAS_SIZE, brush_width: float = BRUSH_WIDTH):
        super().__init__(parent)
        self._size = size
        self._brush = brush_width * size / CANVAS_SIZE
        self._image = QImage(size, size, QImage.Format.Format_RGB32)
        self._image.fill(Qt.GlobalColor.black)
        self._items: list[Stroke | ImageLayer] = []  # undo history, oldest first
        self._cleared: list[list[Stroke | ImageLayer]] = []  # histories Clear put away, newest last
        self._current: Stroke | None = None
        self._emit_timer = QTimer(self, singleShot=True, interval=EMIT_INTERVAL_MS)
        self._emit_timer.timeout.connect(self.canvas_changed.emit)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(140, 140)
        self.setToolTip("Draw a digit (0-9). Ctrl+Z undoes the last stroke, Delete clears (Ctrl+Z brings it back).\n"
                        "You can also drop an image file here.")

    # ---- public API ---------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(self._size, self._size)

    def canvas_array(self) -> np.ndarray:
        """The canvas as a 2-D float32 array in [0, 1], ink = 1 (a copy)."""
        return self._ink_uint8().astype(np.float32) / 255.0

    def is_empty(self) -> bool:
        """True when nothing is drawn (and no image is loaded)."""
        return not self._items and self._current is None

    @property
    def strokes(self) -> list[Stroke]:
        """Strokes drawn since the last image layer (or clear), oldest first, including one in progress."""
        out: list[Stroke] = []
        for item in self._items:
            out = [] if isinstance(item, ImageLayer) else [*out, item]
        return out + ([self._current] if self._current is not None else [])

    def pristine_source(self) -> object:
        """The ``source`` tag of the image layer on top when nothing was drawn over it, else None."""
        if self._current is None and self._items and isinstance(self._items[-1], ImageLayer):
            return self._items[-1].source
        return None

    def clear(self) -> None:
        """Remove everything, undoably: once the strokes drawn since are undone, Undo brings the
        cleared drawing back (the last ``CLEARS_KEPT`` clears)."""
        if self.is_empty():
            return
        self._finish_stroke(emit=False)
        self._cleared = [*self._cleared[-(CLEARS_KEPT - 1):], self._items]
        self._items = []
        self._redraw()
        self.canvas_changed.emit()

    def can_undo(self) -> bool:
        """True when Undo would change the canvas (a stroke, an image, or a cleared drawing)."""
        return bool(self._items or self._cleared or self._current is not None)

    def undo(self) -> None:
        """Remove the last stroke (or loaded image) and restore the canvas as it was before it;
        on an empty canvas, bring back what Clear removed."""
        self._finish_stroke(emit=False)
        if not self._items:
            if not self._cleared:
                return
            self._items = self._cleared.pop()
            self._redraw()
            self.canvas_changed.emit()
            return
        self._items.pop()
        if self._items and isinstance(self._items[-1], ImageLayer) and self._items[-1].source is _BLANK_SHEET:
            self._items.pop()  # the sheet that replaced a reference image goes with its first stroke
        self._redraw()
        self.canvas_changed.emit()

    def set_image(self, ink: np.ndarray, source: object = None, *, cleared_by_drawing: bool = False) -> None:
        """Show a 2-D image (values in [0, 1], ink = 1) stretched over the whole canvas, undoably.

        ``source`` is returned by :meth:`pristine_source` until something is drawn over the image.
        With ``cleared_by_drawing`` (a test digit shown for reference), the first stroke replaces
        the image instead of adding to it; Undo brings the image back.
        """
        self._finish_stroke(emit=False)
        self._items.append(ImageLayer(_resample_to(ink, self._size), source, cleared_by_drawing))
        self._redraw()
        self.canvas_changed.emit()

    def map_from_canvas(self, x: float, y: float) -> QPointF:
        """Widget position of canvas pixel (x, y): where to put the mouse to draw there."""
        r = self._target_rect()
        s = r.width() / self._size
        return QPointF(r.x() + x * s, r.y() + y * s)

    # ---- drawing ------------------------------------------------------------------------------

    def _ink_uint8(self) -> np.ndarray:
        ptr = self._image.constBits()
        arr = np.frombuffer(ptr, np.uint8).reshape(self._size, self._image.bytesPerLine() // 4, 4)
        return arr[:, : self._size, 1].copy()  # RGB32 is BGRA in memory; grey ink so any channel

    def _target_rect(self) -> QRectF:
        """Where the canvas is painted inside the widget: the largest centered square."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _to_canvas(self, pos: QPointF) -> tuple[float, float]:
        r = self._target_rect()
        scale = self._size / max(r.width(), 1.0)
        return ((pos.x() - r.x()) * scale, (pos.y() - r.y()) * scale)

    def _to_widget(self, rect: QRectF) -> QRect:
        r = self._target_rect()
        s = r.width() / self._size
        return QRectF(r.x() + rect.x() * s, r.y() + rect.y() * s, rect.width() * s, rect.height() * s
                      ).toAlignedRect().adjusted(-1, -1, 1, 1)

    def _paint_segment(self, painter: QPainter, p0, p1, width: float) -> QRectF:
        pen = QPen(QColor(255, 255, 255), width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.drawLine(QPointF(*p0), QPointF(*p1))
        half = width / 2 + 2
        return QRectF(min(p0[0], p1[0]) - half, min(p0[1], p1[1]) - half,
                      abs(p1[0] - p0[0]) + 2 * half, abs(p1[1] - p0[1]) + 2 * half)

    def _painter(self) -> QPainter:
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Lighten)
        return painter

    def _draw_stroke(self, painter: QPainter, stroke: Stroke, start: int = 0) -> QRectF:
        """Paint segments ``start``.. of a stroke (a lone point is a zero-length segment: a dot)."""
        pts, widths = stroke.points, stroke.widths
        dirty = QRectF()
        for i in range(max(start, 0), len(pts)):
            prev = pts[i - 1] if i > 0 else pts[0]
            dirty = dirty.united(self._paint_segment(painter, prev, pts[i], widths[i]))
        return dirty

    def _redraw(self) -> None:
        """Rebuild the canvas from the history: the last image layer, then the strokes after it."""
        self._image.fill(Qt.GlobalColor.black)
        start = 0
        for i, item in enumerate(self._items):
            if isinstance(item, ImageLayer):
                start = i
        items = self._items[start:]
        if items and isinstance(items[0], ImageLayer):
            ink = items[0].ink
            view = np.frombuffer(self._image.bits(), np.uint8).reshape(
                self._size, self._image.bytesPerLine() // 4, 4)
            view[:, : self._size, :3] = ink[:, :, None]
            items = items[1:]
        painter = self._painter()
        for stroke in items:
            self._draw_stroke(painter, stroke)
        painter.end()
        self.update()

    def _add_point(self, pos: QPointF, pressure: float | None = None) -> None:
        stroke = self._current
        if stroke is None:
            return
        x, y = self._to_canvas(pos)
        if stroke.points and abs(stroke.points[-1][0] - x) < 0.25 and abs(stroke.points[-1][1] - y) < 0.25:
            return  # sub-pixel jitter: nothing would change
        width = self._brush if pressure is None else self._brush * (0.4 + 0.9 * min(max(pressure, 0.0), 1.0))
        stroke.points.append((x, y))
        stroke.widths.append(width)
        painter = self._painter()
        dirty = self._draw_stroke(painter, stroke, len(stroke.points) - 1)
        painter.end()
        self.update(self._to_widget(dirty))
        if not self._emit_timer.isActive():
            self._emit_timer.start()

    def _begin_stroke(self, pos: QPointF, pressure: float | None = None) -> None:
        self._finish_stroke()
        top = self._items[-1] if self._items else None
        if isinstance(top, ImageLayer) and top.cleared_by_drawing:
            self._items.append(ImageLayer(np.zeros((self._size, self._size), np.uint8), _BLANK_SHEET))
            self._redraw()
        self._current = Stroke()
        self._add_point(pos, pressure)

    def _finish_stroke(self, emit: bool = True) -> None:
        stroke, self._current = self._current, None
        if stroke is None:
            return
        self._emit_timer.stop()
        if stroke.points:
            self._items.append(stroke)
        if emit:
            self.canvas_changed.emit()

    # ---- Qt event handlers --------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(event.rect(), self.palette().window())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(self._target_rect(), self._image)
        painter.end()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self._begin_stroke(event.position())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._current is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._add_point(event.position())
            event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._current is not None:
            self._add_point(event.position())
            self._finish_stroke()
            event.accept()

    def tabletEvent(self, event) -> None:
        # Accepting the tablet event stops Qt from also synthesizing a mouse event for it.
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._begin_stroke(event.position(), event.pressure())
        elif kind == QEvent.Type.TabletMove and self._current is not None:
            self._add_point(event.position(), event.pressure())
        elif kind == QEvent.Type.TabletRelease:
            self._finish_stroke()
        event.accept()

    def event(self, event) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd):
            points = event.points()
            if points:  # one finger draws; extra fingers are ignored
                pos = points[0].position()
                if kind == QEvent.Type.TouchBegin:
                    self._begin_stroke(pos)
                elif kind == QEvent.Type.TouchUpdate:
                    self._add_point(pos)
                else:
                    self._add_point(pos)
                    self._finish_stroke()
            event.accept()
            return True
        if kind == QEvent.Type.TouchCancel:
            self._finish_stroke()
            return True
        return super().event(event)

    def dragEnterEvent(self, event) -> None:
        if _dropped_image_path(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = _dropped_image_path(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.file_dropped.emit(path)


def _dropped_image_path(mime) -> str | None:
    for url in mime.urls() if mime.hasUrls() else ():
        if url.isLocalFile() and url.toLocalFile().lower().endswith(IMAGE_SUFFIXES):
            return url.toLocalFile()
    return None


def _resample_to(ink: np.ndarray, size: int) -> np.ndarray:
    """Fit a 2-D [0, 1] image into size x size uint8 (aspect kept, centered, smooth scaling via Qt)."""
    a = np.clip(np.asarray(ink, dtype=np.float32), 0.0, 1.0)
    if a.ndim != 2 or min(a.shape) < 1:
        raise ValueError(f"expected a 2-D image, got shape {a.shape}")
    u8 = np.ascontiguousarray(np.rint(a * 255).astype(np.uint8))
    src = QImage(u8.data, u8.shape[1], u8.shape[0], u8.strides[0], QImage.Format.Format_Grayscale8)
    scaled = src.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation)
    scaled = scaled.convertToFormat(QImage.Format.Format_Grayscale8)
    h, w = scaled.height(), scaled.width()
    pixels = np.frombuffer(scaled.constBits(), np.uint8).reshape(h, scaled.bytesPerLine())[:, :w]
    out = np.zeros((size, size), np.uint8)
    top, left = (size - h) // 2, (size - w) // 2
    out[top : top + h, left : left + w] = pixels
    return out
