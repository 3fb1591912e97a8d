"""GradientTiles: a first-layer matrix (784 x n) as one signed 28x28 tile per hidden neuron, with a title and hover.

Wide first layers are shown a page of PAGE_TILES tiles at a time (◀ page ▶), and only the
page's columns are read: the cost of a redraw does not grow with the layer.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from visualizer.core.mosaic import PAGE_TILES, TILE, color_scale, mosaic_shape, page_count, page_range, tile_mosaic
from visualizer.ui.common import colormaps as cm
from visualizer.ui.common.images import rgba_to_qimage
from visualizer.ui.panels.gradients.texts import num

GAP = 1


class _Mosaic(QWidget):
    """The tiles as one image, scaled without smoothing to fit (a plain paint: cheaper per frame
    than a graphics view, bench view_update)."""

    hovered_at = Signal(object)  # QPointF in image pixels, or None

    def __init__(self):
        super().__init__()
        self.image: QImage | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(60, 60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def target(self) -> QRectF:
        """Where the image is drawn: as large as fits, centred, square pixels."""
        if self.image is None:
            return QRectF()
        w, h = self.image.width(), self.image.height()
        s = min(self.width() / w, self.height() / h)
        return QRectF((self.width() - w * s) / 2, (self.height() - h * s) / 2, w * s, h * s)

    def to_image(self, pos: QPointF) -> QPointF | None:
        r = self.target()
        if self.image is None or not r.contains(pos):
            return None
        return QPointF((pos.x() - r.x()) * self.image.width() / r.width(),
                       (pos.y() - r.y()) * self.image.height() / r.height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(self.backgroundRole()))
        if self.image is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(self.target(), self.image)
        painter.end()

    def mouseMoveEvent(self, event) -> None:
        self.hovered_at.emit(self.to_image(event.position()))

    def leaveEvent(self, event) -> None:
        self.hovered_at.emit(None)


class GradientTiles(cm.FollowsPalette, QWidget):
    """One 28x28 tile per first-layer neuron on a symmetric blue-white-red scale (red: this weight should grow).

    ``set_matrix(values, title)`` with values shaped like the first weight matrix (784, n): e.g.
    ``-dL/dW1`` of an example, a batch's average, or one step's weight change. Each tile is what
    the example asks of that neuron's template. The tiles are arranged to be as large as the
    widget's shape allows (4x4 when square, 8x2 when wide).

    Signals
    -------
    hovered(str)
        The value under the mouse ("" when none).
    """

    hovered = Signal(str)

    def __init__(self, title: str = "", parent: QWidget | None = None, *, cols: int | None = None):
        super().__init__(parent)
        self._columns = None  # cols -> (784, len(cols)) values of those neurons
        self._n = 0
        self._page = 0
        self._values: np.ndarray | None = None  # the page shown
        self._first = 0  # neuron index of the page's first tile
        self._cols_wanted = cols
        self._cols = 1
        self._scale = 1.0
        self._title = QLabel(title)
        self._title.setWordWrap(True)
        self._title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self._mosaic = _Mosaic()
        self._mosaic.setAutoFillBackground(False)
        self.prev_page, self.next_page, self._page_label = QToolButton(), QToolButton(), QLabel()
        self.prev_page.setText("◀")
        self.next_page.setText("▶")
        self.prev_page.setToolTip("The previous page of tiles")
        self.next_page.setToolTip("The next page of tiles")
        self.prev_page.clicked.connect(lambda: self.set_page(self._page - 1))
        self.next_page.clicked.connect(lambda: self.set_page(self._page + 1))
        self._pager = QWidget()
        pager = QHBoxLayout(self._pager)
        pager.setContentsMargins(0, 0, 0, 0)
        pager.addStretch(1)
        for w in (self.prev_page, self._page_label, self.next_page):
            pager.addWidget(w)
        pager.addStretch(1)
        self._pager.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self._title)
        layout.addWidget(self._mosaic, 1)
        layout.addWidget(self._pager)
        self._mosaic.hovered_at.connect(lambda pos: self.hovered.emit("" if pos is None else self.value_at(pos)))
        self._apply_palette()

    def set_matrix(self, values: np.ndarray | None, title: str | None = None, scale: float | None = None) -> None:
        """Show ``values`` (784, n) as n tiles on the range ±``scale`` (default: its own robust maximum)."""
        if values is None:
            self.set_columns(None, 0, 1.0, title)
            return
        values = np.asarray(values)
        self.set_columns(lambda cols: values[:, cols], values.shape[1],
                         float(scale) if scale is not None else color_scale(values), title)

    def set_columns(self, columns, n: int, scale: float, title: str | None = None) -> None:
        """Show ``n`` tiles whose values ``columns(cols)`` gives as (784, len(cols)), on the range ±``scale``.

        Only the current page's columns are asked for (e.g. ``-dL/dW1`` of one example, built
        from its two vectors).
        """
        if title is not None and title != self._title.text():
            self._title.setText(title)
        self._columns, self._n, self._scale = columns, int(n) if columns is not None else 0, float(scale)
        if self._columns is None:
            self._values = None
            self._mosaic.image = None
            self._mosaic.update()
            self._pager.hide()
            return
        self._page = min(self._page, page_count(self._n) - 1)
        self._read_page()

    def set_page(self, page: int) -> None:
        """Show page ``page`` of the tiles (clamped to the pages there are)."""
        page = int(np.clip(page, 0, max(page_count(self._n) - 1, 0)))
        if page != self._page and self._columns is not None:
            self._page = page
            self._read_page()

    def page(self) -> int:
        return self._page

    def _read_page(self) -> None:
        start, stop = page_range(self._n, self._page) if self._n > PAGE_TILES else (0, self._n)
        self._first = start
        self._values = np.asarray(self._columns(np.arange(start, stop)))
        paged = self._n > PAGE_TILES
        self._pager.setVisible(paged)
        if paged:
            self._page_label.setText(f"neurons {start}–{stop - 1} of {self._n:,}")
            self.prev_page.setEnabled(self._page > 0)
            self.next_page.setEnabled(stop < self._n)
        self._show()

    def _best_columns(self, n: int) -> int:
        """Tiles per row that make the tiles largest in the mosaic's shape."""
        if self._cols_wanted is not None:
            return self._cols_wanted
        w, h = max(self._mosaic.width(), 1), max(self._mosaic.height(), 1)
        step = TILE + GAP
        return max(range(1, n + 1), key=lambda c: min(w / (c * step), h / (mosaic_shape(n, c)[0] * step)))

    def _show(self) -> None:
        n = self._values.shape[1]
        self._cols = self._best_columns(n)
        image = tile_mosaic(self._values, gap=GAP, cols=self._cols)
        gaps = np.isnan(image)
        index = np.clip(np.rint((np.nan_to_num(image) / self._scale + 1) * 0.5 * 255), 0, 255).astype(np.uint8)
        rgba = self._lut[index]
        rgba[gaps] = self._gap_rgba
        self._mosaic.image = rgba_to_qimage(rgba)
        self._mosaic.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._values is not None and self._best_columns(self._values.shape[1]) != self._cols:
            self._show()

    def title(self) -> str:
        return self._title.text()

    def tile_count(self) -> int:
        """Tiles there are (all pages)."""
        return self._n

    def drawn_tiles(self) -> int:
        """Tiles drawn now (one page)."""
        return 0 if self._values is None else int(self._values.shape[1])

    def scale(self) -> float:
        return self._scale

    def value_at(self, image_pos: QPointF) -> str:
        """'neuron 3, pixel (12, 7): +0.0012' for a point in image pixels ('' outside the tiles)."""
        if self._values is None:
            return ""
        step = TILE + GAP
        col, x = divmod(int(np.floor(image_pos.x())), step)
        row, y = divmod(int(np.floor(image_pos.y())), step)
        k = row * self._cols + col
        if image_pos.x() < 0 or image_pos.y() < 0 or x >= TILE or y >= TILE or col >= self._cols \
                or k >= self._values.shape[1]:
            return ""
        return f"neuron {self._first + k}, pixel ({y}, {x}): {num(float(self._values[y * TILE + x, k]))}"

    def _apply_palette(self) -> None:
        pal = self.palette()
        self._lut = cm.lookup_table(cm.diverging_colormap(pal))
        gap = cm.mix(cm.background_color(pal), cm.foreground_color(pal), 0.25)
        self._gap_rgba = np.array([gap.red(), gap.green(), gap.blue(), 255], np.uint8)
        if self._values is not None:
            self._show()
