"""QImage helpers and ImageTile: numpy images as Qt images, one captioned image tile (pad and test set)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from visualizer.ui.common.colormaps import diverging_colormap, lookup_table, mix


def gray_to_qimage(img: np.ndarray) -> QImage:
    """A [0, 1] float image (ink = 1) as a white-on-black QImage, MNIST style (owns its pixels)."""
    u8 = np.ascontiguousarray(np.rint(np.clip(img, 0.0, 1.0) * 255).astype(np.uint8))
    return QImage(u8.data, u8.shape[1], u8.shape[0], u8.strides[0], QImage.Format.Format_Grayscale8).copy()


def rgba_to_qimage(rgba: np.ndarray) -> QImage:
    """An (h, w, 4) uint8 RGBA array as a QImage (owns its pixels)."""
    a = np.ascontiguousarray(rgba, dtype=np.uint8)
    return QImage(a.data, a.shape[1], a.shape[0], a.strides[0], QImage.Format.Format_RGBA8888).copy()


def diverging_qimage(values: np.ndarray, palette) -> tuple[QImage, float]:
    """Signed values (weights, a perturbation) on the diverging blue-white-red scale, symmetric around 0;
    returns the image and the magnitude ``m`` its ends stand for (-m blue, +m red)."""
    lut = lookup_table(diverging_colormap(palette))
    m = max(float(np.abs(values).max()), 1e-12)
    idx = np.clip(np.rint((np.asarray(values) / m + 1) / 2 * (len(lut) - 1)), 0, len(lut) - 1).astype(np.intp)
    return rgba_to_qimage(lut[idx]), m


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

    # A square hint (height follows width) suits a row of tiles; a tile beside other widgets in
    # a short panel turns it off: Qt's box layouts then squeeze its neighbours below their minimum.
    square_hint = True

    def hasHeightForWidth(self) -> bool:
        return self.square_hint

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
        font = self.caption_font()
        painter.setFont(font)
        painter.drawText(QRectF(0, target.bottom() + 2, self.width(), self.height() - target.bottom() - 2),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         QFontMetrics(font).elidedText(self._caption, Qt.TextElideMode.ElideRight, self.width()))
        painter.end()

    def caption_font(self) -> QFont:
        """The widget's font, shrunk (to 75% at most) so the caption fits the tile's width."""
        font = QFont(self.font())
        size = font.pointSizeF()
        smallest = size * 0.75
        while size > smallest and QFontMetrics(font).horizontalAdvance(self._caption) > self.width():
            size -= 0.5
            font.setPointSizeF(size)
        return font

    def caption_elided(self) -> bool:
        """True when the caption does not fit even in the smaller font (it is drawn with "…")."""
        return QFontMetrics(self.caption_font()).horizontalAdvance(self._caption) > self.width()


def _fit(target: QRectF, w: int, h: int) -> QRectF:
    """The largest rectangle with aspect w:h centered in target."""
    s = min(target.width() / w, target.height() / h)
    return QRectF(target.center().x() - w * s / 2, target.center().y() - h * s / 2, w * s, h * s)
