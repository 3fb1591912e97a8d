"""NetworkView: the layers left to right, neurons lit by activation, connections colored by weight."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from visualizer.ui.widgets import colormaps as cm

HEIGHT = 40.0  # view units; the 28x28 input grid sits centered in it
GRID = 28
GRID_Y = (HEIGHT - GRID) / 2
GAP = 24.0  # horizontal distance between layers
N_BINS = 16  # color bins for connections: 8 negative, 8 positive
FIRST_LAYER_BUDGET = 640  # input->hidden-1 edges drawn (strongest per neuron)
PAIR_CAP = 4096  # deeper layer pairs: all edges up to this many, else strongest per neuron
RESELECT_EVERY = 8  # big matrices: re-pick the strongest edges every Nth update (recolor every time)
BIG_MATRIX = 65536


@dataclass(frozen=True)
class NeuronInfo:
    """What the view knows about one neuron (layer 0 = input pixel, last layer = output)."""

    layer: int
    index: int
    activation: float | None
    bias: float | None
    incoming: np.ndarray | None = field(default=None, compare=False, repr=False)


def _layer_name(layer: int, n_layers: int) -> str:
    if layer == 0:
        return "Input"
    return "Output" if layer == n_layers - 1 else f"Hidden {layer}"


def _strongest_per_column(w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the k largest |w| in each column."""
    n_in, n_out = w.shape
    if k >= n_in:
        rows, cols = np.meshgrid(np.arange(n_in), np.arange(n_out), indexing="ij")
        return rows.ravel(), cols.ravel()
    rows = np.argpartition(np.abs(w), n_in - k, axis=0)[n_in - k :]
    cols = np.broadcast_to(np.arange(n_out), rows.shape)
    return rows.ravel(), cols.ravel()


class NetworkView(QWidget):
    """Draw the network: input grid, hidden neurons, outputs with probabilities, weighted edges.

    Hovering a neuron shows its activation, bias and (first hidden layer) its 784 incoming
    weights as a 28x28 inset; clicking pins those details until clicked again or elsewhere.
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
        self._true: int | None = None
        self._hovered: tuple[int, int] | None = None
        self._pinned: tuple[int, int] | None = None
        self._pos: list[np.ndarray] = []  # per layer (n, 2) neuron centers in view units
        self._layer_x: list[float] = []
        self._spot: list[float] = []  # circle diameter per layer, view units
        self._selection: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._weight_updates = 0

        self._canvas = pg.GraphicsLayoutWidget()
        self._canvas.ci.setContentsMargins(2, 2, 2, 2)
        self._vb = self._canvas.addViewBox(row=0, col=0)
        self._vb.setMouseEnabled(False, False)
        self._vb.setMenuEnabled(False)
        self._vb.invertY(True)
        self._vb.setAspectLocked(True)
        self._vb.disableAutoRange()
        self._colorbar = cm.make_colorbar(cm.diverging_colormap(self.palette()), 1.0, "weight ÷ layer max")
        self._canvas.addItem(self._colorbar, row=0, col=1)
        cm.adopt_menus(self, self._colorbar)

        self._input_img = pg.ImageItem(axisOrder="row-major")
        self._vb.addItem(self._input_img)
        self._grid_frame = QGraphicsRectItem(0, GRID_Y, GRID, GRID)
        self._grid_frame.setZValue(1)
        self._vb.addItem(self._grid_frame)
        self._edges = [pg.PlotCurveItem(connect="pairs", antialias=False, skipFiniteCheck=True) for _ in range(N_BINS)]
        for i, curve in enumerate(self._edges):
            curve.setZValue(-10 + abs(i - (N_BINS - 1) / 2))  # strong weights on top of weak ones
            self._vb.addItem(curve)
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
        self._inset_img = pg.ImageItem(axisOrder="row-major")
        for item in (self._inset_text, self._inset_img):
            item.setZValue(20)
            item.setVisible(False)
            self._vb.addItem(item)

        self._caption = QLabel()
        self._caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._canvas, 1)
        layout.addWidget(self._caption)

        self._vb.sigTransformChanged.connect(self._fit_spots)
        scene = self._canvas.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
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
        self._weight_updates += 1
        if sizes != self._sizes:
            self._build_layout(sizes)
        self._draw_edges()
        self._refresh_inset()

    def set_activations(
        self, activations: list[np.ndarray] | None, predicted: int | None = None, true_label: int | None = None
    ) -> None:
        """Light the neurons: ``[input(784), hidden..., probabilities(10)]`` or None to darken all."""
        if activations is not None:
            acts = [np.asarray(a, dtype=np.float32).ravel() for a in activations]
            sizes = tuple(a.size for a in acts)
            if sizes != self._sizes:
                if self._weights:  # activations from another architecture: not ours to draw
                    acts = None
                else:
                    self._build_layout(sizes)
            activations = acts
        self._acts = activations
        self._predicted = None if activations is None else predicted
        self._true = None if activations is None else true_label
        self._draw_activations()
        self._refresh_inset()

    def pinned_info(self) -> NeuronInfo | None:
        """Details of the pinned neuron, with current values (None when nothing is pinned)."""
        return self._info(self._pinned)

    def edge_summary(self) -> str:
        """Which connections are drawn (all, or the strongest per neuron), one line per layer pair."""
        return self._caption.toolTip()

    # ----------------------------------------------------------------- layout
    def _build_layout(self, sizes: tuple[int, ...]) -> None:
        self._sizes = sizes
        self._hovered = self._pinned = None
        n = len(sizes)
        self._layer_x = [GRID / 2] + [GRID + GAP * i for i in range(1, n)]
        self._pos = [self._grid_centers()]
        self._spot = [1.0]
        for i in range(1, n):
            spacing = min(3.0, (HEIGHT - 6) / sizes[i])
            y = HEIGHT / 2 + (np.arange(sizes[i]) - (sizes[i] - 1) / 2) * spacing
            self._pos.append(np.column_stack([np.full(sizes[i], self._layer_x[i]), y]))
            self._spot.append(float(np.clip(spacing * 0.8, 0.2, 1.8)))
        pts = np.concatenate(self._pos[1:])
        self._neurons.setData(pos=pts, size=self._spot_pixels(), pen=self._neuron_pen)
        for item in self._titles + self._out_labels:
            self._vb.removeItem(item)
        self._titles = []
        for i in range(n):
            if i == 0:
                text, at = f"Input {GRID}×{GRID}", (GRID / 2, GRID_Y - 1)
            else:
                text, at = _layer_name(i, n), (self._layer_x[i], 1.0)
                text += f" ({sizes[i]})" if i < n - 1 else ""
            self._titles.append(self._add_text(text, at, (0.5, 1.0) if i == 0 else (0.5, 0.0)))
        out_x = self._layer_x[-1] + self._spot[-1] / 2 + 0.8
        self._out_labels = [self._add_text(str(d), (out_x, y), (0.0, 0.5)) for d, y in enumerate(self._pos[-1][:, 1])]
        right = out_x + 14  # room for '9  1.00  ✗ (is 3)'
        self._vb.setRange(xRange=(-1, right), yRange=(0, HEIGHT), padding=0)
        self._selection = {}
        self._apply_text_colors()

    def _to_pixels(self, units: float) -> float:
        px = self._vb.viewPixelSize()[0] if self._vb.width() > 0 else 0.1
        return max(units / px, 2.0) if px > 0 else 2.0

    def _spot_pixels(self) -> np.ndarray:
        return np.repeat([self._to_pixels(u) for u in self._spot[1:]], self._sizes[1:])

    def _fit_spots(self, *_) -> None:
        """Keep circles at their size in view units when the widget is resized."""
        sizes = self._spot_pixels() if self._sizes else np.empty(0)
        # Also called while setData is still filling the scatter (the view reacts to new bounds).
        if sizes.size and len(self._neurons.data) == sizes.size:
            self._neurons.setSize(sizes)
            self._draw_rings()

    @staticmethod
    def _grid_centers() -> np.ndarray:
        r, c = np.divmod(np.arange(GRID * GRID), GRID)
        return np.column_stack([c + 0.5, GRID_Y + r + 0.5]).astype(np.float64)

    def _add_text(self, text: str, at, anchor) -> pg.TextItem:
        item = pg.TextItem(text, anchor=anchor)
        item.setFont(self._font)
        item.setPos(*at)
        self._vb.addItem(item)
        return item

    # ----------------------------------------------------------------- drawing
    def _draw_edges(self) -> None:
        if not self._weights or len(self._weights) != len(self._sizes) - 1:
            for curve in self._edges:
                curve.setData([], [])
            self._caption.setText("")
            self._caption.setToolTip("")
            return
        xs0, ys0, xs1, ys1, vals, notes, capped = [], [], [], [], [], [], []
        for i, w in enumerate(self._weights):
            n_in, n_out = w.shape
            if i == 0:
                k = int(np.clip(FIRST_LAYER_BUDGET // n_out, 1, n_in))
            else:
                k = n_in if n_in * n_out <= PAIR_CAP else max(1, PAIR_CAP // n_out)
            cached = self._selection.get(i)
            # argpartition over a big matrix costs tens of ms and its answer changes slowly,
            # so big matrices re-pick their strongest edges only every few updates.
            refresh = w.size <= BIG_MATRIX or self._weight_updates % RESELECT_EVERY == 0
            if cached is None or (k < n_in and refresh):
                cached = self._selection[i] = _strongest_per_column(w, k)
            rows, cols = cached
            a, b = self._pos[i][rows], self._pos[i + 1][cols]
            xs0.append(a[:, 0]), ys0.append(a[:, 1]), xs1.append(b[:, 0]), ys1.append(b[:, 1])
            vals.append(w[rows, cols] / cm.symmetric_max(w))
            src, dst = _layer_name(i, len(self._sizes)), _layer_name(i + 1, len(self._sizes))
            if k >= n_in:
                notes.append(f"{src} → {dst}: all {n_in * n_out:,}")
            else:
                notes.append(f"{src} → {dst}: strongest {k} of {n_in} per neuron ({k * n_out:,} of {n_in * n_out:,})")
                capped.append(f"strongest {k} of {n_in} into each {dst} neuron")
        v = np.concatenate(vals)
        mag = np.minimum((np.abs(v) * (N_BINS // 2)).astype(np.int64), N_BINS // 2 - 1)
        bins = np.where(v >= 0, N_BINS // 2 + mag, N_BINS // 2 - 1 - mag)
        order = np.argsort(bins, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(bins, minlength=N_BINS))])
        x = np.empty(2 * v.size)
        y = np.empty(2 * v.size)
        x[0::2], x[1::2] = np.concatenate(xs0)[order], np.concatenate(xs1)[order]
        y[0::2], y[1::2] = np.concatenate(ys0)[order], np.concatenate(ys1)[order]
        for b, curve in enumerate(self._edges):
            lo, hi = 2 * bounds[b], 2 * bounds[b + 1]
            curve.setData(x[lo:hi], y[lo:hi], connect="pairs")
        drawn = f"Drawn: {'; '.join(capped)}; all other connections." if capped else "All connections drawn."
        caption = (
            f"Blue = negative weight, red = positive, opacity = strength (relative to the layer's largest). "
            f"{drawn} Every weight is in the weight maps. Hover a neuron for details, click to pin."
        )
        if caption != self._caption.text():
            self._caption.setText(caption)
            self._caption.setToolTip("\n".join(notes))

    def _draw_activations(self) -> None:
        if not self._sizes:
            return
        n_layers = len(self._sizes)
        acts = self._acts
        img = np.zeros((GRID, GRID), np.float32)
        if acts is not None and acts[0].size == GRID * GRID:
            img = acts[0].reshape(GRID, GRID)
        self._input_img.setImage(img, autoLevels=False, levels=(0, 1))
        # setRect scales by the current image size, so it must follow setImage.
        self._input_img.setRect(QRectF(0, GRID_Y, GRID, GRID))
        if acts is None:
            idx = np.zeros(sum(self._sizes[1:]), dtype=np.int64)
        else:
            parts = []
            for i in range(1, n_layers):
                a = np.abs(acts[i])
                scale = 1.0 if i == n_layers - 1 else max(float(a.max(initial=0.0)), 1e-6)
                parts.append(a / scale)
            idx = np.clip((np.concatenate(parts) * 255).astype(np.int64), 0, 255)
        self._neurons.setBrush([self._brushes[i] for i in idx])
        probs = None if acts is None else acts[-1]
        for d, label in enumerate(self._out_labels):
            label.setText(f"{d}" if probs is None else f"{d}  {probs[d]:.2f}")
            label.setColor(self._fg if d != self._predicted else self._pred_color())
        if self._predicted is not None and 0 <= self._predicted < len(self._out_labels):
            verdict = ""
            if self._true is not None:
                verdict = "  ✓" if self._predicted == self._true else f"  ✗ (is {self._true})"
            label = self._out_labels[self._predicted]
            label.setText(label.toPlainText() + verdict)
        self._draw_rings()

    def _pred_color(self) -> QColor:
        if self._true is None:
            return self._accent
        return self._good if self._predicted == self._true else self._bad

    def _draw_rings(self) -> None:
        spots = []
        if self._predicted is not None and self._sizes and 0 <= self._predicted < self._sizes[-1]:
            x, y = self._pos[-1][self._predicted]
            size = self._to_pixels(self._spot[-1] * 1.45)
            spots.append(dict(pos=(x, y), size=size, pen=pg.mkPen(self._pred_color(), width=2)))
        for key, color in ((self._pinned, self._accent), (self._hovered, self._fg)):
            if key is not None and key[0] > 0:
                x, y = self._pos[key[0]][key[1]]
                size = self._to_pixels(max(self._spot[key[0]] * 1.25, 0.9))
                spots.append(dict(pos=(x, y), size=size, pen=pg.mkPen(color, width=1.5)))
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
        x, y = view_pos.x(), view_pos.y()
        if 0 <= x < GRID and GRID_Y <= y < GRID_Y + GRID:
            return 0, int(y - GRID_Y) * GRID + int(x)
        for layer in range(1, len(self._sizes)):
            reach = max(self._spot[layer] * 0.7, 0.5)
            if abs(x - self._layer_x[layer]) <= reach:
                d = np.abs(self._pos[layer][:, 1] - y)
                i = int(np.argmin(d))
                if d[i] <= reach:
                    return layer, i
        return None

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        key = self.neuron_at(self._vb.mapSceneToView(scene_pos))
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
            lines = [f"{_layer_name(info.layer, n)} · neuron {info.index}"]
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
            x, y = GRID + 1.0, GRID_Y
        else:
            px, py = self._pos[info.layer][info.index]
            x = px + 1.5 if info.layer < n - 1 else px - 14
            y = float(np.clip(py - 4, 3.0, HEIGHT - 18))  # below the layer titles
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
    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        pal = self.palette()
        bg, self._fg = cm.background_color(pal), cm.foreground_color(pal)
        dark = cm.is_dark(pal)
        self._accent = QColor(pal.color(QPalette.ColorRole.Highlight))
        self._good = QColor("#3fbf5f" if dark else "#1a8a35")
        self._bad = QColor("#ff5c5c" if dark else "#c62828")
        self._font = QFont(self.font())
        self._font.setPointSizeF(max(self.font().pointSizeF(), 8.0))
        self._canvas.setBackground(bg)
        ramp = cm.ramp_colormap(pal)
        # Built once per palette: reusing brush objects keeps ScatterPlotItem.setBrush fast.
        self._brushes = [pg.mkBrush(cm.mix(bg, self._fg, t)) for t in np.linspace(0.0, 1.0, 256)]
        self._neuron_pen = pg.mkPen(cm.mix(bg, self._fg, 0.45), width=1)
        # Blank pixels a shade off the background, so the empty grid still reads as a panel.
        ink = pg.ColorMap([0.0, 1.0], [cm.mix(bg, self._fg, 0.07), self._fg])
        self._input_img.setLookupTable(cm.lookup_table(ink))
        self._grid_frame.setPen(pg.mkPen(cm.mix(bg, self._fg, 0.35)))
        diverging = cm.diverging_colormap(pal)
        self._colorbar.setColorMap(diverging)
        cm.style_colorbar(self._colorbar, pal)
        self._inset_img.setLookupTable(cm.lookup_table(diverging))
        fill = QColor(bg)
        fill.setAlpha(235)
        self._inset_text.fill = pg.mkBrush(fill)
        self._inset_text.border = pg.mkPen(cm.mix(bg, self._fg, 0.4))
        for b, curve in enumerate(self._edges):
            t = (b + 0.5) / N_BINS
            color = diverging.map(t, mode="qcolor")
            strength = abs(t - 0.5) * 2  # 0 (weak) .. 1 (strong)
            color.setAlphaF(float(0.15 + 0.85 * strength**1.5))
            curve.setPen(pg.mkPen(color, width=1))
        if self._sizes:
            self._neurons.setPen(self._neuron_pen)
            self._apply_text_colors()
            self._draw_activations()

    def _apply_text_colors(self) -> None:
        for item in self._titles + self._out_labels + [self._inset_text]:
            item.setColor(self._fg)
            item.setFont(self._font)
