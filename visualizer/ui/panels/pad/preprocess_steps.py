"""Image tiles for the drawing pad: the preprocessing steps side by side, and the saliency overlay."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QHBoxLayout, QWidget

from visualizer.core.saliency import saliency_overlay
from visualizer.ui.common.colormaps import diverging_colormap
from visualizer.ui.common.images import ImageTile, gray_to_qimage

LIGHT_CAPTION = "0 light"  # "0 even light" was elided in a ~55 px tile; the tooltip says it all
LIGHT_TIP = ("The light was uneven (a photo of paper): this is the paper's brightness, estimated from the "
             "lightest pixels in each part of the picture. The picture is divided by it, so shadows do not "
             "count as ink before the digit is cropped.")
# One short word each: a tile is ~55 px wide beside the saliency and squashed tiles, and
# "3 fit 20×20" was cut to "3 fit 20…" (the tooltip says 20×20).
STEP_CAPTIONS = ("canvas", "crop", "resize", "center")
STEP_TIPS = (
    "The canvas; the outline is the ink's bounding box.",
    "Cut out the bounding box of the ink.",
    "Scale it so the longer side is 20 pixels, keeping its shape (like MNIST).",
    "Shift it so its center of mass sits at the middle of 28\N{MULTIPLICATION SIGN}28: "
    "this is exactly what the network sees.",
)


class PreprocessSteps(QWidget):
    """(even light) -> canvas (ink box outlined) -> crop -> fit in 20x20 -> centered by center of mass (the input).

    The "even light" tile shows only for a picture whose background was evened out (a photo).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.light_tile = ImageTile(LIGHT_CAPTION)
        self.light_tile.setToolTip(LIGHT_TIP)
        self.light_tile.setVisible(False)
        layout.addWidget(self.light_tile)
        self.tiles = [ImageTile(f"{i + 1} {c}") for i, c in enumerate(STEP_CAPTIONS)]
        for tile, tip in zip(self.tiles, STEP_TIPS, strict=True):
            tile.setToolTip(tip)
            layout.addWidget(tile)

    def set_steps(self, pre) -> None:
        """Show a :class:`visualizer.core.preprocess.Preprocessed`, or clear the tiles with None."""
        light = None if pre is None else pre.background
        self.light_tile.setVisible(light is not None)
        self.light_tile.set_image(None if light is None else gray_to_qimage(light))
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
        self.light_tile.setVisible(False)
        self.light_tile.set_image(None)
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
    """(28, 28, 4) uint8 saliency overlay (see :func:`visualizer.core.saliency.saliency_overlay`)
    in the palette's colours: the app's diverging weight colours on the palette's base and text."""
    neg, pos = (c.getRgb()[:3] for c in saliency_colors(palette))
    base = QColor(palette.color(QPalette.ColorRole.Base)).getRgb()[:3]
    ink = QColor(palette.color(QPalette.ColorRole.Text)).getRgb()[:3]
    return saliency_overlay(x, saliency, negative=neg, positive=pos, base=base, ink=ink)
