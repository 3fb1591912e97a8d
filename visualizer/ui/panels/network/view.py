"""NetworkView: the layers left to right, neurons lit by activation, connections colored by weight."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPalette
from PySide6.QtWidgets import QGraphicsRectItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from visualizer.core import edges
from visualizer.core.edges import N_BINS
from visualizer.core.network import Network, layer_names
from visualizer.session.explanations import shading_legend, verdict
from visualizer.ui.common import colormaps as cm
from visualizer.ui.common.drawing import BinnedLines, neuron_at, still_view
from visualizer.ui.common.lut_image import LutImage
from visualizer.ui.panels.network import layout as geometry, marks
from visualizer.ui.panels.network.layout import BAND, GRID, TOP

CELL_PIXELS = 5  # a wide layer's cell is drawn as 4x4 image pixels and a transparent 1-pixel seam
CELL_FLOOR = 1 / 255  # cell values start here: lookup entry 0 is the background, for the seams
# The output labels get the room the widest of these needs ("✓ guess" is the wider in DejaVu Sans:
# "7  0.12  ✓ guess" ran out of a 1920x1080 presenter view).
WIDEST_LABELS = ("9  1.00  ✗ (is 3)", "9  1.00  ✓ guess")
WIDEST_ANSWERS = ("0.93 yes  ✗ (not an 8)",)  # the same for one neuron's answer (its question is above it)
RESELECT_EVERY = 8  # big matrices: re-pick the strongest edges every Nth update (recolor every time)
BIG_MATRIX = 65536
LABEL_GAP = 4  # pixels between the predicted output's ring and its label
TEXT_MARGIN = 1  # pixels around a title's or label's text (Qt's default 4 took rows a small view lacks)
LABEL_SHRINK = 0.75  # a short view's output labels shrink to fit their rows, down to this share of the font
BRIGHTNESS_LEVELS = 64  # shades of a positive activation (as many again for negative ones, tanh)
ZERO_SHADE = BRIGHTNESS_LEVELS - 1  # the brush of a zero activation: the middle of the signed ramp
MAX_SPOT = 2.8  # the largest disc, view units
RING = 1.45  # the predicted output's ring over its disc's diameter


@dataclass(frozen=True)
class NeuronInfo:
    """What the view knows about one neuron (layer 0 = input pixel, last layer = output)."""

    layer: int
    index: int
    activation: float | None
    bias: float | None
    incoming: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class DrawnRects:
    """Where the view draws its parts, in scene pixels (what a layout test checks for overlaps)."""

    view: QRectF  # what the canvas shows
    titles: list[QRectF]  # per layer, input first
    layers: list[QRectF]  # per layer: the input grid, then each column of discs or grid of cells
    outputs: list[QRectF]  # per output label


class NetworkView(cm.FollowsPalette, QWidget):
    """Draw the network: input grid, hidden neurons, outputs with probabilities, weighted edges.

    With a digit shown, the input fan shows where this digit's signal enters each first hidden
    neuron (the largest pixel × weight products) and deeper edges light up along the active path
    (|weight × activation|); without one, edges show the weights alone. Hovering a neuron shows
    its activation, bias and (first hidden layer) its 784 incoming weights as a 28x28 inset;
    clicking pins those details until clicked again or elsewhere. A pinned neuron (clicked here or
    set with :meth:`set_pinned`) has its connections drawn strong over the dimmed rest; dead
    neurons (:meth:`set_dead`) are crossed out and counted under the drawing.
    """

    neuron_hovered = Signal(object)  # NeuronInfo | None
    neuron_pinned = Signal(object)  # NeuronInfo | None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._sizes: tuple[int, ...] = ()
        self._weights: tuple[np.ndarray, ...] = ()
        self._biases: tuple[np.ndarray, ...] = ()
        self._acts: list[np.ndarray] | None = None
        self._predicted: int | None = None
        self._task: Network | None = None  # a one-neuron network (its question labels the output), else None
        self._true: int | None = None
        self._hovered: tuple[int, int] | None = None
        self._pinned: tuple[int, int] | None = None
        self._gap, self._height = geometry.GAP_RANGE[0], GRID + TOP + geometry.BOTTOM
        self._top = TOP  # view units above the neurons, for the titles: more when the view is small
        self._row_spacing = 3.6  # between the output rows, view units
        self._label = geometry.LABEL  # room right of the outputs, view units
        self._grids: dict[int, geometry.CellGrid] = {}  # wide layers: their grid of cells
        self._cells: list[pg.ImageItem] = []  # ... drawn as one image each
        self._grid_y = TOP
        self._pos: list[np.ndarray] = []  # per layer (n, 2) neuron centers in view units
        self._layer_x: list[float] = []
        self._spot: list[float] = []  # circle diameter per layer, view units
        self._selection: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._weight_updates = 0
        self._deferred = False  # inside set_frame: edges and inset are redrawn once, at its end
        self._fan: tuple[np.ndarray, np.ndarray] | None = None  # (pixel, neuron) of the input fan, for tests
        self._label_state: list[tuple[str, int]] = []
        self._ring_state: list[tuple] | None = None
        self._dead: list[np.ndarray] | None = None  # per hidden layer: never fires on the test set

        self._canvas, self._vb = still_view()

        self._input_img = LutImage(axisOrder="row-major")
        # Over the fan, which starts at the lit pixels: under it, 240 lines hid the digit itself.
        # The fan then leaves the grid's right edge; a pinned neuron's few lines stay on top.
        self._input_img.setZValue(-9.6)
        self._vb.addItem(self._input_img)
        self._grid_frame = QGraphicsRectItem(0, self._grid_y, GRID, GRID)
        self._grid_frame.setZValue(-9.5)
        self._vb.addItem(self._grid_frame)
        self._edges = BinnedLines()  # all connections as one item: a path per colour bin
        self._edges.setZValue(-10)
        self._vb.addItem(self._edges)
        self._pin_edges = BinnedLines()  # the pinned neuron's connections, over the dimmed rest
        self._pin_edges.setZValue(-9)
        self._vb.addItem(self._pin_edges)
        self._dead_marks = pg.ScatterPlotItem(pxMode=True, symbol="x", brush=None)
        self._dead_marks.setZValue(12)
        self._vb.addItem(self._dead_marks)
        # pxMode: spots come from pyqtgraph's pixmap atlas (fast); sizes follow the zoom in _fit_spots.
        self._neurons = pg.ScatterPlotItem(pxMode=True)
        self._neurons.setZValue(10)
        self._vb.addItem(self._neurons)
        self._rings = pg.ScatterPlotItem(pxMode=True, brush=None)  # predicted output, hover, pin
        self._rings.setZValue(11)
        self._vb.addItem(self._rings)
        self._titles: list[pg.TextItem] = []
        self._out_labels: list[pg.TextItem] = []
        self._inset_text = pg.TextItem(anchor=(0, 0))
        self._inset_img = LutImage(axisOrder="row-major")
        for item in (self._inset_text, self._inset_img):
            item.setZValue(20)
            item.setVisible(False)
            self._vb.addItem(item)

        # A compact color key (a static pixmap, redrawn only with the palette) beside the caption.
        self._legend = QLabel()
        self._legend.setToolTip("Connection color: blue = negative, red = positive; stronger = more opaque")
        self._shading = QLabel()  # what a neuron's shade means, negative activations included
        self._shading.setToolTip(shading_legend()[2])
        self._caption = QLabel()
        self._caption.setWordWrap(True)
        self._dead_plain = ""
        self._dead_label = QLabel()  # "✕ 3 of 16 in Hidden 1 never fire"
        self._dead_label.setWordWrap(True)
        self._dead_label.setToolTip("Crossed-out neurons never fire on the test set: they pass nothing on and, "
                                    "with no gradient, no longer learn")
        self._dead_label.hide()
        # The two colour keys stacked (side by side they would widen the view's minimum past a
        # 1024 px window's centre), the caption under them at the view's full width (a narrow
        # column beside the keys made it many lines tall, at the drawing's expense).
        stacked = QVBoxLayout()
        stacked.setSpacing(0)
        stacked.addWidget(self._legend)
        stacked.addWidget(self._shading)
        keys = self._keys = QHBoxLayout()
        keys.setContentsMargins(0, 0, 0, 0)
        keys.addLayout(stacked)
        keys.addStretch(1)
        foot = QVBoxLayout()
        foot.setContentsMargins(4, 0, 4, 0)
        foot.setSpacing(0)
        foot.addLayout(keys)
        foot.addWidget(self._caption)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._canvas, 1)
        layout.addWidget(self._dead_label)
        layout.addLayout(foot)

        self._vb.sigTransformChanged.connect(self._fit_spots)
        self._vb.sigResized.connect(self._on_resized)
        scene = self._canvas.scene()
        # Hover follows the viewport's own mouse moves: the scene's sigMouseMoved drops moves that
        # come within 10 ms of the last one (pyqtgraph's mouseRateLimit), and the dropped one can
        # be where the mouse stops, leaving the inset on a neuron the mouse has left.
        self._canvas.viewport().installEventFilter(self)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)
        self._apply_palette()

    # ----------------------------------------------------------------- public API
    def set_weights(self, snapshot) -> None:
        """Draw the connections and remember the biases of ``snapshot`` (None clears them)."""
        if snapshot is None:
            self._weights, self._biases = (), ()
            self._draw_edges()
            self._refresh_inset()
            return
        sizes = tuple(snapshot.layer_sizes)
        self._weights, self._biases = tuple(snapshot.weights), tuple(snapshot.biases)
        network = getattr(snapshot, "network", None)
        self._task = network if network is not None and network.is_binary else None
        self._weight_updates += 1
        if sizes != self._sizes:
            self._build_layout(sizes)
        if not self._deferred:
            self._draw_edges()
            self._refresh_inset()

    def set_frame(self, snapshot, activations: list[np.ndarray] | None, predicted: int | None = None,
                  true_label: int | None = None) -> None:
        """:meth:`set_weights` then :meth:`set_activations`, computing the edges once (a training
        frame changes both; the edges are most of the cost)."""
        self._deferred = True
        try:
            self.set_weights(snapshot)
            self.set_activations(activations, predicted, true_label)
        finally:
            self._deferred = False
        self._draw_edges()
        self._refresh_inset()

    def set_activations(
        self, activations: list[np.ndarray] | None, predicted: int | None = None, true_label: int | None = None
    ) -> None:
        """Light the neurons: ``[input(784), hidden..., probabilities(10)]`` or None to darken all.

        The edges follow too: with a digit they show its signal flow, without one the weights.
        """
        if activations is not None:
            acts = [np.asarray(a, dtype=np.float32).ravel() for a in activations]
            sizes = tuple(a.size for a in acts)
            if sizes != self._sizes:
                if self._weights:  # activations from another architecture: not ours to draw
                    acts = None
                else:
                    self._build_layout(sizes)
            activations = acts
        had_input = self._acts is not None
        self._acts = activations
        self._predicted = None if activations is None else predicted
        self._true = None if activations is None else true_label
        self._draw_activations()
        if self._deferred:
            return
        if activations is not None or had_input:
            self._draw_edges()
        self._refresh_inset()

    def set_pinned(self, neuron: tuple[int, int] | None) -> None:
        """Pin ``(layer, index)`` from outside (the session's selection) without emitting; None unpins.

        A neuron this network does not have unpins.
        """
        key = None if neuron is None else (int(neuron[0]), int(neuron[1]))
        if key is not None and not (key[0] < len(self._sizes) and key[1] < self._sizes[key[0]]):
            key = None
        if key == self._pinned:
            return
        self._pinned = key
        self._draw_rings()
        self._refresh_inset()
        self._draw_pinned()

    def set_dead(self, dead: list[np.ndarray] | None) -> None:
        """Cross out the neurons that never fire: one bool mask per hidden layer (None: no marks)."""
        dead = None if dead is None else [np.asarray(m, dtype=bool).copy() for m in dead]
        if _same_masks(dead, self._dead):
            return  # a scrub's analyses mostly find the same neurons dead: nothing to redraw
        self._dead = dead
        self._draw_dead()

    def drawn_items(self) -> tuple[int, int]:
        """(neuron items, connection segments) drawn now: a disc per neuron of a narrow layer and one
        image per wide layer; the connections, pinned ones included. Bounded whatever the width."""
        return len(self._neurons.data) + len(self._cells), int(self._edges.counts.sum() + self._pin_edges.counts.sum())

    def output_texts(self) -> list[str]:
        """The output labels as drawn ("3  0.91  ✓", or the one neuron's "is it a 6?" and its answer)."""
        return [label.textItem.toPlainText() for label in self._out_labels]

    def dead_count(self) -> int:
        """Neurons crossed out now."""
        return len(self._dead_marks.data)

    def pinned_edge_count(self) -> int:
        """Connections drawn for the pinned neuron (0 when none is pinned)."""
        return int(self._pin_edges.counts.sum())

    def dead_text(self) -> str:
        """The count under the drawing, e.g. '3 of 16 in Hidden 1 never fire' ('' when none is dead)."""
        return self._dead_plain

    def pinned_info(self) -> NeuronInfo | None:
        """Details of the pinned neuron, with current values (None when nothing is pinned)."""
        return self._info(self._pinned)

    def edge_summary(self) -> str:
        """Which connections are drawn (all, or the strongest per neuron), one line per layer pair."""
        return self._caption.toolTip()

    def neuron_position(self, layer: int, index: int) -> QPointF:
        """Where neuron ``index`` of ``layer`` (1 = Hidden 1) is drawn, in view units (for :meth:`click_at`)."""
        x, y = self._pos[layer][index]
        return QPointF(float(x), float(y))

    def input_rect(self) -> QRectF:
        """Where the 28x28 input grid sits, in view units (one unit per pixel)."""
        return QRectF(0, self._grid_y, GRID, GRID)

    def drawn_rects(self) -> DrawnRects:
        """The rectangles of the titles, the layers and the output labels as they are drawn now."""
        def scene_rect(x0: float, y0: float, x1: float, y1: float) -> QRectF:
            a, b = self._vb.mapViewToScene(QPointF(x0, y0)), self._vb.mapViewToScene(QPointF(x1, y1))
            return QRectF(a, b).normalized()

        for item in self._titles + self._out_labels:
            item.updateTransform(force=True)  # as painting would: text keeps its size in pixels
        layers = [scene_rect(0, self._grid_y, GRID, self._grid_y + GRID)]
        px, py = self._vb.viewPixelSize()
        for i in range(1, len(self._sizes)):
            if i in self._grids:
                x, y, w, h = self._grids[i].rect
                layers.append(scene_rect(x, y, x + w, y + h))
                continue
            half = self._to_pixels(self._spot[i]) / 2  # discs are drawn in pixels, at least 2 across
            (x0, y0), (x1, y1) = self._pos[i].min(axis=0), self._pos[i].max(axis=0)
            layers.append(scene_rect(x0 - half * px, y0 - half * py, x1 + half * px, y1 + half * py))
        return DrawnRects(self._vb.sceneBoundingRect(), [t.sceneBoundingRect() for t in self._titles], layers,
                          [t.sceneBoundingRect() for t in self._out_labels])

    def add_to_footer(self, widget: QWidget) -> None:
        """Put ``widget`` (the window's "?") at the end of the colour keys' row under the drawing."""
        self._keys.addWidget(widget)

    def fan_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """(input pixel, hidden-1 neuron) index pairs of the input fan currently drawn."""
        return self._fan if self._fan is not None else (np.empty(0, np.int64), np.empty(0, np.int64))

    # ----------------------------------------------------------------- layout
    def _aspect(self) -> float:
        w, h = self._vb.width(), self._vb.height()
        return w / h if w > 10 and h > 10 else 1.6

    def _build_layout(self, sizes: tuple[int, ...]) -> None:
        self._sizes = sizes
        self._hovered = self._pinned = None
        if self._acts is not None and tuple(a.size for a in self._acts) != sizes:
            self._acts = self._predicted = self._true = None  # the old network's: nothing to light
        self._selection = {}
        self._gap, self._height, self._label, self._top, _ = self._geometry(sizes)
        self._neurons.setData(pos=np.zeros((self._disc_count(sizes), 2)), pen=self._neuron_pen)
        for item in self._titles + self._out_labels + self._cells:
            self._vb.removeItem(item)
        n = len(sizes)
        self._title_options = geometry.title_options(layer_names(n), sizes)
        # The input's title sits on its grid; the others hang from the view's top edge, so a short
        # view (1024x700) never cuts them off (their bottom at TOP - 0.5 did).
        self._titles = [self._add_text(o[0], (0, 0), (0.5, 1.0) if i == 0 else (0.5, 0.0))
                        for i, o in enumerate(self._title_options)]
        self._cells = []
        for i in range(1, n):
            if geometry.is_wide(sizes[i]):
                item = LutImage(axisOrder="row-major")
                item.setZValue(10)
                item.setLookupTable(self._cell_lut)
                self._vb.addItem(item)
                self._cells.append(item)
        self._out_labels = [self._add_text(str(d), (0, 0), (0.0, 0.5), margin=0) for d in range(sizes[-1])]
        self._label_state = [("", -1)] * sizes[-1]
        self._apply_text_colors()
        self._ask_height()
        self._place()

    def _geometry(self, sizes: tuple[int, ...]) -> geometry.Geometry:
        return geometry.network_geometry(len(sizes), self._vb.width(), self._vb.height(),
                                         self._label_px() + LABEL_GAP, _line(self._font) + 2 * TEXT_MARGIN)

    def _label_px(self) -> float:
        """Pixels across the widest output label needs (at the full font), and a little."""
        fm = QFontMetricsF(self._font)
        return max(fm.horizontalAdvance(t) for t in (WIDEST_ANSWERS if self._task is not None else WIDEST_LABELS)) + 4

    def _out_scale(self, rings_x: float) -> float:
        """Pixels per view unit with the labels' pixels right of ``rings_x`` (the outputs' rings) in the view."""
        w, h = self._vb.width(), self._vb.height()
        if w <= 10 or h <= 10:
            return 8.0
        return min((w - self._label_px() - LABEL_GAP) / (rings_x + 1), h / self._height)  # the range starts at -1

    def _lines_per_label(self) -> int:
        """Text lines of an output label: one per digit, two for the one neuron (its question over its answer)."""
        return 2 if self._task is not None and self._sizes[-1:] == (1,) else 1

    def _ask_height(self) -> None:
        """The least canvas height at which the titles and every output row fit at the smallest label
        font (below it rows would overlap): the dock keeps at least that for the drawing."""
        if not self._sizes:
            return
        title = _line(self._font) + 2 * TEXT_MARGIN + 3
        row = _line(self._shrunk_font(LABEL_SHRINK))
        margins = 2 * 2 + 6 + 2  # the canvas's own, BOTTOM at a small view's scale, and rounding
        self._canvas.setMinimumHeight(int(np.ceil(title + self._sizes[-1] * self._lines_per_label() * row + margins)))

    def _shrunk_font(self, share: float) -> QFont:
        font = QFont(self._font)
        font.setPointSizeF(self._font.pointSizeF() * share)
        return font

    @staticmethod
    def _disc_count(sizes: tuple[int, ...]) -> int:
        """Neurons drawn as discs: those of the layers that are not wide."""
        return sum(n for n in sizes[1:] if not geometry.is_wide(n))

    def _discs(self) -> list[int]:
        """The layers (1 = Hidden 1) drawn as columns of discs, in order."""
        return [i for i in range(1, len(self._sizes)) if i not in self._grids]

    def _place(self) -> None:
        """Position everything for the current geometry (on a new architecture or a new shape)."""
        sizes, n = self._sizes, len(self._sizes)
        top, bottom = self._top, self._height - geometry.BOTTOM
        middle = (top + bottom) / 2
        self._grid_y = max(top, middle - GRID / 2)
        self._layer_x = [GRID / 2] + [GRID + self._gap * i for i in range(1, n)]
        rings_x = self._layer_x[-1] + RING * MAX_SPOT / 2  # the widest the predicted output's ring gets
        self._pos = [self._grid_centers()]
        self._spot = [1.0]
        self._grids = {}
        for i in range(1, n):
            if geometry.is_wide(sizes[i]):
                grid = self._grids[i] = geometry.cell_grid(sizes[i], self._layer_x[i], middle, BAND * self._gap, bottom - top)
                self._pos.append(grid.centers())
                self._spot.append(grid.cell)
                continue
            spacing = min(3.6, (bottom - top) / sizes[i])
            if i == n - 1:  # the outputs: each label's line needs its pixels
                spacing = self._row_spacing = geometry.row_spacing(sizes[i], bottom - top, self._out_scale(rings_x),
                                                                          self._lines_per_label() * _line(self._font))
            y = middle + (np.arange(sizes[i]) - (sizes[i] - 1) / 2) * spacing
            self._pos.append(np.column_stack([np.full(sizes[i], self._layer_x[i]), y]))
            self._spot.append(float(np.clip(spacing * 0.72, 0.25, MAX_SPOT)))
        discs = self._discs()
        self._neurons.setData(pos=np.concatenate([self._pos[i] for i in discs]), size=self._spot_pixels(), pen=self._neuron_pen)
        self._grid_frame.setRect(self.input_rect())
        for i in range(1, n):
            self._titles[i].setPos(self._layer_x[i], 0.0)
        # The labels right of the predicted output's ring, and the view just wide enough for them
        # (in pixels, at the scale this range gives: they keep their size whatever the zoom).
        rings_x = self._layer_x[-1] + RING * self._spot[-1] / 2
        scale = self._out_scale(rings_x)
        out_x = rings_x + LABEL_GAP / scale
        for label, y in zip(self._out_labels, self._pos[-1][:, 1], strict=True):
            label.setPos(out_x, y)
        self._vb.setRange(xRange=(-1, out_x + self._label_px() / scale), yRange=(0, self._height), padding=0)
        self._fit_labels()
        self._draw_activations()
        self._draw_edges()
        self._draw_dead()
        self._refresh_inset()
        self._fit_titles()

    def _on_resized(self) -> None:
        if not self._sizes:
            return
        self._relayout()

    def _relayout(self, force: bool = False) -> None:
        """Solve the geometry for the canvas's size again; place everything anew when it changed (or ``force``)."""
        gap, height, label, top, _ = self._geometry(self._sizes)
        if (force or abs(gap - self._gap) > 0.02 * self._gap or abs(height - self._height) > 0.02 * self._height
                or abs(label - self._label) > 0.02 * self._label or abs(top - self._top) > 0.02 * self._top):
            self._gap, self._height, self._label, self._top = gap, height, label, top
            self._place()

    def _fit_labels(self) -> None:
        """The output labels at the largest font (the full one, else down to LABEL_SHRINK of it) whose
        line fits the rows' spacing on screen, so neighbouring rows never overlap."""
        if not self._out_labels or self._vb.height() <= 10:
            return
        px = self._vb.viewPixelSize()[1]
        if not px > 0:
            return
        room = self._row_spacing / px / self._lines_per_label() - 0.1  # a little for rounding
        share = 1.0
        while share > LABEL_SHRINK and _line(self._shrunk_font(share)) > room:
            share -= 0.05
        font = self._shrunk_font(max(share, LABEL_SHRINK))
        if font.pointSizeF() != self._label_font.pointSizeF():
            self._label_font = font
            for item in self._out_labels:
                item.setFont(font)

    def _to_pixels(self, units: float) -> float:
        px = self._vb.viewPixelSize()[0] if self._vb.width() > 0 else 0.1
        return max(units / px, 2.0) if px > 0 else 2.0

    def _spot_pixels(self) -> np.ndarray:
        discs = self._discs()
        return np.repeat([self._to_pixels(self._spot[i]) for i in discs], [self._sizes[i] for i in discs])

    def _fit_spots(self, *_) -> None:
        """Keep circles at their size in view units when the widget is resized; titles that fit."""
        sizes = self._spot_pixels() if self._spot else np.empty(0)
        # Also called while setData is still filling the scatter (the view reacts to new bounds).
        if sizes.size and len(self._neurons.data) == sizes.size:
            self._neurons.setSize(sizes)
            self._draw_rings()
            self._draw_dead()
        self._fit_labels()
        self._fit_titles()

    def _fit_titles(self) -> None:
        """The longest layer titles whose boxes do not touch: 'Hidden 1 (1024)', else 'H1 (1024)', else 'H1'."""
        if not self._titles or len(self._layer_x) != len(self._titles) or self._vb.width() <= 10:
            return
        px = self._vb.viewPixelSize()[0]
        if not px > 0:
            return
        metrics = QFontMetricsF(self._font)

        def width(text: str) -> float:
            return metrics.horizontalAdvance(text) + 2 * TEXT_MARGIN + 2

        left = -1 + 0.3  # the view's left edge, and a little
        texts = geometry.fit_titles(self._title_options, [x / px for x in self._layer_x], width, spacing_px=8,
                                    left_px=left / px)  # 12 pixels between neighbouring texts
        for item, text in zip(self._titles, texts, strict=True):
            if item.toPlainText() != text:
                item.setText(text)
        # The input's title over its grid, moved right when it is wider than the grid and would
        # otherwise start left of the view (a small view cut "Input 28×28" to "nput 28×28").
        w = width(texts[0]) * px
        self._titles[0].setPos(geometry.first_center(GRID / 2, w, left), self._grid_y - 0.3)

    def _grid_centers(self) -> np.ndarray:
        r, c = np.divmod(np.arange(GRID * GRID), GRID)
        return np.column_stack([c + 0.5, self._grid_y + r + 0.5]).astype(np.float64)

    def _add_text(self, text: str, at, anchor, margin: float = TEXT_MARGIN) -> pg.TextItem:
        item = pg.TextItem(anchor=anchor)
        item.textItem.document().setDocumentMargin(margin)
        item.setText(text)
        item.setFont(self._font)
        item.setPos(*at)
        self._vb.addItem(item)
        return item

    # ----------------------------------------------------------------- edges
    def _selected(self, i: int, w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k strongest weights into each neuron, cached for big matrices."""
        cached = self._selection.get(i)
        # argpartition over a big matrix costs tens of ms and its answer changes slowly,
        # so big matrices re-pick their strongest edges only every few updates.
        refresh = w.size <= BIG_MATRIX or self._weight_updates % RESELECT_EVERY == 0
        if cached is None or cached[0].size != k * w.shape[1] or (k < w.shape[0] and refresh):
            cached = self._selection[i] = edges.strongest_per_column(w, k)
        return cached

    def _fan_edges(self, w: np.ndarray, x: np.ndarray | None):
        """Input -> hidden 1: (rows, cols, values in [-1, 1], description)."""
        lit = edges.lit_pixels(x, w.shape[0])
        if geometry.is_wide(w.shape[1]):
            acts = self._acts[1] if self._acts is not None and lit.size else None
            cols = edges.candidates(w.shape[1], acts)
            if lit.size:
                rows, cols, vals = edges.wide_pair_edges(w, lit, cols, x)
                return rows, cols, vals, f"the {rows.size} largest pixel × weight products into its most active neurons"
            rows, cols, vals = edges.wide_pair_edges(w, np.arange(w.shape[0]), cols, None)
            return rows, cols, vals, f"the {rows.size} strongest weights into {cols.size} of its neurons (faint)"
        if lit.size:
            rows, cols, vals, k = edges.digit_fan(w, x, lit)
            text = f"the {k} largest pixel × weight products per neuron, from this digit's lit pixels"
            return rows, cols, vals, text
        k = edges.fan_per_neuron(w.shape[1], False)
        rows, cols = self._selected(0, w, k)
        vals = edges.FAINT * w[rows, cols] / edges.symmetric_max(w)
        return rows, cols, vals, f"the {k} strongest weights per neuron (faint)"

    def _deep_edges(self, i: int, w: np.ndarray, a: np.ndarray | None):
        """Hidden -> next layer: (rows, cols, values in [-1, 1], k per neuron; 0 for a bounded pick)."""
        if geometry.is_wide(w.shape[0]) or geometry.is_wide(w.shape[1]):
            after = self._acts[i + 1] if self._acts is not None else None
            rows = edges.candidates(w.shape[0], a)
            cols = edges.candidates(w.shape[1], after if a is not None else None)
            return *edges.wide_pair_edges(w, rows, cols, a), 0
        k = edges.deep_per_neuron(*w.shape)
        rows, cols = self._selected(i, w, k)
        return rows, cols, edges.deep_values(w, rows, cols, a), k

    def _draw_edges(self) -> None:
        if not self._weights or len(self._weights) != len(self._sizes) - 1 or not self._pos:
            self._edges.set_lines(np.empty(0), np.empty(0), np.zeros(N_BINS + 1, np.int64), QRectF())
            self._fan = None
            self._set_caption("", "")
            self._draw_pinned()
            return
        names = layer_names(len(self._sizes))
        acts = self._acts
        starts, ends, vals, notes = [], [], [], []
        rows, cols, v, fan_text = self._fan_edges(self._weights[0], None if acts is None else acts[0])
        self._fan = (rows, cols)
        starts.append(self._pos[0][rows]), ends.append(self._pos[1][cols]), vals.append(v)
        notes.append(f"Input → {names[1]}: {fan_text} ({rows.size:,} of {self._weights[0].size:,})")
        capped = []
        for i in range(1, len(self._weights)):
            w = self._weights[i]
            rows, cols, v, k = self._deep_edges(i, w, None if acts is None else acts[i])
            starts.append(self._pos[i][rows]), ends.append(self._pos[i + 1][cols]), vals.append(v)
            src, dst = names[i], names[i + 1]
            if k == 0:
                notes.append(f"{src} → {dst}: the strongest {rows.size:,} of {w.size:,}")
                capped.append(f"{dst}: the strongest {rows.size}")
            elif k >= w.shape[0]:
                notes.append(f"{src} → {dst}: all {w.size:,}")
            else:
                notes.append(f"{src} → {dst}: strongest {k} of {w.shape[0]} per neuron ({k * w.shape[1]:,} of {w.size:,})")
                capped.append(f"{dst}: strongest {k} per neuron")
        x, y, bounds = edges.binned_segments(np.concatenate(starts), np.concatenate(ends), np.concatenate(vals))
        self._edges.set_lines(x, y, bounds, QRectF(-1, 0, self._layer_x[-1] + 2, self._height))
        deeper = "all deeper connections" + (f" ({'; '.join(capped)})" if capped else "")
        if acts is not None:
            text = f"Into {names[1]}: {fan_text}. Then {deeper}, brightest along the active path (|weight × activation|)."
        else:
            text = f"Into {names[1]}: {fan_text}. Then {deeper}, opacity = |weight| ÷ layer max. Show a digit to see its signal flow."
        self._set_caption(text + " Hover or click a neuron for details.", "\n".join(notes))
        self._draw_pinned()

    def _draw_pinned(self) -> None:
        """The pinned neuron's connections over the others, which dim meanwhile."""
        key = self._pinned
        if key is None or not self._weights or len(self._weights) != len(self._sizes) - 1 or not self._pos:
            self._pin_edges.set_lines(np.empty(0), np.empty(0), np.zeros(N_BINS + 1, np.int64), QRectF())
            self._edges.setOpacity(1.0)
            return
        starts, ends, values = marks.pinned_segments(self._weights, self._pos, *key)
        x, y, bounds = edges.binned_segments(starts, ends, values)
        self._pin_edges.set_lines(x, y, bounds, QRectF(-1, 0, self._layer_x[-1] + 2, self._height))
        self._edges.setOpacity(marks.DIMMED)

    def _draw_dead(self) -> None:
        if not self._sizes or not self._pos:
            return
        pos = marks.dead_positions(self._dead, self._pos, self._sizes)
        counts = [int(m.sum()) for m in self._dead] if pos.size else []  # masks that fit these layers
        if pos.size:
            size = np.concatenate([np.full(n, self._to_pixels(self._spot[i] * 0.8)) for i, n in enumerate(counts, start=1)])
            self._dead_marks.setData(pos=pos, size=size, pen=self._dead_pen, brush=None, symbol="x")
        else:
            self._dead_marks.setData(pos=np.empty((0, 2)))
        text = self._dead_plain = marks.dead_text(counts, self._sizes, layer_names(len(self._sizes)))
        self._dead_label.setVisible(bool(text))
        if text:
            self._dead_label.setText(f"<b style='color:{self._bad.name()}'>\N{MULTIPLICATION X}</b> {text} "
                                     "(on the test set)")

    def _set_caption(self, text: str, tooltip: str) -> None:
        if text != self._caption.text():  # a QLabel re-layouts on every setText
            self._caption.setText(text)
        if tooltip != self._caption.toolTip():
            self._caption.setToolTip(tooltip)

    # ----------------------------------------------------------------- neurons
    def _draw_activations(self) -> None:
        if not self._sizes or not self._pos:
            return
        n_layers = len(self._sizes)
        acts = self._acts
        img = np.zeros((GRID, GRID), np.float32)
        if acts is not None and acts[0].size == GRID * GRID:
            img = acts[0].reshape(GRID, GRID)
        self._input_img.setImage(img, autoLevels=False, levels=(0, 1))
        # setRect scales by the current image size, so it must follow setImage.
        self._input_img.setRect(self.input_rect())
        discs = self._discs()
        if acts is None:
            idx = np.zeros(sum(self._sizes[i] for i in discs), dtype=np.int64)  # every neuron at zero
            for item, grid in zip(self._cells, self._grids.values(), strict=True):
                self._show_cells(item, grid, np.zeros(grid.n, np.float32))
        else:
            # Signed, in [-1, 1]: a hidden layer by its largest magnitude, the outputs as they are
            # (probabilities). A negative activation (tanh) gets the negative shades, not a positive one's.
            parts = []
            for i in range(1, n_layers):
                a = acts[i]
                scale = 1.0 if i == n_layers - 1 else max(float(np.abs(a).max(initial=0.0)), 1e-6)
                parts.append(np.clip(a / scale, -1.0, 1.0))
            for item, (i, grid) in zip(self._cells, self._grids.items(), strict=True):
                self._show_cells(item, grid, parts[i - 1])
            lit = [parts[i - 1] for i in discs]
            idx = np.rint(np.concatenate(lit) * ZERO_SHADE).astype(np.int64) if lit else np.empty(0, np.int64)
        idx = np.clip(idx + ZERO_SHADE, 0, 2 * ZERO_SHADE)
        self._neurons.setBrush([self._brushes[i] for i in idx])
        probs = None if acts is None else acts[-1]
        for d, label in enumerate(self._out_labels):
            text = f"{d}" if probs is None else f"{d}  {probs[d]:.2f}"
            color = self._fg
            if self._task is not None and len(self._out_labels) == 1:
                text, color = self._answer_label(probs)
            elif d == self._predicted:
                color = self._pred_color()
                if self._true is not None:
                    v = verdict(self._predicted, self._true, float(probs[d]), len(probs))
                    text += f"  {v.mark}" + (" guess" if v.guess else "" if v.right else f" (is {self._true})")
            state = (text, color.rgba())
            if state != self._label_state[d]:  # re-laying out a text item costs more than comparing
                self._label_state[d] = state
                label.setText(text)
                label.setColor(color)
        self._draw_rings()

    def _show_cells(self, item: pg.ImageItem, grid: geometry.CellGrid, values: np.ndarray) -> None:
        """A wide layer's cells (``values`` in [-1, 1]), lit like the discs, on an opaque grid: lines of
        background colour between cells keep them apart, and connections end at the grid's edge
        instead of crossing it."""
        lit = CELL_FLOOR + (1.0 - CELL_FLOOR) * (np.clip(values, -1.0, 1.0) + 1.0) / 2
        item.setImage(grid.image(lit, CELL_PIXELS, seam=0.0), autoLevels=False, levels=(0, 1))
        x, y, w, h = grid.rect
        item.setRect(QRectF(x, y, w, h))

    def _answer_label(self, probs) -> tuple[str, QColor]:
        """The one output neuron's label: its question, and with an input its P, answer and whether it is right."""
        net = self._task
        if probs is None or self._predicted is None:
            return net.question, self._fg
        text = f"{net.question}\n{float(probs[0]):.2f} {'yes' if self._predicted else 'no'}"
        if self._true is not None and net.digit is not None:
            article = "an" if net.digit == 8 else "a"
            text += "  ✓" if self._is_right() else f"  ✗ ({'is' if self._true == net.digit else 'not'} {article} {net.digit})"
        return text, self._pred_color()

    def _is_right(self) -> bool:
        """The prediction matches the true label (for one neuron: yes exactly when the label is its digit)."""
        if self._task is not None:
            return bool(self._predicted) == (self._true == self._task.digit)
        return self._predicted == self._true

    def _pred_color(self) -> QColor:
        if self._true is None or (self._task is not None and self._task.digit is None):
            return self._accent
        return self._good if self._is_right() else self._bad

    def _ringed_output(self) -> int | None:
        """The output neuron ringed as the prediction (one neuron: always it, its colour says yes or no)."""
        if self._predicted is None or not self._sizes:
            return None
        index = 0 if self._task is not None else self._predicted
        return index if 0 <= index < self._sizes[-1] else None

    def _draw_rings(self) -> None:
        rings = []  # (x, y, size in pixels, color, pen width)
        if self._ringed_output() is not None:
            x, y = self._pos[-1][self._ringed_output()]
            rings.append((x, y, self._to_pixels(self._spot[-1] * RING), self._pred_color().rgba(), 2.0 * self._ring_width))
        for key, color in ((self._pinned, self._accent), (self._hovered, self._fg)):
            if key is not None and key[0] > 0:
                x, y = self._pos[key[0]][key[1]]
                rings.append((x, y, self._to_pixels(max(self._spot[key[0]] * 1.25, 0.9)), color.rgba(), 1.5 * self._ring_width))
        if rings == self._ring_state:  # most frames: same prediction, nothing hovered
            return
        self._ring_state = rings
        spots = [dict(pos=(x, y), size=size, pen=pg.mkPen(QColor.fromRgba(rgba), width=width))
                 for x, y, size, rgba, width in rings]
        self._rings.setData(spots, brush=None)

    # ----------------------------------------------------------------- hover / pin
    def _info(self, key: tuple[int, int] | None) -> NeuronInfo | None:
        if key is None or not self._sizes:
            return None
        layer, index = key
        act = None
        if self._acts is not None and index < self._acts[layer].size:
            act = float(self._acts[layer][index])
        bias = incoming = None
        if layer > 0 and self._biases:
            bias = float(self._biases[layer - 1][index])
            incoming = np.array(self._weights[layer - 1][:, index])
        return NeuronInfo(layer, index, act, bias, incoming)

    def neuron_at(self, view_pos: QPointF) -> tuple[int, int] | None:
        """(layer, index) of the neuron or input pixel under a point in view units, if any."""
        if not self._sizes:
            return None
        for layer, grid in self._grids.items():
            k = grid.index_at(view_pos.x(), view_pos.y())
            if k is not None:
                return layer, k
        # Wide layers are hit-tested above; nan keeps neuron_at's column test off their cells.
        xs = [x if i not in self._grids else float("nan") for i, x in enumerate(self._layer_x)]
        return neuron_at(view_pos.x(), view_pos.y(), self._grid_y, xs, self._spot, self._pos)

    def eventFilter(self, obj, event) -> bool:
        if obj is self._canvas.viewport():
            if event.type() == QEvent.Type.MouseMove:
                self._on_mouse_moved(self._canvas.mapToScene(event.position().toPoint()))
            elif event.type() == QEvent.Type.Leave:
                self._on_mouse_moved(None)
        return super().eventFilter(obj, event)

    def _on_mouse_moved(self, scene_pos: QPointF | None) -> None:
        key = None if scene_pos is None else self.neuron_at(self._vb.mapSceneToView(scene_pos))
        if key != self._hovered:
            self._hovered = key
            self._draw_rings()
            self._refresh_inset()
            self.neuron_hovered.emit(self._info(key))

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self.click_at(self._vb.mapSceneToView(event.scenePos()))

    def click_at(self, view_pos: QPointF) -> None:
        """Toggle the pin on the neuron under ``view_pos`` (view units); empty space unpins."""
        key = self.neuron_at(view_pos)
        self._pinned = None if key == self._pinned else key
        self._draw_rings()
        self._refresh_inset()
        self._draw_pinned()
        self.neuron_pinned.emit(self._info(self._pinned))

    def _refresh_inset(self) -> None:
        key = self._pinned if self._pinned is not None else self._hovered
        info = self._info(key)
        if info is None:
            self._inset_text.setVisible(False)
            self._inset_img.setVisible(False)
            return
        n = len(self._sizes)
        if info.layer == 0:
            r, c = divmod(info.index, GRID)
            lines = [f"Input pixel ({r}, {c})"]
        else:
            lines = [f"{layer_names(n)[info.layer]} · neuron {info.index}"]
        if info.activation is not None:
            word = "probability" if info.layer == n - 1 else "value" if info.layer == 0 else "activation"
            lines.append(f"{word} {info.activation:.3f}")
        if info.bias is not None:
            lines.append(f"bias {info.bias:+.3f}")
        if self._pinned is not None:
            lines.append("(pinned: click to release)")
        show_img = info.layer == 1 and info.incoming is not None and info.incoming.size == GRID * GRID
        if show_img:
            lines.append("incoming weights:")
        self._inset_text.setText("\n".join(lines))
        # Right of the neuron, or left of it for the output layer.
        if info.layer == 0:
            x, y = GRID + 1.0, self._grid_y
        else:
            px, py = self._pos[info.layer][info.index]
            x = px + 1.5 if info.layer < n - 1 else px - 14
            y = float(np.clip(py - 4, self._top, self._height - 18))  # below the layer titles
        self._inset_text.setPos(x, y)
        self._inset_text.setVisible(True)
        self._inset_img.setVisible(show_img)
        if show_img:
            w = info.incoming.reshape(GRID, GRID)
            m = cm.symmetric_max(w)
            self._inset_img.setImage(w, autoLevels=False, levels=(-m, m))
            _, px_h = self._vb.viewPixelSize()
            text_h = self._inset_text.textItem.boundingRect().height() * px_h
            self._inset_img.setRect(QRectF(x + 0.4, y + text_h + 0.2, 11, 11))

    # ----------------------------------------------------------------- palette
    def _apply_palette(self) -> None:
        pal = self.palette()
        bg, self._fg = cm.background_color(pal), cm.foreground_color(pal)
        dark = cm.is_dark(pal)
        self._accent = QColor(pal.color(QPalette.ColorRole.Highlight))
        self._good = QColor("#3fbf5f" if dark else "#1a8a35")
        self._bad = QColor("#ff5c5c" if dark else "#c62828")
        self._font = QFont(self.font())
        self._font.setPointSizeF(max(self.font().pointSizeF(), 8.0))
        self._label_font = QFont(self._font)  # the output labels': smaller in a short view (_fit_labels)
        stroke = cm.presentation_scale(self)  # thicker lines when the fonts are scaled up (presenter mode)
        self._canvas.setBackground(bg)
        diverging = cm.diverging_colormap(pal)
        # Built once per palette: reusing brush objects keeps ScatterPlotItem.setBrush fast.
        # A dark neuron is a shade off the background, so its disc reads even when unlit; negative
        # activations (tanh) take the diverging map's negative colour, so they never look positive.
        # 64 levels a side: each (brush, size) pair is a pixmap in pyqtgraph's atlas, so fewer levels stay cached.
        self._shade_map = cm.activation_colormap(pal)
        self._brushes = [pg.mkBrush(self._shade_map.map(float(t), mode="qcolor"))
                         for t in np.linspace(0.0, 1.0, 2 * BRIGHTNESS_LEVELS - 1)]
        # Wide layers' cells: the same ramp as the discs, its middle a shade further off the background.
        self._cell_lut = cm.lookup_table(cm.activation_colormap(pal, zero=0.14))
        self._cell_lut[0] = np.asarray(bg.getRgb()[: self._cell_lut.shape[1]], dtype=self._cell_lut.dtype)
        for item in self._cells:
            item.setLookupTable(self._cell_lut)
        self._neuron_pen = pg.mkPen(cm.mix(bg, self._fg, 0.55), width=1.2 * stroke)
        # White ink on black, as on the Draw pad (and in MNIST), whatever the theme; blank pixels
        # a shade off black, so the empty grid still reads as a panel on a dark background.
        ink = pg.ColorMap([0.0, 1.0], [QColor(18, 18, 18), QColor(255, 255, 255)])
        self._input_img.setLookupTable(cm.lookup_table(ink))
        self._grid_frame.setPen(pg.mkPen(cm.mix(bg, self._fg, 0.35), width=stroke))
        metrics, ratio = self.fontMetrics(), self.devicePixelRatioF()
        self._legend.setPixmap(cm.legend_pixmap(diverging, pal, metrics, ratio, font=self.font()))
        left, right, _tip = shading_legend()
        self._shading.setPixmap(cm.legend_pixmap(self._shade_map, pal, metrics, ratio, left=left, right=right,
                                                 font=self.font()))
        self._inset_img.setLookupTable(cm.lookup_table(diverging))
        fill = QColor(bg)
        fill.setAlpha(235)
        self._inset_text.fill = pg.mkBrush(fill)
        fill = QColor(bg)
        fill.setAlpha(200)
        self._title_fill = pg.mkBrush(fill)  # behind the titles: the input's may sit over its fan
        self._inset_text.border = pg.mkPen(cm.mix(bg, self._fg, 0.4))
        pens = []
        for b in range(N_BINS):
            # Full sign color, strength in the opacity (a faded color would vanish into the background).
            strength = (abs(b - (N_BINS - 1) / 2) + 0.5) / (N_BINS // 2)  # 1/8 (weak) .. 1 (strong)
            color = diverging.map(1.0 if b >= N_BINS // 2 else 0.0, mode="qcolor")
            color.setAlphaF(float(0.03 + 0.97 * strength**1.6))
            pens.append(pg.mkPen(color, width=round(stroke)))  # width 1 (2 in presenter mode): no antialiasing either way
        self._edges.set_pens(pens)
        pin_pens = []
        for b, pen in enumerate(pens):
            color = QColor(pen.color())
            strength = (abs(b - (N_BINS - 1) / 2) + 0.5) / (N_BINS // 2)
            color.setAlphaF(float(0.35 + 0.65 * strength))
            pin_pens.append(pg.mkPen(color, width=2 * stroke))
        self._pin_edges.set_pens(pin_pens)
        self._dead_pen = pg.mkPen(self._bad, width=2 * stroke)
        self._ring_width = stroke
        if self._sizes:
            self._neurons.setPen(self._neuron_pen)
            self._apply_text_colors()
            self._draw_activations()
            self._ask_height()
            self._relayout(force=True)  # a new font (presenter mode) needs other label widths and rows

    def _apply_text_colors(self) -> None:
        for item in self._titles + self._out_labels + [self._inset_text]:
            item.setColor(self._fg)
            item.setFont(self._label_font if item in self._out_labels else self._font)
        for item in self._titles:
            item.fill = self._title_fill
        self._label_state = [("", -1)] * len(self._out_labels)  # recolor on the next draw
        self._ring_state = None


def _line(font: QFont) -> int:
    """Pixels a line of text takes in a text item (whole pixels: Qt rounds each line up)."""
    return math.ceil(QFontMetricsF(font).height())


def _same_masks(a: list[np.ndarray] | None, b: list[np.ndarray] | None) -> bool:
    """True when two lists of dead-neuron masks (or None) are equal."""
    if a is None or b is None:
        return a is b
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b, strict=True))
