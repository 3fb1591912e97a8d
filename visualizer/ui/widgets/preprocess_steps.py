"""Image tiles for the drawing pad: the preprocessing steps side by side, and the saliency overlay."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from visualizer.ui.widgets.colormaps import diverging_colormap, mix

STEP_CAPTIONS = ("canvas", "crop", "fit 20\N{MULTIPLICATION SIGN}20", "center")
STEP_TIPS = (
    "The canvas; the outline is the ink's bounding box.",
    "Cut out the bounding box of the ink.",
    "Scale it so the longer side is 20 pixels, keeping its shape (like MNIST).",
    "Shift it so its center of mass sits at the middle of 28\N{MULTIPLICATION SIGN}28: "
    "this is exactly what the network sees.",
)


def gray_to_qimage(img: np.ndarray) -> QImage:
    """A [0, 1] float image (ink = 1) as a white-on-black QImage, MNIST style (owns its pixels)."""
    u8 = np.ascontiguousarray(np.rint(np.clip(img, 0.0, 1.0) * 255).astype(np.uint8))
    return QImage(u8.data, u8.shape[1], u8.shape[0], u8.strides[0], QImage.Format.Format_Grayscale8).copy()


def rgba_to_qimage(rgba: np.ndarray) -> QImage:
    """An (h, w, 4) uint8 RGBA array as a QImage (owns its pixels)."""
    a = np.ascontiguousarray(rgba, dtype=np.uint8)
    return QImage(a.data, a.shape[1], a.shape[0], a.strides[0], QImage.Format.Format_RGBA8888).copy()


class ImageTile(QWidget):
    """One square image with a caption under it; small images are scaled without smoothing so
    the 28x28 pixels stay visible as pixels."""

    def __init__(self, caption: str = "", parent: QWidget | None = None, *, minimum: int = 56):
        super().__init__(parent)
        self._caption = caption
        self._image: QImage | None = None
        self._box: QRectF | None = None  # rectangle to outline, in image pixels
        self.setMinimumSize(minimum, minimum + self.fontMetrics().height() + 4)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_image(self, image: QImage | None, box: QRectF | None = None) -> None:
        self._image, self._box = image, box
        self.update()

    def set_caption(self, caption: str) -> None:
        self._caption = caption
        self.update()

    def has_image(self) -> bool:
        return self._image is not None

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width + self.fontMetrics().height() + 4

    def sizeHint(self) -> QSize:
        return QSize(96, 96 + self.fontMetrics().height() + 4)

    def image_rect(self) -> QRectF:
        line = self.fontMetrics().height() + 4
        side = max(1.0, min(self.width(), self.height() - line))
        return QRectF((self.width() - side) / 2, 0, side, side)

    def paintEvent(self, event) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        frame = mix(pal.color(QPalette.ColorRole.Window), text, 0.3)
        painter = QPainter(self)
        target = self.image_rect()
        if self._image is None:
            painter.fillRect(target, mix(pal.color(QPalette.ColorRole.Window), text, 0.06))
        else:
            painter.fillRect(target, Qt.GlobalColor.black)  # letterbox in the image's own black
            small = max(self._image.width(), self._image.height()) <= 64
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not small)
            painter.drawImage(_fit(target, self._image.width(), self._image.height()), self._image)
            if self._box is not None:
                r = _fit(target, self._image.width(), self._image.height())
                sx, sy = r.width() / self._image.width(), r.height() / self._image.height()
                painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 1.5))
                painter.drawRect(QRectF(r.x() + self._box.x() * sx, r.y() + self._box.y() * sy,
                                        self._box.width() * sx, self._box.height() * sy))
        painter.setPen(frame)
        painter.drawRect(target.adjusted(0, 0, -1, -1))
        painter.setPen(text)
        painter.drawText(QRectF(0, target.bottom() + 2, self.width(), self.height() - target.bottom() - 2),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         self.fontMetrics().elidedText(self._caption, Qt.TextElideMode.ElideRight, self.width()))
        painter.end()


def _fit(target: QRectF, w: int, h: int) -> QRectF:
    """The largest rectangle with aspect w:h centered in target."""
    s = min(target.width() / w, target.height() / h)
    return QRectF(target.center().x() - w * s / 2, target.center().y() - h * s / 2, w * s, h * s)


class PreprocessSteps(QWidget):
    """canvas (ink box outlined) -> crop -> fit in 20x20 -> centered by center of mass (the input)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.tiles = [ImageTile(f"{i + 1} {c}") for i, c in enumerate(STEP_CAPTIONS)]
        for tile, tip in zip(self.tiles, STEP_TIPS, strict=True):
            tile.setToolTip(tip)
            layout.addWidget(tile)

    def set_steps(self, pre) -> None:
        """Show a :class:`visualizer.core.preprocess.Preprocessed`, or clear the tiles with None."""
        if pre is None:
            for tile in self.tiles:
                tile.set_image(None)
            return
        top, left, bottom, right = pre.bbox
        self.tiles[0].set_image(gray_to_qimage(pre.raw), QRectF(left, top, right - left, bottom - top))
        self.tiles[1].set_image(gray_to_qimage(pre.cropped))
        self.tiles[2].set_image(gray_to_qimage(pre.fitted))
        self.tiles[3].set_image(gray_to_qimage(pre.centered))

    def set_direct(self, image28: np.ndarray) -> None:
        """A test digit is already MNIST-formatted: only the last tile, nothing to preprocess."""
        for tile in self.tiles[:-1]:
            tile.set_image(None)
        self.tiles[-1].set_image(gray_to_qimage(np.asarray(image28, np.float32).reshape(28, 28)))


def saliency_colors(palette: QPalette) -> tuple[QColor, QColor]:
    """(pushed down, pushed up) colors: the ends of the app's diverging weight colormap."""
    key = palette.cacheKey()
    if key not in _SALIENCY_COLORS:
        cmap = diverging_colormap(palette)
        _SALIENCY_COLORS.clear()  # one palette in use at a time; keep the cache tiny
        _SALIENCY_COLORS[key] = (cmap.map(0.0, mode="qcolor"), cmap.map(1.0, mode="qcolor"))
    return _SALIENCY_COLORS[key]


_SALIENCY_COLORS: dict[int, tuple[QColor, QColor]] = {}


def saliency_rgba(x: np.ndarray, saliency: np.ndarray, palette: QPalette) -> np.ndarray:
    """(28, 28, 4) uint8: the input faintly in grey, tinted red where a pixel pushed the class up
    and blue where it pushed it down (the app's diverging weight colors), strength by |value|."""
    x = np.clip(np.asarray(x, np.float32).reshape(28, 28), 0.0, 1.0)
    s = np.asarray(saliency, np.float32).reshape(28, 28)
    m = float(np.max(np.abs(s))) or 1.0
    neg, pos = (np.asarray(c.getRgb()[:3], np.float32) for c in saliency_colors(palette))
    base = np.asarray(QColor(palette.color(QPalette.ColorRole.Base)).getRgb()[:3], np.float32)
    ink = np.asarray(QColor(palette.color(QPalette.ColorRole.Text)).getRgb()[:3], np.float32)
    grey = base + (ink - base) * (0.3 * x)[..., None]
    # sqrt so the mid-strength pixels are visible, not only the two strongest.
    weight = np.sqrt(np.clip(np.abs(s) / m, 0.0, 1.0))[..., None]
    tint = np.where((s >= 0)[..., None], pos, neg)
    rgb = grey * (1 - weight) + tint * weight
    out = np.empty((28, 28, 4), np.uint8)
    out[..., :3] = np.rint(np.clip(rgb, 0, 255))
    out[..., 3] = 255
    return out
