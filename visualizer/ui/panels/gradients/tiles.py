"""GradientTiles: a first-layer matrix (784 x n) as one signed 28x28 tile per hidden neuron, with a title and hover."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from visualizer.core.mosaic import TILE, color_scale, mosaic_shape, tile_mosaic
from visualizer.ui.common import colormaps as cm
from visualizer.ui.common.drawing import still_view
from visualizer.ui.panels.gradients.texts import num

GAP = 1


class GradientTiles(cm.FollowsPalette, QWidget):
    """One 28x28 tile per first-layer neuron on a symmetric blue-white-red scale (red: this weight should grow).

    ``set_matrix(values, title)`` with values shaped like the first weight matrix (784, n): e.g.
    ``-dL/dW1`` of an example, a batch's average, or one step's weight change. Each tile is what
    the example asks of that neuron's template.

    Signals
    -------
    hovered(str)
        The value under the mouse ("" when none).
    """

    hovered = Signal(str)

    def __init__(self, title: str = "", parent: QWidget | None = None, *, cols: int | None = None):
        super().__init__(parent)
        self._values: np.ndarray | None = None
        self._cols_wanted = cols
        self._cols = 1
        self._scale = 1.0
        self._shown_shape: tuple[int, int] | None = None
        self._title = QLabel(title)
        self._title.setWordWrap(True)
        self._title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self._canvas, self._vb = still_view(1)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._vb.addItem(self._image)
        self._canvas.setMinimumSize(60, 60)
        self._canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self._title)
        layout.addWidget(self._canvas, 1)
        self._canvas.viewport().installEventFilter(self)
        self._apply_palette()

    def set_matrix(self, values: np.ndarray | None, title: str | None = None, scale: float | None = None) -> None:
        """Show ``values`` (784, n) as n tiles on the range ±``scale`` (default: its own robust maximum)."""
        if title is not None and title != self._title.text():
            self._title.setText(title)
        if values is None:
            self._values = None
            self._image.clear()
            return
        self._values = np.asarray(values)
        self._scale = float(scale) if scale is not None else color_scale(self._values)
        self._show()

    def _best_columns(self, n: int) -> int:
        """Tiles per row that make the tiles largest in the canvas's shape (4x4 square, 8x2 wide)."""
        if self._cols_wanted is not None:
            return self._cols_wanted
        w, h = max(self._canvas.width(), 1), max(self._canvas.height(), 1)
        step = TILE + GAP
        return max(range(1, n + 1), key=lambda c: min(w / (c * step), h / (mosaic_shape(n, c)[0] * step)))

    def _show(self) -> None:
        n = self._values.shape[1]
        self._cols = self._best_columns(n)
        image = tile_mosaic(self._values, gap=GAP, cols=self._cols)
        self._image.setImage(image, autoLevels=False, levels=(-self._scale, self._scale))
        h, w = image.shape
        self._image.setRect(QRectF(0, 0, w, h))
        if (h, w) != self._shown_shape:  # the range only changes with the mosaic's shape
            self._shown_shape = (h, w)
            self._vb.setRange(xRange=(0, w), yRange=(0, h), padding=0.01)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._values is not None and self._best_columns(self._values.shape[1]) != self._cols:
            self._show()

    def title(self) -> str:
        return self._title.text()

    def tile_count(self) -> int:
        return 0 if self._values is None else int(self._values.shape[1])

    def scale(self) -> float:
        return self._scale

    def value_at(self, view_pos: QPointF) -> str:
        """'Hidden neuron 3, pixel (12, 7): +0.0012' for a point in image pixels ('' outside the tiles)."""
        if self._values is None:
            return ""
        step = TILE + GAP
        col, x = divmod(int(np.floor(view_pos.x())), step)
        row, y = divmod(int(np.floor(view_pos.y())), step)
        k = row * self._cols + col
        if view_pos.x() < 0 or view_pos.y() < 0 or x >= TILE or y >= TILE or col >= self._cols \
                or k >= self._values.shape[1]:
            return ""
        return f"neuron {k}, pixel ({y}, {x}): {num(float(self._values[y * TILE + x, k]))}"

    def eventFilter(self, obj, event) -> bool:
        if obj is self._canvas.viewport():
            if event.type() == QEvent.Type.MouseMove:
                pos = self._vb.mapSceneToView(self._canvas.mapToScene(event.position().toPoint()))
                self.hovered.emit(self.value_at(pos))
            elif event.type() == QEvent.Type.Leave:
                self.hovered.emit("")
        return super().eventFilter(obj, event)

    def _apply_palette(self) -> None:
        pal = self.palette()
        self._canvas.setBackground(cm.mix(cm.background_color(pal), cm.foreground_color(pal), 0.25))
        self._image.setLookupTable(cm.lookup_table(cm.diverging_colormap(pal)))
