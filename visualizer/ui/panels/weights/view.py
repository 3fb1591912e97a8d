"""WeightMaps: every weight and bias as heatmaps; first layer as one 28x28 tile per hidden neuron."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QToolButton,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from visualizer.core.mosaic import (
    EMPTY_RANGE,
    MOSAIC_BIAS_GAP,
    MOSAIC_BIAS_HEIGHT,
    PAGE_TILES,
    TILE,
    best_columns,
    color_scale,
    grown_range,
    matrix_strides,
    mosaic_shape,
    page_count,
    page_range,
    range_text,
    tile_mosaic,
)
from visualizer.ui.common import colormaps as cm
from visualizer.ui.common.lut_image import LutImage
from visualizer.ui.common.options import RangeMode, WeightView
from visualizer.ui.panels.weights import zoom
from visualizer.core.network import layer_names

MAX_MATRIX_ROWS = 3  # deeper matrices stack at most this many high, then add columns
TITLE_PX = 34  # a plot title's height (two lines)
STACKED_CANVAS = 400  # px: narrower canvases stack each title's weight and bias ranges (three lines)
TITLE_PT = 8.0  # a map title's font size at the application's font
COMPACT_CANVAS = 560  # px: narrower canvases get short map titles

WEIGHT_VIEWS = {  # what the maps draw: (combo text, tooltip)
    WeightView.WEIGHTS: ("Weights", "The weights of the moment shown"),
    WeightView.BATCH_CHANGE: ("Change by this batch", "What the moment's own batch changed (one optimizer step)"),
    WeightView.TOTAL_CHANGE: ("Change since batch 0", "What training changed since the first recorded moment"),
}

READOUT_ROOM = 120  # pixels of hover readout beside the combos before the footer takes two rows
# How each map's symmetric colour range follows the weights: (combo text, tooltip).
RANGE_MODES = {
    RangeMode.GROW: ("Range: grows", "The colour range widens when the weights outgrow it and never narrows "
             "during a run: change over time stays visible (the first layer's range covers 99.5% of its "
             "weights, so a few outliers do not wash out the templates)"),
    RangeMode.LOCK: ("Range: locked", "The colour range stays where it was when you chose this "
             "(compare later weights with that moment; they may saturate)"),
    RangeMode.AUTO: ("Range: fits each", "Every update is scaled to its own largest weight "
             "(the most contrast, but a growing weight looks the same as a small one)"),
}
def _template_title(outputs: int, question: str | None, compact: bool) -> str:
    """The title of a network without hidden layers: the output neurons' 28×28 templates."""
    if question is not None:  # one neuron: its 784 weights are the template it matches the image against
        return f"Output: {question}" if compact else f"Output neuron: {question} (its 784 weights as one 28×28 template)"
    return "Input → Output" if compact else f"Input → Output ({outputs} templates, 28×28: one per digit)"


def _tile_backing(n: int, cols: int) -> QPainterPath:
    """The area covered by n tiles and the gaps between them (not the empty slots of the last row)."""
    step = TILE + 1
    path = QPainterPath()
    full, rest = divmod(n, cols)
    if full:
        path.addRect(0, 0, cols * step - 1, full * step - 1)
    if rest:
        path.addRect(0, full * step - 1 if full else 0, rest * step - 1, TILE + (1 if full else 0))
    return path


class _Block:
    """One matrix (or the tile mosaic) plus its bias strip and title."""

    def __init__(self, layout, row: int, col: int, title: str, shape: tuple[int, int], backing=None):
        self.title = title
        self.plot = layout.addPlot(row=row, col=col)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.vb.invertY(True)
        h, w = shape
        self.plot.vb.setAspectLocked(backing is not None)  # tiles keep square pixels; matrices fill their cell
        self.image = LutImage(axisOrder="row-major")
        self.bias = LutImage(axisOrder="row-major")
        if backing is not None:
            self.bias_y, self.bias_height = h + MOSAIC_BIAS_GAP, MOSAIC_BIAS_HEIGHT
        else:
            self.bias_y, self.bias_height = h + max(1.0, h * 0.05), max(1.0, h * 0.07)
        # Gray backing behind the tiles: the NaN gaps between them show as thin grid lines.
        self.backing = QGraphicsPathItem(backing if backing is not None else QPainterPath())
        self.backing.setZValue(-1)
        self.plot.addItem(self.backing)
        self.plot.addItem(self.image)
        self.plot.addItem(self.bias)
        # The pinned neuron: its tile in the mosaic, its row (outgoing) or column (incoming) in a matrix.
        self.mark = QGraphicsRectItem()
        self.mark.setZValue(5)
        self.mark.setVisible(False)
        self.plot.addItem(self.mark)
        self.plot.vb.setRange(xRange=(0, w), yRange=(0, self.bias_y + self.bias_height), padding=0.02)
        self.plot.vb.disableAutoRange()
        self.zoomable = backing is None  # a deeper matrix: wheel zoom, drag pan, double-click resets
        if self.zoomable:
            zoom.enable(self.plot.vb, shape, self.bias_y + self.bias_height)
        self.shape = shape
        self.levels = (-1.0, 1.0)
        self.bias_levels = (-1.0, 1.0)
        self.fg = None
        self.title_pt = TITLE_PT  # grows with the panel's font (presenter mode)
        self._title_shown = None

    def window(self) -> tuple[int, int, int, int]:
        """The rows and columns of the matrix in view: ``(r0, r1, c0, c1)``."""
        return zoom.window(self.plot.vb, self.shape) if self.zoomable else (0, self.shape[0], 0, self.shape[1])

    def show(self, image: np.ndarray, bias: np.ndarray, m: float, mb: float, prefix: str = "",
             stacked: bool = False) -> None:
        self.levels, self.bias_levels = (-m, m), (-mb, mb)
        self.image.setImage(image, autoLevels=False, levels=self.levels)
        self.bias.setImage(bias.reshape(1, -1), autoLevels=False, levels=self.bias_levels)
        # setRect scales by the current image size, so it must follow setImage.
        h, w = self.shape
        r0, r1, c0, c1 = self.window()  # the image is the part of the matrix in view
        self.image.setRect(QRectF(c0, r0, c1 - c0, r1 - r0))
        self.bias.setRect(QRectF(0, self.bias_y, w, self.bias_height))
        # Two short lines fit narrow cells (a long one would widen its column past the panel);
        # three (weights and biases apart) in a canvas too narrow for two-line titles side by side.
        ranges = f"{prefix}{range_text(m, bias, mb)}"
        where = f" [{r0}–{r1 - 1}, {c0}–{c1 - 1}]" if (r0, r1, c0, c1) != (0, h, 0, w) else ""  # zoomed: which part
        title = f"{self.title}{where}<br>{ranges.replace(' · ', '<br>') if stacked else ranges}"
        if title != self._title_shown:  # a new title re-lays out the plot: only when the text changes
            self._title_shown = title
            self.plot.setTitle(title, size=f"{self.title_pt:.3g}pt", color=self.fg.name())
            # pyqtgraph fixes a title's row at 30 px, whatever its lines: a two-line title at 8 pt
            # (34 px) ran into the top rows of its map, a three-line one covered them. The row
            # takes the title's own height instead.
            need = math.ceil(self.plot.titleLabel.itemRect().height())
            self.plot.titleLabel.setMaximumHeight(need)
            self.plot.layout.setRowFixedHeight(0, need)

    def clear(self) -> None:
        self.image.clear()
        self.bias.clear()

    def set_mark(self, rect: QRectF | None) -> None:
        self.mark.setVisible(rect is not None)
        if rect is not None:
            self.mark.setRect(rect)

    def set_lut(self, lut: np.ndarray, fg, bg) -> None:
        # The text colour: a highlight blue would vanish on negative (blue) weights.
        pen = pg.mkPen(fg, width=2.5)
        pen.setCosmetic(True)
        self.mark.setPen(pen)
        self.fg = fg
        self._title_shown = None
        self.backing.setBrush(pg.mkBrush(cm.mix(bg, fg, 0.3)))
        self.backing.setPen(pg.mkPen(None))
        self.image.setLookupTable(lut)
        self.bias.setLookupTable(lut)


class WeightMaps(cm.FollowsPalette, QWidget):
    """All weights and biases of a snapshot, on a symmetric blue-white-red scale per matrix.

    The first layer is a mosaic of one 28x28 tile per hidden neuron (its "template"), shaped to
    fill the panel (4x4 in a square panel, 8x2 in a wide short one); deeper matrices sit beside it.
    A pinned neuron (:meth:`set_highlight`) is outlined: its tile, and its row or column in the
    matrices it feeds or is fed by.
    One shared color key: each map's own ±range is in its title. How the ranges follow the
    weights is :data:`RANGE_MODES` (a combo under the maps): by default they only grow.

    Signals
    -------
    range_mode_changed(str)
        The user (or :meth:`set_range_mode`) chose another range mode.
    """

    range_mode_changed = Signal(object)  # RangeMode
    view_changed = Signal(object)  # WeightView: weights, or the change of a batch / since batch 0

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._sizes: tuple[int, ...] = ()
        self._question: str | None = None  # a one-neuron network's question, for its template's title
        self._blocks: list[_Block] = []
        self._snapshot = None
        self._reference = None
        self._mode = RangeMode.GROW
        self._ranges: list[tuple[float, float]] | None = None  # per map (weights, biases) shown
        self._run_id = None  # the ratchet starts afresh with another run's network
        self._shape_key: tuple[int, int] | None = None  # (mosaic columns, matrix rows)
        self._cols = 1
        self._compact = False  # short map titles (a narrow canvas)
        self._stacked = False  # three-line titles (a very narrow canvas)
        self._highlight: tuple[int, int] | None = None
        self._page = 0  # which PAGE_TILES first-layer tiles the mosaic shows
        self._canvas = pg.GraphicsLayoutWidget()
        self._canvas.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self._legend = QLabel()
        self._legend.setToolTip("Weight and bias color: blue = negative, red = positive, "
                                "each map scaled to its own ±range (in its title)")
        self._readout = QLabel(" ")
        self.range_combo = QComboBox()
        for mode, (text, tip) in RANGE_MODES.items():
            self.range_combo.addItem(text, mode)
            self.range_combo.setItemData(self.range_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.range_combo.setToolTip("How the colour scale follows the weights: grows (default), locked, "
                                    "or fitted to each update")
        self.range_combo.currentIndexChanged.connect(
            lambda i: self.set_range_mode(self.range_combo.itemData(i)))
        self.view_combo = QComboBox()
        for view, (text, tip) in WEIGHT_VIEWS.items():
            self.view_combo.addItem(text, view)
            self.view_combo.setItemData(self.view_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.view_combo.setToolTip("Draw the weights, or what training changed (blue: went down, red: went up)")
        self.view_combo.currentIndexChanged.connect(lambda i: self.view_changed.emit(self.view_combo.itemData(i)))
        # The combos' texts stay whole: at 1024 px the dock is ~330 px wide, too narrow for the
        # key, both combos and the readout in one row, so the footer then takes two (_fit_foot).
        for combo in (self.view_combo, self.range_combo):
            combo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        keys, choices = QHBoxLayout(), QHBoxLayout()  # the colour key, paging and readout; the combos
        foot = self._foot = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        foot.setContentsMargins(4, 0, 4, 0)
        for row in (foot, keys, choices):
            row.setSpacing(6)
        keys.addWidget(self._legend)
        choices.addWidget(self.view_combo)
        choices.addWidget(self.range_combo)
        # Wide first layers: one page of tiles at a time (1024 tiles would be specks).
        self.prev_page, self.next_page = QToolButton(), QToolButton()
        self.prev_page.setText("◀")
        self.next_page.setText("▶")
        self.prev_page.setToolTip("The previous page of first-layer tiles")
        self.next_page.setToolTip("The next page of first-layer tiles")
        self.prev_page.clicked.connect(lambda: self.set_page(self._page - 1))
        self.next_page.clicked.connect(lambda: self.set_page(self._page + 1))
        self._page_label = QLabel()
        for w in (self.prev_page, self._page_label, self.next_page):
            keys.addWidget(w)
            w.hide()
        keys.addWidget(self._readout, 1)
        choices.addStretch(1)
        foot.addLayout(keys, 1)
        foot.addLayout(choices)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._canvas, 1)
        layout.addLayout(foot)
        self._canvas.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._canvas.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self._apply_palette()

    # ----------------------------------------------------------------- public API
    def view(self) -> WeightView:
        return self.view_combo.currentData()

    def set_weights(self, snapshot, reference=None) -> None:
        """Draw every weight matrix and bias vector of ``snapshot`` (None clears the maps).

        With a ``reference`` network of the same shape, draw ``snapshot``'s weights minus its
        (what training changed), each map fitted to its own largest change.
        """
        self._snapshot = snapshot
        self._reference = reference
        if snapshot is None:
            for block in self._blocks:
                block.clear()
            return
        sizes = tuple(snapshot.layer_sizes)
        network = getattr(snapshot, "network", None)
        question = network.question if network is not None and network.is_binary else None
        if sizes != self._sizes or question != self._question:
            self._question = question
            self._build(sizes)
        if snapshot.run_id != self._run_id and self._mode is RangeMode.GROW:
            self._ranges = None  # a new network (reset, import, new run): its own scale
        self._run_id = snapshot.run_id
        change = reference is not None and tuple(reference.layer_sizes) == sizes
        ranges = []
        for i, (block, w, b) in enumerate(zip(self._blocks, snapshot.weights, snapshot.biases, strict=True)):
            # Only what is drawn is read: the page of tiles, or a sampled view of a big matrix,
            # so the cost per frame does not grow with the layer.
            shown = self._shown_part(i, w)
            if change:
                dw, db = shown - self._shown_part(i, reference.weights[i]), b - reference.biases[i]
                m, mb = color_scale(dw), color_scale(db)
                block.show(tile_mosaic(dw, cols=self._cols) if i == 0 else dw, db, m, mb, prefix="change ",
                           stacked=self._stacked)
                continue
            m, mb = self._range_for(i, color_scale(shown), color_scale(b))
            ranges.append((m, mb))
            block.show(tile_mosaic(shown, cols=self._cols) if i == 0 else shown, b, m, mb, stacked=self._stacked)
        if not change:  # a change view leaves the weights' own ranges as they were
            self._ranges = ranges

    def _shown_part(self, i: int, w: np.ndarray) -> np.ndarray:
        """What map ``i`` draws of ``w``: the first layer's current page, a deeper matrix sampled to MATRIX_PIXELS."""
        if i == 0:
            start, stop = page_range(w.shape[1], self._page)
            return w[:, start:stop]
        r0, r1, c0, c1 = self._blocks[i].window()  # zoomed in: only the window, at full resolution when it fits
        sr, sc = matrix_strides((r1 - r0, c1 - c0))
        return w[r0:r1:sr, c0:c1:sc]

    def page(self) -> int:
        """The page of first-layer tiles shown (0 when they all fit on one)."""
        return self._page

    def page_count(self) -> int:
        return page_count(self._sizes[1]) if self._sizes else 1

    def set_page(self, page: int) -> None:
        """Show page ``page`` of the first-layer tiles (clamped to the pages there are)."""
        page = int(np.clip(page, 0, self.page_count() - 1))
        if page == self._page:
            return
        self._page = page
        ranges = self._ranges
        self._build(self._sizes)
        self._ranges = ranges  # another page, the same scale
        if self._snapshot is not None:
            self.set_weights(self._snapshot, self._reference)

    def _range_for(self, i: int, m: float, mb: float) -> tuple[float, float]:
        """This map's (weight, bias) range for data whose largest magnitudes are ``m``, ``mb``."""
        shown = self._ranges[i] if self._ranges is not None else None
        if shown is None or self._mode is RangeMode.AUTO:
            return (grown_range(None, m), grown_range(None, mb)) if self._mode is RangeMode.GROW else (m, mb)
        if self._mode is RangeMode.GROW:
            return grown_range(shown[0], m), grown_range(shown[1], mb)
        # Locked. A range locked while its data was all zeros (biases at initialization) has no
        # scale to keep: it adopts the first real one instead of saturating everything.
        return (shown[0] if shown[0] > EMPTY_RANGE else m), (shown[1] if shown[1] > EMPTY_RANGE else mb)

    def set_range_mode(self, mode: RangeMode | str) -> None:
        """How the colour ranges follow the weights (a key of :data:`RANGE_MODES`).

        "lock" keeps the ranges shown now, "grow" widens them from there, "auto" fits each update.
        """
        mode = RangeMode.parse(mode)
        if mode == self._mode:
            return
        self._mode = mode
        self.range_combo.blockSignals(True)
        self.range_combo.setCurrentIndex(self.range_combo.findData(mode))
        self.range_combo.blockSignals(False)
        if self._snapshot is not None and mode is not RangeMode.LOCK:
            self.set_weights(self._snapshot, self._reference)
        self.range_mode_changed.emit(mode)

    def set_highlight(self, neuron: tuple[int, int] | None) -> None:
        """Outline neuron ``(layer, index)`` (layer as in ``layer_sizes``: 1 = Hidden 1) wherever its
        weights are: a Hidden 1 neuron's tile, the column of weights into a neuron, the row out of it."""
        self._highlight = None if neuron is None else (int(neuron[0]), int(neuron[1]))
        if self._highlight is not None and self._highlight[0] == 1 and self._sizes:
            self.set_page(self._highlight[1] // PAGE_TILES)  # its tile's page (no-op when already there)
        self._draw_highlight()

    def highlighted(self) -> list[QRectF | None]:
        """Per map, the outlined rectangle in its view units (None where nothing is)."""
        return [QRectF(b.mark.rect()) if b.mark.isVisible() else None for b in self._blocks]

    def _draw_highlight(self) -> None:
        key, sizes = self._highlight, self._sizes
        for i, block in enumerate(self._blocks):
            rect = None
            if key is not None and key[0] < len(sizes) and key[1] < sizes[key[0]]:
                layer, j = key
                h, w = block.shape
                start, stop = page_range(sizes[1], self._page)
                if i == 0 and layer == 1 and start <= j < stop:
                    r, c = divmod(j - start, self._cols)
                    rect = QRectF(c * (TILE + 1), r * (TILE + 1), TILE, TILE)
                elif i > 0 and layer == i + 1:
                    rect = QRectF(j, 0, 1, h)  # the weights into it: a column
                elif i > 0 and layer == i:
                    rect = QRectF(0, j, w, 1)  # the weights out of it: a row
            block.set_mark(rect)

    def range_mode(self) -> RangeMode:
        return self._mode

    def ranges(self) -> list[tuple[float, float]]:
        """Each map's (weight, bias) colour range now shown: levels (-m, m)."""
        return list(self._ranges or [])

    def images(self) -> list[pg.ImageItem]:
        """The weight ImageItems, first layer (mosaic) first; for tests and exports."""
        return [b.image for b in self._blocks]

    def bias_images(self) -> list[pg.ImageItem]:
        return [b.bias for b in self._blocks]

    def mosaic_columns(self) -> int:
        """Tiles per row in the first-layer mosaic (chosen to fit the panel's shape)."""
        return self._cols

    def titles(self) -> list[str]:
        """Each map's title as shown (name and ±range), one line each."""
        return [b.plot.titleLabel.text.replace("<br>", " · ") for b in self._blocks]

    def readout_text(self) -> str:
        return self._readout.text().strip()

    # ----------------------------------------------------------------- layout
    def _fit_shape(self, sizes: tuple[int, ...]) -> tuple[int, int]:
        """(mosaic columns, matrix rows) that use the canvas best at its current size."""
        width, height = max(self._canvas.width(), 200), max(self._canvas.height() - self._title_px(), 60)
        n_matrices = len(sizes) - 2
        matrix_rows = int(np.clip(round(height / 170), 1, min(max(n_matrices, 1), MAX_MATRIX_ROWS)))
        matrix_cols = math.ceil(n_matrices / matrix_rows)
        # Matrices get roughly square cells; the mosaic the rest.
        reserved = matrix_cols * min(1.15 * (height / matrix_rows), 0.22 * width)
        return best_columns(min(sizes[1], PAGE_TILES), width - reserved, height), matrix_rows

    def _build(self, sizes: tuple[int, ...]) -> None:
        cm.release_menus(*(b.plot for b in self._blocks))
        self._canvas.clear()
        if sizes != self._sizes:
            self._page = 0
        self._sizes = sizes
        self._ranges = None
        self._stacked = self._canvas.width() < STACKED_CANVAS and len(sizes) > 3  # before the shape: titles' height
        self._shape_key = self._fit_shape(sizes)
        self._cols, matrix_rows = self._shape_key
        names = layer_names(len(sizes))
        ci = self._canvas.ci
        ci.setContentsMargins(2, 2, 2, 2)
        start, stop = page_range(sizes[1], self._page)
        rows, cols = mosaic_shape(min(sizes[1], PAGE_TILES), self._cols)
        shape = (rows * (TILE + 1) - 1, cols * (TILE + 1) - 1)
        # A title's width is its plot's minimum: in a narrow canvas (a 1024 px window) the maps
        # are named without their shapes (hovering tells them), so all of them fit.
        compact = self._compact = self._canvas.width() < COMPACT_CANVAS
        paged = sizes[1] > PAGE_TILES
        if paged:
            title = (f"Input → H1 {start}–{stop - 1}" if compact
                     else f"Input → H1: neurons {start}–{stop - 1} of {sizes[1]}")
        else:
            title = "Input → H1" if compact else f"Input → H1 ({sizes[1]} tiles, 28×28)"
        if len(sizes) == 2:  # no hidden layer: each output's weights are a 28×28 template
            title = _template_title(sizes[1], self._question, compact)
        for w in (self.prev_page, self._page_label, self.next_page):
            w.setVisible(paged)
        self._fit_foot()
        self._page_label.setText(f"page {self._page + 1} of {page_count(sizes[1])}")
        self.prev_page.setEnabled(self._page > 0)
        self.next_page.setEnabled(stop < sizes[1])
        self._blocks = [_Block(ci, 0, 0, title, shape, _tile_backing(stop - start, self._cols))]
        right = ci.addLayout(row=0, col=1)
        for i in range(1, len(sizes) - 1):
            r, c = (i - 1) % matrix_rows, (i - 1) // matrix_rows
            dst = names[i + 1].replace("Hidden ", "") if i < len(sizes) - 2 else "Out"
            shape_text = "" if compact else f" ({sizes[i]}×{sizes[i + 1]})"
            title = f"{names[i]} → {dst}{shape_text}".replace("Hidden ", "H")
            block = _Block(right, r, c, title, (sizes[i], sizes[i + 1]))
            block.plot.setToolTip("Wheel: zoom in on the weights (every weight its own square when close); "
                                  "drag: pan; double-click: the whole matrix")
            block.plot.vb.sigRangeChangedManually.connect(self._on_zoomed)
            self._blocks.append(block)
        cm.adopt_menus(self, *(b.plot for b in self._blocks))
        self._draw_highlight()
        # Share the width in proportion to what each side needs at the chosen shape.
        width, height = max(self._canvas.width(), 200), max(self._canvas.height() - self._title_px(), 60)
        units_h = shape[0] + MOSAIC_BIAS_GAP + MOSAIC_BIAS_HEIGHT
        mosaic_px = min(shape[1] * height / units_h, 0.8 * width if len(sizes) > 2 else width)  # no matrices: all of it
        ci.layout.setColumnStretchFactor(0, max(1, int(mosaic_px)))
        ci.layout.setColumnStretchFactor(1, max(1, int(width - mosaic_px)))
        self._apply_luts()

    def _title_px(self) -> int:
        return TITLE_PX * 3 // 2 if self._stacked else TITLE_PX

    def _fit_foot(self) -> None:
        """One footer row when the key, the combos and some readout fit side by side, else two."""
        parts = (self._legend, self.view_combo, self.range_combo, self.prev_page, self._page_label, self.next_page)
        need = sum(w.sizeHint().width() + 6 for w in parts if not w.isHidden()) + READOUT_ROOM + 8
        wide = self.width() >= need
        self._foot.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_foot()
        compact = self._canvas.width() < COMPACT_CANVAS
        stacked = self._canvas.width() < STACKED_CANVAS and len(self._sizes or ()) > 3
        if self._sizes and (self._fit_shape(self._sizes) != self._shape_key or compact != self._compact
                            or stacked != self._stacked):
            ranges = self._ranges
            self._build(self._sizes)
            self._ranges = ranges  # a new mosaic shape, the same scale
            if self._snapshot is not None:
                self.set_weights(self._snapshot)

    # ----------------------------------------------------------------- zoom
    def zoom_to(self, i: int, rows: tuple[int, int], cols: tuple[int, int]) -> None:
        """Show rows ``rows`` and columns ``cols`` of deeper matrix ``i`` (1 = Hidden 1 -> 2), as the wheel does."""
        self._blocks[i].plot.vb.setRange(xRange=cols, yRange=rows, padding=0)
        self._on_zoomed()

    def reset_zoom(self, i: int) -> None:
        block = self._blocks[i]
        zoom.reset(block.plot.vb, block.shape, block.bias_y + block.bias_height)
        self._on_zoomed()

    def _on_zoomed(self, *_args) -> None:
        if self._snapshot is not None:  # draw the window now in view (bounded: at most 256 x 256 samples)
            self.set_weights(self._snapshot, self._reference)

    def _on_mouse_clicked(self, event) -> None:
        if not event.double():
            return
        for i, block in enumerate(self._blocks):
            if block.zoomable and block.plot.vb.sceneBoundingRect().contains(event.scenePos()):
                self.reset_zoom(i)
                event.accept()
                return

    # ----------------------------------------------------------------- hover
    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        text = ""
        for i, block in enumerate(self._blocks):
            if block.plot.vb.sceneBoundingRect().contains(scene_pos):
                text = self.describe(i, block.plot.vb.mapSceneToView(scene_pos))
                break
        self._readout.setText(text or " ")

    def describe(self, block_index: int, view_pos: QPointF) -> str:
        """Text for the weight or bias under ``view_pos`` (block view units) of one block."""
        snap = self._snapshot
        if snap is None:
            return ""
        block = self._blocks[block_index]
        x, y = view_pos.x(), view_pos.y()
        h, w = block.shape
        col, row = int(math.floor(x)), int(math.floor(y))
        names = layer_names(len(self._sizes))
        src, dst = names[block_index], names[block_index + 1]
        if block.bias_y <= y < block.bias_y + block.bias_height and 0 <= x < w:
            b = snap.biases[block_index]
            k = min(int(x / w * b.size), b.size - 1)
            return f"bias of {dst} neuron {k}: {b[k]:+.5f}"
        if not (0 <= col < w and 0 <= row < h):
            return ""
        if block_index == 0:
            step = TILE + 1
            tr, pr = divmod(row, step)
            tc, pc = divmod(col, step)
            start, stop = page_range(self._sizes[1], self._page)
            k = start + tr * self._cols + tc
            if pr >= TILE or pc >= TILE or k >= stop:
                return ""
            v = snap.weights[0][pr * TILE + pc, k]
            return f"pixel ({pr}, {pc}) → {names[1]} neuron {k}: w = {v:+.5f}"
        v = snap.weights[block_index][row, col]
        return f"{src} neuron {row} → {dst} neuron {col}: w = {v:+.5f}"

    # ----------------------------------------------------------------- palette
    def _apply_palette(self) -> None:
        pal = self.palette()
        self._canvas.setBackground(cm.background_color(pal))
        self._cmap = cm.diverging_colormap(pal)
        self._legend.setPixmap(cm.legend_pixmap(self._cmap, pal, self.fontMetrics(), self.devicePixelRatioF(),
                                                font=self.font()))
        self._legend.setAlignment(Qt.AlignmentFlag.AlignVCenter)
        self._apply_luts()
        if self._snapshot is not None:
            self.set_weights(self._snapshot)

    def _apply_luts(self) -> None:
        lut = cm.lookup_table(self._cmap)
        pal = self.palette()
        for block in self._blocks:
            block.title_pt = TITLE_PT * cm.presentation_scale(self)
            block.set_lut(lut, cm.foreground_color(pal), cm.background_color(pal))
