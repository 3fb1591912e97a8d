"""Shared colors: the diverging weight colormap, palette helpers and a non-interactive colorbar."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QLinearGradient, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from visualizer.core.edges import symmetric_max  # noqa: F401  (re-exported for the views)

# ColorBrewer RdBu ends; the lighter set reads better on a dark background.
_NEG_LIGHT, _POS_LIGHT = QColor("#2166ac"), QColor("#b2182b")
_NEG_DARK, _POS_DARK = QColor("#4a9fe0"), QColor("#f0604d")


def is_dark(palette: QPalette) -> bool:
    """True when the palette's window color is darker than its text color."""
    return palette.color(QPalette.ColorRole.Window).lightness() < palette.color(
        QPalette.ColorRole.WindowText
    ).lightness()


def background_color(palette: QPalette) -> QColor:
    """Background for plots: the palette's base (text-field) color, which contrasts with its text."""
    return QColor(palette.color(QPalette.ColorRole.Base))


def foreground_color(palette: QPalette) -> QColor:
    return QColor(palette.color(QPalette.ColorRole.Text))


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """Linear blend of two colors, t=0 gives a, t=1 gives b."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
        1.0,
    )


def diverging_colormap(palette: QPalette) -> pg.ColorMap:
    """Blue (negative) -> background (zero) -> red (positive), so zero weights fade away."""
    center = background_color(palette)
    neg, pos = (_NEG_DARK, _POS_DARK) if is_dark(palette) else (_NEG_LIGHT, _POS_LIGHT)
    colors = [neg, mix(neg, center, 0.55), center, mix(pos, center, 0.55), pos]
    return pg.ColorMap(np.linspace(0.0, 1.0, len(colors)), colors)


def activation_colormap(palette: QPalette, zero: float = 0.06) -> pg.ColorMap:
    """Neuron shading over [0, 1] for activations in [-1, 1]: the negative colour (tanh) at 0, a
    shade ``zero`` off the background at 0.5, the text colour at 1 (the most active neuron)."""
    bg, fg = background_color(palette), foreground_color(palette)
    neg = _NEG_DARK if is_dark(palette) else _NEG_LIGHT
    quiet = mix(bg, fg, zero)
    return pg.ColorMap([0.0, 0.5, 1.0], [neg, quiet, fg])


# The application's normal point size, set on the QApplication while presenter mode enlarges its
# font (menus and dialogs get the large type too): scales are measured against it, not the large one.
BASE_FONT_PROPERTY = "nnviz_base_font_pt"


def presentation_scale(widget) -> float:
    """How much larger than the application's the widget's font is (presenter mode), at least 1:
    views thicken their lines by it, so strokes grow with the text."""
    return presentation_scale_of(widget.font())


def presentation_scale_of(font: QFont) -> float:
    """How much larger than the application's normal font ``font`` is, at least 1."""
    app = QApplication.instance()
    saved = app.property(BASE_FONT_PROPERTY) if app is not None else None
    base, size = float(saved) if saved else QApplication.font().pointSizeF(), font.pointSizeF()
    return max(1.0, size / base) if base > 0 and size > 0 else 1.0


def lookup_table(cmap: pg.ColorMap, n: int = 256) -> np.ndarray:
    """(n, 4) uint8 RGBA table for ImageItem.setLookupTable."""
    return cmap.getLookupTable(0.0, 1.0, n, alpha=True)


def legend_pixmap(cmap: pg.ColorMap, palette: QPalette, metrics: QFontMetrics, ratio: float = 1.0,
                  left: str = "weight  −", right: str = "+", bar_width: int = 64, font: QFont | None = None) -> QPixmap:
    """A compact horizontal color key, e.g. 'weight − [blue..red] +', as a static picture.

    Drawn once per palette (and font): unlike a ColorBarItem it has no axis to repaint with every
    frame. ``font`` is the widget's (``metrics`` must be its metrics); without it the text is drawn
    in the application's font.
    """
    if font is not None:
        bar_width = round(bar_width * presentation_scale_of(font))
    pad = 4
    bar_h = max(6, metrics.height() // 2)
    left_w = metrics.horizontalAdvance(left)
    w = left_w + metrics.horizontalAdvance(right) + bar_width + 2 * pad
    h = metrics.height()
    pix = QPixmap(int(w * ratio), int(h * ratio))
    pix.setDevicePixelRatio(ratio)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    if font is not None:
        p.setFont(font)  # a painter on a pixmap starts with the application's font
    p.setPen(palette.color(QPalette.ColorRole.WindowText))
    p.drawText(0, metrics.ascent(), left)
    grad = QLinearGradient(left_w + pad, 0, left_w + pad + bar_width, 0)
    for pos, color in zip(cmap.pos, cmap.getColors(mode="qcolor"), strict=True):
        grad.setColorAt(float(pos), color)
    bar = QRectF(left_w + pad, (h - bar_h) / 2, bar_width, bar_h)
    p.fillRect(bar, grad)
    p.setPen(mix(background_color(palette), foreground_color(palette), 0.4))
    p.drawRect(bar)
    p.setPen(palette.color(QPalette.ColorRole.WindowText))
    p.drawText(int(left_w + 2 * pad + bar_width), metrics.ascent(), right)
    p.end()
    return pix


def adopt_menus(owner, *plots) -> None:
    """Parent each PlotItem's context menu to ``owner``.

    pyqtgraph creates PlotItem.ctrlMenu without a parent, so it is a top-level widget that
    outlives the plot until Python collects it; parented, it goes away with the owner.
    """
    for plot in plots:
        menu = getattr(plot, "ctrlMenu", None)
        if menu is not None and menu.parent() is None:
            menu.setParent(owner, menu.windowFlags())


def release_menus(*plots) -> None:
    """Delete the context menus of plots that are being removed (see adopt_menus)."""
    for plot in plots:
        menu = getattr(plot, "ctrlMenu", None)
        if menu is not None:
            menu.deleteLater()


class FollowsPalette:
    """Mixin for a QWidget (listed before it): calls ``self._apply_palette()`` on every palette or font
    change (legends are pictures drawn with the font; presenter mode scales it)."""

    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._apply_palette()
        super().changeEvent(event)
