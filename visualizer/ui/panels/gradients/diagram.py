"""GradientDiagram: what one example asks of the network — output nudges, each neuron's desired change, -dL/dw on the edges.

As 3Blue1Brown draws it: beside each output an arrow, up for the target, down for the others,
as long as the error; beside each hidden neuron the same kind of arrow for -delta (its desired
change); the connections coloured by -dL/dw, the way each weight wants to move (red: up, blue:
down), the strongest drawn with the activation view's edge rules (core/edges). The explain
dialog uses the same diagram with part of it revealed (:meth:`GradientDiagram.set_reveal`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from visualizer.core import edges
from visualizer.session.gradients import GradientMoment
from visualizer.session.stepper import LayerMode, PairMode, reveal_modes
from visualizer.ui.common import colormaps as cm
from visualizer.ui.panels.gradients import texts
from visualizer.ui.common.drawing import neuron_at, still_view
from visualizer.ui.panels.gradients.items import Arrows, Discs, GradientLines, bin_pens
from visualizer.ui.panels.gradients.layout import (
    BOTTOM,
    GRID,
    LABEL,
    TOP,
    diagram_geometry,
    is_wide,
    nearest_segment,
    pair_edges,
)

MIN_ARROW = 0.7  # view units: the shortest arrow drawn for a non-zero ask, so every direction reads
LEVELS = 65  # brush levels for signed and unsigned fills
EDGE_PICK = 0.45  # view units: how near the mouse must be to a connection to hover it
WIDE_ARROWS = 32  # a wide layer's arrows: its strongest asks (every neuron's is its cell's colour)
STRIP = 1.6  # view units: the width of a wide layer's strip of cells
CAPTION_FORWARD_ONLY = "The forward pass only: give the input a target to see what it asks of each weight."
CAPTION_GRADIENT = ("Arrows: what this example asks of each neuron (−δ). Lines: −∂L/∂w, red: the weight should "
                    "grow, blue: shrink. Hover for numbers.")
CAPTION_FLOW = "The signal going forward: the connections carry weight × activation, brighter where more flows."


class GradientDiagram(cm.FollowsPalette, QWidget):
    """The network drawn for one :class:`GradientMoment`; hover a neuron, a pixel or a connection for its numbers.

    Signals
    -------
    hovered(str)
        The hover text of what is under the mouse ("" when nothing is).
    """

    hovered = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._moment: GradientMoment | None = None
        self._sizes: tuple[int, ...] = ()
        self._reveal: tuple[int | None, int | None] = (None, None)
        self._pos: list[np.ndarray] = []
        self._layer_x: list[float] = []
        self._spot: list[float] = []
        self._spacing: list[float] = []
        self._height = GRID + TOP + BOTTOM
        self._top = TOP  # view units above the neurons, for the layer titles
        self._grid_y = TOP
        self._segments = np.empty((0, 4))  # drawn connections: x0, y0, x1, y1
        self._segment_keys = np.empty((0, 3), np.int64)  # pair, source, target
        self._hover_key: tuple | None = None
        self._nudges: list[tuple[int, int, float]] = []  # (digit, +1 up / -1 down, length) as drawn
        self._target_ringed = False
        self._layers_now: list[LayerMode] = []
        self._label_state: list[tuple[str, int]] = []

        self._canvas, self._vb = still_view()
        self._input_img = pg.ImageItem(axisOrder="row-major")
        self._input_img.setZValue(-30)
        self._grid_frame = QGraphicsRectItem(0, TOP, GRID, GRID)
        self._grid_frame.setZValue(-29)
        # Antialiased: smoother, and with translucent pens Qt strokes it faster than aliased lines.
        self._lines = GradientLines()
        self._lines.setZValue(-10)
        self._neurons = Discs()
        self._neurons.setZValue(10)
        self._rings = Discs()
        self._rings.setZValue(11)
        self._arrows = Arrows()
        self._arrows.setZValue(12)
        self._inset = pg.TextItem(anchor=(0, 0))
        self._inset.setZValue(20)
        self._inset.setVisible(False)
        for item in (self._input_img, self._grid_frame, self._lines, self._neurons, self._rings, self._arrows,
                     self._inset):
            self._vb.addItem(item)
        self._titles: list[pg.TextItem] = []
        self._labels: list[pg.TextItem] = []
        self._strips: dict[int, pg.ImageItem] = {}  # wide layers: one image of cells each, not n items

        self._caption = QLabel()
        self._caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._canvas, 1)
        layout.addWidget(self._caption)
        self._canvas.viewport().installEventFilter(self)
        self._vb.sigResized.connect(self._on_resized)
        self._apply_palette()

    # -- public API -----------------------------------------------------------------------------
    def set_moment(self, moment: GradientMoment | None) -> None:
        """Draw ``moment`` (None: an empty diagram)."""
        self._moment = moment
        sizes = () if moment is None else tuple(moment.network.layer_sizes)
        if sizes != self._sizes:
            self._build(sizes)
        self._redraw()

    def set_reveal(self, lit: int | None, error_from: int | None) -> None:
        """Show layers 0..lit lit and layers error_from.. with their errors; (None, None) shows everything."""
        if (lit, error_from) != self._reveal:
            self._reveal = (lit, error_from)
            self._redraw()

    def moment(self) -> GradientMoment | None:
        return self._moment

    def drawn_nudges(self) -> list[tuple[int, int, float]]:
        """The output arrows drawn: ``(digit, +1 up / -1 down, length in view units)``, one per output."""
        return list(self._nudges)

    def edge_count(self) -> int:
        return int(self._segments.shape[0])

    def caption(self) -> str:
        return self._caption.text()

    def neuron_center(self, layer: int, index: int) -> QPointF:
        """Where neuron ``index`` of ``layer`` (0: input pixel) sits, in view units."""
        x, y = self._pos[layer][index]
        return QPointF(float(x), float(y))

    def segment_middle(self, i: int = 0) -> QPointF:
        """The middle of drawn connection ``i``, in view units (tests hover it)."""
        x0, y0, x1, y1 = self._segments[i]
        return QPointF((x0 + x1) / 2, (y0 + y1) / 2)

    def hover_at(self, view_pos: QPointF | None) -> str:
        """Hover the point ``view_pos`` (view units; None leaves) and return the full text (``hovered``'s)."""
        key = None if view_pos is None else self._key_at(view_pos)
        text = self._text_for(key)
        if key != self._hover_key:
            self._hover_key = key
            self._show_inset(key, self._text_for(key, short=True))
            self.hovered.emit(text)
        return text

    # -- layout ---------------------------------------------------------------------------------
    def _geometry(self) -> tuple[float, float]:
        """(gap between layers, total height) in view units for the canvas's shape; sets ``_top``."""
        gap, height, self._top = diagram_geometry(len(self._sizes), self._vb.width(), self._vb.height(),
                                                  2.3 * self.fontMetrics().height())
        return gap, height

    def _build(self, sizes: tuple[int, ...]) -> None:
        self._sizes = sizes
        self._hover_key = None
        for item in self._titles + self._labels + list(self._strips.values()):
            self._vb.removeItem(item)
        self._titles, self._labels, self._strips = [], [], {}
        if not sizes:
            self._pos = []
            return
        names = self._moment.network.layer_names
        n = len(sizes)
        # Two lines: narrow docks put the layers closer than a one-line "Hidden 1 (16)" is wide.
        titles = [f"Input {GRID}×{GRID}"] + [names[i] + (f"\n({sizes[i]})" if i < n - 1 else "\n") for i in range(1, n)]
        self._titles = [self._text(t, (0.5, 1.0)) for t in titles]
        self._labels = [self._text("", (0.0, 0.5)) for _ in range(sizes[-1])]
        self._label_state = [("", 0)] * sizes[-1]
        for k in range(1, n):
            if is_wide(sizes[k]):
                strip = pg.ImageItem(axisOrder="row-major")
                strip.setZValue(9)
                self._vb.addItem(strip)
                self._strips[k] = strip
        self._place()

    def _text(self, text: str, anchor) -> pg.TextItem:
        item = pg.TextItem(text, anchor=anchor, color=self._fg)
        item.setFont(self._font)
        self._vb.addItem(item)
        return item

    def _place(self) -> None:
        sizes, n = self._sizes, len(self._sizes)
        gap, self._height = self._geometry()
        top, bottom = self._top, self._height - BOTTOM
        middle = (top + bottom) / 2
        self._grid_y = max(top, middle - GRID / 2)
        self._layer_x = [GRID / 2] + [GRID + gap * i for i in range(1, n)]
        r, c = np.divmod(np.arange(GRID * GRID), GRID)
        self._pos = [np.column_stack([c + 0.5, self._grid_y + r + 0.5]).astype(np.float64)]
        self._spot, self._spacing = [1.0], [1.0]
        for i in range(1, n):
            spacing = min(3.6, (bottom - top) / sizes[i])
            y = middle + (np.arange(sizes[i]) - (sizes[i] - 1) / 2) * spacing
            self._pos.append(np.column_stack([np.full(sizes[i], self._layer_x[i]), y]))
            self._spacing.append(spacing)
            self._spot.append(float(np.clip(spacing * 0.62, 0.25, 2.4)) if i not in self._strips else STRIP)
            if i in self._strips:
                self._strips[i].setRect(QRectF(self._layer_x[i] - STRIP / 2, y[0] - spacing / 2, STRIP,
                                               spacing * sizes[i]))
        self._grid_frame.setRect(QRectF(0, self._grid_y, GRID, GRID))
        self._titles[0].setPos(GRID / 2, self._grid_y - 0.3)
        for i in range(1, n):
            self._titles[i].setPos(self._layer_x[i], top - 0.3)
        label_x = self._arrow_x(n - 1) + 1.2
        for label, y in zip(self._labels, self._pos[-1][:, 1], strict=True):
            label.setPos(label_x, y)
        self._vb.setRange(xRange=(-1, self._layer_x[-1] + LABEL), yRange=(0, self._height), padding=0)

    def _arrow_x(self, layer: int) -> float:
        return self._layer_x[layer] + self._spot[layer] / 2 + (0.9 if layer == len(self._sizes) - 1 else 0.5)

    def _on_resized(self) -> None:
        if self._sizes:
            gap, height = self._geometry()
            if abs(height - self._height) > 0.02 * self._height or abs(self._layer_x[1] - GRID - gap) > 0.02 * gap:
                self._place()
                self._redraw()

    # -- drawing --------------------------------------------------------------------------------
    def _modes(self) -> tuple[list[LayerMode], list[PairMode]]:
        n = len(self._sizes)
        lit, error_from = self._reveal
        return reveal_modes(n, n - 1 if lit is None else lit, 1 if lit is None and error_from is None else error_from)

    def _redraw(self) -> None:
        m = self._moment
        acts = None if m is None or not self._sizes else m.activations  # None: a big network's is on its way
        if acts is None:
            self._input_img.clear()
            self._neurons.clear()
            self._rings.clear()
            for strip in self._strips.values():
                strip.clear()
            self._arrows.set_arrows([])
            self._lines.clear()
            self._segments, self._segment_keys = np.empty((0, 4)), np.empty((0, 3), np.int64)
            self._nudges = []
            self._caption.setText("" if m is None else m.reason)
            self._show_inset(None, "")
            return
        layers, pairs = self._modes()
        g = m.gradient
        if g is None:  # no target: the forward pass only
            layers = [LayerMode.ACTIVATION] * len(layers)
            pairs = [PairMode.FLOW] * len(pairs)
        self._layers_now = layers
        self._input_img.setImage(np.asarray(acts[0], np.float32).reshape(GRID, GRID), autoLevels=False, levels=(0, 1))
        self._input_img.setRect(QRectF(0, self._grid_y, GRID, GRID))
        self._draw_neurons(layers, acts)
        self._draw_edges(pairs, acts)
        self._draw_labels(layers, acts)
        self._show_inset(self._hover_key, self._text_for(self._hover_key, short=True))

    def _draw_neurons(self, layers, acts) -> None:
        g = self._moment.gradient
        levels, ramps, arrows, n = [], [], [], len(self._sizes)
        self._nudges = []
        for k in range(1, n):
            mode = layers[k]
            if mode is LayerMode.ERROR:
                want = -g.deltas[k - 1]
                # Output nudges are already in [-1, 1] (one-hot minus probabilities): drawn to scale,
                # so a confident right answer asks almost nothing. Hidden layers: to their largest.
                scale = 1.0 if k == n - 1 else cm.symmetric_max(want)
                levels.append(np.rint((want / scale + 1) / 2 * (LEVELS - 1)).astype(np.int64))
                ramps.append(False)
                arrows += self._layer_arrows(k, want / scale)
            elif mode is LayerMode.ACTIVATION:
                a = np.abs(acts[k])
                scale = 1.0 if k == n - 1 else max(float(a.max(initial=0.0)), 1e-6)
                levels.append(np.clip(np.rint(a / scale * (LEVELS - 1)).astype(np.int64), 0, LEVELS - 1))
                ramps.append(True)
            else:
                levels.append(np.zeros(self._sizes[k], np.int64))
                ramps.append(True)
        brushes, pos, sizes = [], [], []
        for k, (lv, ramp) in enumerate(zip(levels, ramps, strict=True), start=1):
            if k in self._strips:  # one image: the cost of a colour per cell, not of an item per neuron
                rgba = (self._ramp_rgba if ramp else self._signed_rgba)[lv]
                self._strips[k].setImage(rgba.reshape(-1, 1, 4), autoLevels=False)
                continue
            table = self._ramp if ramp else self._signed
            brushes += [table[i] for i in lv]
            pos.append(self._pos[k])
            sizes.append(np.full(self._sizes[k], self._spot[k]))
        self._neurons.set_discs(np.concatenate(pos), np.concatenate(sizes), brushes, [self._neuron_pen] * len(brushes))
        self._arrows.set_arrows(arrows)
        self._target_ringed = layers[-1] is LayerMode.ERROR
        self._draw_rings()

    def _draw_rings(self) -> None:
        """The target output's ring (once its error shows) and the hovered neuron's."""
        rings = []
        t = self._moment.target if self._moment is not None else None
        if t is not None and self._moment.network.is_binary:
            t = 0  # one neuron: its ring (and arrow) says which way the answer should go
        if t is not None and self._target_ringed:
            x, y = self._pos[-1][t]
            rings.append(dict(pos=(x, y), size=self._spot[-1] * 1.5, pen=pg.mkPen(self._pos_color, width=2.5)))
        key = self._hover_key
        if key is not None and key[0] == "neuron":
            x, y = self._pos[key[1]][key[2]]
            size = 1.0 if key[1] in self._strips else self._spot[key[1]] * 1.3
            rings.append(dict(pos=(x, y), size=size, pen=pg.mkPen(self._fg, width=1.5)))
        self._rings.set_discs(np.array([r["pos"] for r in rings]).reshape(-1, 2), [r["size"] for r in rings],
                              [None] * len(rings), [r["pen"] for r in rings])

    def _layer_arrows(self, k: int, values: np.ndarray) -> list:
        """Arrows beside layer k's neurons for desired changes in [-1, 1] (outputs: the nudges)."""
        out = []
        last = k == len(self._sizes) - 1
        longest = self._spacing[k] * (0.9 if last else 0.75)
        x = self._arrow_x(k)
        which = np.arange(values.size)
        if k in self._strips:  # the strongest asks, as long as a narrow layer's: n arrows would be a smear
            which = np.sort(np.argpartition(-np.abs(values), WIDE_ARROWS - 1)[:WIDE_ARROWS])
            longest = 0.75 * 3.6
        for i in which:
            v = values[i]
            y = self._pos[k][i][1]
            if abs(float(v)) < 1e-3:  # nothing asked (a neuron ReLU switched off, or a certain output)
                if last:
                    self._nudges.append((i, 0, 0.0))
                continue
            length = max(abs(float(v)) * longest, MIN_ARROW)
            if last:
                self._nudges.append((i, 1 if v > 0 else -1, length))
            up = v > 0
            color = self._pos_color if up else self._neg_color
            tail, tip = (y + length / 2, y - length / 2) if up else (y - length / 2, y + length / 2)
            out.append((x, tail, tip, color, 2.6 if last else 1.8))
        return out

    def _draw_edges(self, pairs, acts) -> None:
        starts, ends, vals, keys = [], [], [], []
        for i, mode in enumerate(pairs):
            if mode is PairMode.NONE:
                continue
            rows, cols, v = pair_edges(self._moment, i, mode, acts)
            starts.append(self._pos[i][rows])
            ends.append(self._pos[i + 1][cols])
            vals.append(v)
            keys.append(np.column_stack([np.full(rows.size, i if mode is PairMode.GRADIENT else -1), rows, cols]))
        if not vals or not sum(v.size for v in vals):
            self._lines.clear()
            self._segments, self._segment_keys = np.empty((0, 4)), np.empty((0, 3), np.int64)
            self._set_caption(pairs)
            return
        a, b, v = np.concatenate(starts), np.concatenate(ends), np.concatenate(vals)
        x, y, bounds = edges.binned_segments(a, b, v)
        self._lines.set_lines(x, y, bounds, QRectF(-1, 0, self._layer_x[-1] + 2, self._height))
        self._segments = np.column_stack([a, b])
        self._segment_keys = np.concatenate(keys).astype(np.int64)
        self._set_caption(pairs)

    def _set_caption(self, pairs) -> None:
        if self._moment.gradient is None:
            text = CAPTION_FORWARD_ONLY
        elif PairMode.GRADIENT in pairs:
            sizes, names = self._sizes, self._moment.network.layer_names
            if is_wide(sizes[1]) or any(is_wide(n) for n in sizes[1:-1]):
                into = (f"the {edges.WIDE_EDGES} strongest −∂L/∂w of each pair with a layer wider than {edges.WIDE} "
                        f"(among its {edges.CANDIDATES} neurons asked most); a wide layer's arrows are its "
                        f"{WIDE_ARROWS} strongest asks, every neuron's ask is its cell's colour")
            else:
                k = edges.fan_per_neuron(sizes[1], True)
                into = (f"into {names[1]}: the {k} strongest −∂L/∂w per neuron (a black pixel or a neuron without "
                        "error asks nothing); all deeper connections")
            text = CAPTION_GRADIENT
            self._caption.setToolTip(f"Each layer is scaled to its own largest value. Drawn: {into}. Arrows are at "
                                     "least a short stub, so every direction reads.")
        else:
            text = CAPTION_FLOW
        if text != self._caption.text():
            self._caption.setText(text)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # As tall as the longest caption needs at this width: a caption of another length must
        # not re-lay out (and redraw) the diagram on every stage of Explain one step.
        width = max(self._caption.width(), 40)
        fm = self._caption.fontMetrics()
        height = max(fm.boundingRect(QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, t).height()
                     for t in (CAPTION_FORWARD_ONLY, CAPTION_GRADIENT, CAPTION_FLOW))
        if height != self._caption.height():
            self._caption.setFixedHeight(height)

    def _draw_labels(self, layers, acts) -> None:
        m = self._moment
        p = acts[-1]
        for d, label in enumerate(self._labels):
            binary = m is not None and m.network.is_binary
            name = f"P({'yes' if m.network.digit is None else m.network.digit})" if binary else f"{d}"
            if layers[-1] is LayerMode.DARK:
                text, color = name, self._fg
            else:
                text, color = f"{name}  {p[d]:.2f}", self._fg
                if layers[-1] is LayerMode.ERROR and (m.target == d or m.network.is_binary):
                    color = self._pos_color  # with its ring and the up arrow: the target
            state = (text, color.rgba())
            if state != self._label_state[d]:  # re-laying out a text item costs more than comparing
                self._label_state[d] = state
                label.setText(text)
                label.setColor(color)

    # -- hover ----------------------------------------------------------------------------------
    def _key_at(self, pos: QPointF) -> tuple | None:
        if not self._sizes or self._moment is None or self._moment.activations is None:
            return None
        x, y = pos.x(), pos.y()
        hit = neuron_at(x, y, self._grid_y, self._layer_x, self._spot, self._pos)
        if hit is not None:
            return ("pixel" if hit[0] == 0 else "neuron", *hit)
        if self._segments.shape[0]:
            j, dist = nearest_segment(self._segments, x, y)
            if dist <= EDGE_PICK and self._segment_keys[j, 0] >= 0:
                pair, src, dst = (int(v) for v in self._segment_keys[j])
                return ("edge", pair, src, dst)
        return None

    def _text_for(self, key: tuple | None, *, short: bool = False) -> str:
        """The hover text for ``key``; ``short``: the inset's few lines (the readout shows the full text)."""
        m = self._moment
        if key is None or m is None:
            return ""
        if key[0] == "pixel":
            return texts.pixel_text(m, key[2])
        if key[0] == "edge":
            e = m.edge(key[1], key[2], key[3])
            return texts.edge_summary(m, e) if short else texts.edge_text(m, e)
        name = f"{m.network.layer_names[key[1]]} #{key[2]}"
        mode = self._layers_now[key[1]] if key[1] < len(self._layers_now) else LayerMode.DARK
        if mode is LayerMode.DARK:
            return f"{name}\nnot reached yet"
        if mode is LayerMode.ACTIVATION or m.gradient is None:
            return f"{name}\nactivation {m.activations[key[1]][key[2]]:.4f}"
        d = m.neuron(key[1], key[2])
        return texts.neuron_summary(m, d) if short else texts.neuron_text(m, d)

    def _anchor(self, key: tuple) -> tuple[float, float] | None:
        """Where the hover inset starts for ``key`` (None when that connection is no longer drawn)."""
        if key[0] == "pixel":
            return GRID + 0.8, self._grid_y
        if key[0] == "neuron":
            x, y = self._pos[key[1]][key[2]]
            return float(x), float(np.clip(y - 4, self._top, self._height - 9))
        hit = np.flatnonzero((self._segment_keys == np.array(key[1:])).all(axis=1))
        if not hit.size:
            return None
        x0, y0, x1, y1 = self._segments[hit[0]]
        return (x0 + x1) / 2, float(np.clip((y0 + y1) / 2, self._top, self._height - 9))

    def _show_inset(self, key: tuple | None, text: str) -> None:
        at = None if key is None or not text else self._anchor(key)
        if at is None:
            self._inset.setVisible(False)
            self._draw_rings() if self._moment is not None and self._sizes else None
            return
        self._inset.setText(text)
        x, y = at
        width = self._inset.textItem.boundingRect().width() * self._vb.viewPixelSize()[0]
        x_right = self._layer_x[-1] + LABEL
        x = x + 1.5 if x + 1.5 + width <= x_right else max(-1.0, x - 1.5 - width)
        self._inset.setPos(x, y)
        self._inset.setVisible(True)
        self._draw_rings()

    def eventFilter(self, obj, event) -> bool:
        if obj is self._canvas.viewport():
            if event.type() == QEvent.Type.MouseMove:
                scene = self._canvas.mapToScene(event.position().toPoint())
                self.hover_at(self._vb.mapSceneToView(scene))
            elif event.type() == QEvent.Type.Leave:
                self.hover_at(None)
        return super().eventFilter(obj, event)

    # -- palette --------------------------------------------------------------------------------
    def _apply_palette(self) -> None:
        pal = self.palette()
        bg, self._fg = cm.background_color(pal), cm.foreground_color(pal)
        self._font = QFont(self.font())
        self._font.setPointSizeF(max(self.font().pointSizeF(), 8.0))
        self._canvas.setBackground(bg)
        diverging = cm.diverging_colormap(pal)
        self._pos_color = diverging.map(1.0, mode="qcolor")
        self._neg_color = diverging.map(0.0, mode="qcolor")
        self._signed = [pg.mkBrush(diverging.map(t, mode="qcolor")) for t in np.linspace(0, 1, LEVELS)]
        self._ramp = [pg.mkBrush(cm.mix(bg, self._fg, 0.06 + 0.94 * t)) for t in np.linspace(0, 1, LEVELS)]
        self._signed_rgba, self._ramp_rgba = (np.array([b.color().getRgb() for b in table], np.uint8)
                                              for table in (self._signed, self._ramp))
        self._neuron_pen = pg.mkPen(cm.mix(bg, self._fg, 0.55), width=1.0)
        # White ink on black, as on the Draw pad and in the network view, whatever the theme (the
        # theme's own ink on its background drew a light theme's digit dark on grey).
        ink = pg.ColorMap([0.0, 1.0], [QColor(18, 18, 18), QColor(255, 255, 255)])
        self._input_img.setLookupTable(cm.lookup_table(ink))
        self._grid_frame.setPen(pg.mkPen(cm.mix(bg, self._fg, 0.35)))
        self._lines.set_pens(bin_pens(diverging))
        fill = QColor(bg)
        fill.setAlpha(240)
        self._inset.fill = pg.mkBrush(fill)
        self._inset.border = pg.mkPen(cm.mix(bg, self._fg, 0.4))
        for item in self._titles + self._labels + [self._inset]:
            item.setColor(self._fg)
            item.setFont(self._font)
        self._label_state = [("", 0)] * len(self._labels)  # recolour on the next draw
        if self._moment is not None:
            self._redraw()
