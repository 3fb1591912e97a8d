"""Curves: loss and accuracy (or each layer's gradient size) against epochs, train (smoothed) and validation, with a hover readout."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QTextDocument
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from visualizer.core.history import MetricHistory, finite_max, moving_average, nice_ceiling, smoothing_window
from visualizer.ui.common import colormaps as cm
from visualizer.ui.panels.curves.gradient_plot import GradientSizePlot
from visualizer.ui.panels.curves.ticks import epoch_spacing

SPANS = {
    "all": ("Whole run", "The epoch axis spans the whole run"),
    "recent": ("Last epoch", "Zoom to the latest epoch (the start of a long run is a sliver otherwise)"),
    "cursor": ("Around the moment", "One epoch around the moment the timeline shows"),
}
LOWER = {
    "accuracy": ("Accuracy", "The lower plot: accuracy in %, train and validation"),
    "gradients": ("Gradient size", "The lower plot: each layer's gradient size ‖∂L/∂W‖ on a log scale; in a deep "
                  "sigmoid network the first layers' gradients vanish"),
}
EMPTY_LOSS_TOP = 2.5  # untrained cross-entropy on 10 classes is ln(10) ~ 2.3
AXIS_WIDTH = 46  # fixed, so new tick labels never re-layout the plots


MIN_PLOT_HEIGHT = 110  # px: below this a plot's axis ticks and labels run into each other
MIN_STACK_HEIGHT = 2 * MIN_PLOT_HEIGHT - 40  # px of canvas: two plots above each other, the upper without its epoch axis

class Curves(cm.FollowsPalette, QWidget):
    """Two stacked plots sharing the epoch axis: loss (top) and accuracy in % or each layer's gradient size (bottom).

    Axis ranges are set explicitly (0 to the run's epochs, 0 to a rounded-up loss maximum,
    0-100 %) and change only when the data outgrows them, so a new point repaints the curves
    and not the axes.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._history = None
        self._epochs = 0
        self._x_top = self._loss_top = None
        self._tick_spacing: tuple[float, float] | None = None  # (major, minor) epochs between ticks
        self._side_by_side = False
        self._key_beside: bool | None = None  # the key on the combos' row (a wide panel), else under it
        self._canvas = pg.GraphicsLayoutWidget()
        self._canvas.ci.setSpacing(2)
        # A plain label outside the canvas: a long readout wraps instead of re-laying out the plots.
        self._readout = QLabel()
        self._readout.setWordWrap(True)
        self._readout.setTextFormat(Qt.TextFormat.PlainText)
        self._readout.setIndent(4)
        self._readout.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._readout_full = ""  # the readout's whole text (a short panel shows it on one line, elided)
        self._compact: bool | None = None  # a short panel: one-line readout, a shorter key (_set_compact)
        # One line of key above both plots: a legend box inside a narrow plot covers the curves.
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setIndent(4)
        self.legend.setWordWrap(True)
        self.legend.setToolTip("Train: the loss/accuracy of recent batches, smoothed (the faint line is raw). "
                               "Validation: measured on held-out images at the end of every epoch.")
        self.loss_plot = self._canvas.addPlot(row=0, col=0)
        self.accuracy_plot = self._canvas.addPlot(row=1, col=0)
        self.accuracy_plot.setXLink(self.loss_plot)
        cm.adopt_menus(self, self.loss_plot, self.accuracy_plot)
        self._lines: dict[str, pg.PlotDataItem] = {}
        self._crosshair: list[pg.InfiniteLine] = []
        self._moment_lines: list[pg.InfiniteLine] = []  # the timeline's cursor
        self._moment: float | None = None
        self.span = _choice(SPANS, "Which part of the run the epoch axis shows")
        self.span.currentIndexChanged.connect(lambda _i: self._fit_ranges())
        self.lower = _choice(LOWER, "What the lower plot shows: accuracy, or each layer's gradient size")
        self.lower.currentIndexChanged.connect(lambda _i: self._show_lower())
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setLabel("bottom", "epoch")
            for key in ("left", "bottom"):
                plot.getAxis(key).enableAutoSIPrefix(False)  # no "epoch (x0.001)"
            plot.getAxis("left").setWidth(AXIS_WIDTH)
            plot.getAxis("bottom").setStyle(maxTextLevel=0)  # labels on the major ticks only (_thin_ticks)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)  # no pan/zoom accidents; the view follows the data
            plot.hideButtons()
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
        for plot, what, unit in ((self.loss_plot, "loss", ""), (self.accuracy_plot, "accuracy", "%")):
            plot.setLabel("left", what, units=unit or None)
            plot.disableAutoRange()
            self._lines[f"train_{what}_raw"] = plot.plot(name=None, skipFiniteCheck=True)
            self._lines[f"train_{what}"] = plot.plot(name="train (smoothed)", skipFiniteCheck=True, antialias=True)
            self._lines[f"val_{what}"] = plot.plot(name="validation", symbol="o", symbolSize=6, antialias=True)
            line = pg.InfiniteLine(angle=90, movable=False)
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self._crosshair.append(line)
            moment = pg.InfiniteLine(angle=90, movable=False)
            moment.setVisible(False)
            moment.setToolTip("The moment the timeline shows")
            plot.addItem(moment, ignoreBounds=True)
            self._moment_lines.append(moment)
        self.accuracy_plot.setYRange(0, 100, padding=0.02)
        # A short plot (the left column at 1280x800, side by side) has no room for "accuracy (%)"
        # along its axis: the title was cut at the canvas' top. It shortens to fit instead.
        self._accuracy_title: str | None = None
        self.accuracy_plot.getAxis("left").geometryChanged.connect(self._fit_axis_title)
        # The lower plot shows the accuracy or the gradient sizes: the dock is short, two plots are all it has room for.
        self.gradients = GradientSizePlot(self.accuracy_plot)
        self._set_ranges(0.0, 1.0, EMPTY_LOSS_TOP)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self._top = QGridLayout()
        self._top.setContentsMargins(0, 0, 0, 0)
        self._top.setSpacing(2)
        layout.addLayout(self._top)
        self._place_key(beside=True)
        layout.addWidget(self._readout)
        layout.addWidget(self._canvas, 1)
        self._canvas.scene().sigMouseMoved.connect(self._on_mouse_moved)
        # Two stacked plots need ~120 px each before their axis labels collide; a wide, short
        # dock (the bottom of a small window) puts them side by side instead.
        self._canvas.setMinimumHeight(MIN_PLOT_HEIGHT)
        self._apply_palette()

    def side_by_side(self) -> bool:
        """True when the loss and accuracy plots are beside each other (a wide, short panel)."""
        return self._side_by_side

    def key_beside_choices(self) -> bool:
        """True when the key sits on the combos' row (a wide panel); False when it has a line under them."""
        return bool(self._key_beside)

    def minimumSizeHint(self) -> QSize:
        # As narrow as the combos side by side (the key goes under them when the panel is narrower
        # than both on one row): the layout's own minimum is the arrangement of the moment, and a
        # panel that never got narrower would never change it (the left column scrolled sideways).
        least = super().minimumSizeHint()
        combos = self.lower.minimumSizeHint().width() + self._top.spacing() + self.span.minimumSizeHint().width()
        return QSize(max(combos, self.legend.minimumSizeHint().width()), least.height())

    def _key_width(self) -> int:
        """The key's width on one line."""
        doc = QTextDocument()
        doc.setDefaultFont(self.legend.font())
        doc.setHtml(self.legend.text())
        return math.ceil(doc.idealWidth()) + self.legend.indent() + 4

    def _place_key(self, beside: bool) -> None:
        if beside == self._key_beside:
            return
        self._key_beside = beside
        top = self._top
        for w in (self.legend, self.lower, self.span):
            top.removeWidget(w)
        for column in range(3):
            top.setColumnStretch(column, 0)
        if beside:  # [key ......... lower span]
            top.addWidget(self.legend, 0, 0)
            top.addWidget(self.lower, 0, 1)
            top.addWidget(self.span, 0, 2)
            top.setColumnStretch(0, 1)
        else:  # [lower span ...] over [key]
            top.addWidget(self.lower, 0, 0)
            top.addWidget(self.span, 0, 1)
            top.addWidget(self.legend, 1, 0, 1, 3)
            top.setColumnStretch(2, 1)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        w = self.width()
        beside = self._key_width() + self.lower.sizeHint().width() + self.span.sizeHint().width() + 4 <= w
        self._place_key(beside)
        # The canvas is laid out after this event, so its height is worked out here from the rows
        # above it (the readout counted at its two stacked lines: the decision must not flip with
        # the readout's height, which follows it).
        rows = self.lower.sizeHint().height() + (0 if beside else self.legend.fontMetrics().lineSpacing() + 2)
        h = self.height() - rows - 2 * self._readout.fontMetrics().lineSpacing() - 8
        # A wide, short canvas puts them side by side, with only the major epoch ticks when a
        # plot is narrow; a tall, short one stacks them and drops the upper plot's epoch axis
        # (the x axes are linked). Too short to stack (the left column of a window maximized
        # after the default layout), they go side by side however narrow.
        wanted = w > 1.6 * h or h < MIN_STACK_HEIGHT
        self.loss_plot.showAxis("bottom", wanted or h >= 2 * MIN_PLOT_HEIGHT)
        if wanted != self._side_by_side:
            self._side_by_side = wanted
            ci = self._canvas.ci
            ci.removeItem(self.accuracy_plot)
            ci.addItem(self.accuracy_plot, row=0 if wanted else 1, col=1 if wanted else 0)
        self._set_compact(wanted)
        self._thin_ticks()

    def _set_compact(self, compact: bool) -> None:
        """A short panel (plots side by side) keeps its height for the plots: a one-line readout,
        elided (the whole text in its tooltip), and "(smoothed)" only in the key's tooltip."""
        if compact == self._compact:
            return
        self._compact = compact
        line = self._readout.fontMetrics().lineSpacing()
        self._readout.setWordWrap(not compact)
        if compact:
            self._readout.setFixedHeight(line + 4)
        else:  # two lines reserved: a readout that wraps never moves the plots
            self._readout.setMinimumHeight(2 * line + 4)
            self._readout.setMaximumHeight(16777215)
        self._update_legend()
        self._set_readout(self._readout_full)

    def _set_readout(self, text: str) -> None:
        self._readout_full = text
        if self._compact:
            text = self._readout.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight,
                                                          max(0, self._readout.width() - 8))
        self._readout.setText(text)
        self._readout.setToolTip(self._readout_full)

    def _thin_ticks(self) -> None:
        """Epoch ticks as far apart as their labels need in plots this wide (ticks.epoch_spacing)."""
        if self._x_top is None:
            return
        low, high = self._x_top
        plot_px = (self.width() / 2 if self._side_by_side else self.width()) - AXIS_WIDTH - 12
        spacing = epoch_spacing(low, high, plot_px, self.fontMetrics().horizontalAdvance)
        if spacing != self._tick_spacing:
            self._tick_spacing = spacing
            for plot in (self.loss_plot, self.accuracy_plot):
                plot.getAxis("bottom").setTickSpacing(*spacing)

    # ----------------------------------------------------------------- public API
    def set_epochs(self, epochs: int) -> None:
        """The configured run length: the epoch axis spans 0..epochs (wider if the data goes past)."""
        self._epochs = max(0, int(epochs))
        self._fit_ranges()

    def set_cursor(self, epoch: float | None) -> None:
        """Mark the moment the timeline shows (``epoch`` on the x axis); None (live) hides the mark."""
        if epoch == self._moment:
            return
        self._moment = epoch
        for line in self._moment_lines:
            line.setVisible(epoch is not None)
            if epoch is not None:
                line.setValue(epoch)
        if self.span.currentData() == "cursor":
            self._fit_ranges()

    def set_history(self, history) -> None:
        """Draw a HistoryView (x in epochs, accuracy as a 0..1 fraction); None clears the plots."""
        self._history = history
        if history is None:
            for item in self._lines.values():
                item.setData([], [])
            self._set_readout("")
            for line in self._crosshair:
                line.setVisible(False)
            self._fit_ranges()
            return
        tx, vx = np.asarray(history.train_x, dtype=np.float64), np.asarray(history.val_x, dtype=np.float64)
        window = smoothing_window(tx.size)
        for what, train, val, scale in (
            ("loss", history.train_loss, history.val_loss, 1.0),
            ("accuracy", history.train_accuracy, history.val_accuracy, 100.0),
        ):
            train = np.asarray(train, dtype=np.float64) * scale
            self._lines[f"train_{what}_raw"].setData(tx, train)
            self._lines[f"train_{what}"].setData(tx, moving_average(train, window))
            self._lines[f"val_{what}"].setData(vx, np.asarray(val, dtype=np.float64) * scale)
        self._fit_ranges()

    def set_gradient_sizes(self, view) -> None:
        """Draw the session's GradientSizeView in the gradient plot (None clears it)."""
        self.gradients.set_sizes(view)
        if self.showing_gradients():
            self._update_legend()

    def showing_gradients(self) -> bool:
        """True when the lower plot shows each layer's gradient size rather than the accuracy."""
        return self.lower.currentData() == "gradients"

    def _show_lower(self) -> None:
        gradients = self.showing_gradients()
        for key in ("train_accuracy_raw", "train_accuracy", "val_accuracy"):
            self._lines[key].setVisible(not gradients)
        self.gradients.set_active(gradients)
        if not gradients:
            self._accuracy_title = None
            self._fit_axis_title()
            self.accuracy_plot.setYRange(0, 100, padding=0.02)
        self._update_legend()

    def _fit_axis_title(self) -> None:
        """The accuracy axis' title, as long as fits along the axis: "accuracy (%)", "acc. (%)" or "%"."""
        if self.showing_gradients():
            return
        axis = self.accuracy_plot.getAxis("left")
        metrics = QFontMetrics(axis.label.font())
        room = axis.geometry().height() - 2 * axis.label.document().documentMargin() - 2  # the label centres on the axis
        title = next((t for t in ("accuracy", "acc.") if metrics.horizontalAdvance(f"{t} (%)") <= room), "")
        if title != self._accuracy_title:
            self._accuracy_title = title
            if title:
                self.accuracy_plot.setLabel("left", title, units="%")
            else:
                self.accuracy_plot.setLabel("left", "%")

    def _update_legend(self) -> None:
        if self.showing_gradients():
            self.legend.setText(self.gradients.legend_html())
        else:
            self.legend.setText(self._legend_html[bool(self._compact)])

    def readout_text(self) -> str:
        """The hover readout currently shown (empty when the mouse is outside the plots)."""
        return self._readout_full

    def x_range(self) -> tuple[float, float]:
        """The epoch axis' visible range."""
        return tuple(self.loss_plot.vb.viewRange()[0])

    def y_ranges(self) -> dict[str, tuple[float, float]]:
        """Visible y ranges of the two plots: {"loss": (lo, hi), "accuracy": (lo, hi)}."""
        return {"loss": tuple(self.loss_plot.vb.viewRange()[1]), "accuracy": tuple(self.accuracy_plot.vb.viewRange()[1])}

    # ----------------------------------------------------------------- ranges
    def _fit_ranges(self) -> None:
        h = self._history
        x_top, loss_top = float(max(self._epochs, 1)), EMPTY_LOSS_TOP
        if h is not None:
            x_max = finite_max(h.train_x, h.val_x)
            x_top = max(x_top, float(math.ceil(x_max - 1e-9)) if x_max > 0 else 0.0)
            # The smoothed curve and validation set the scale; raw spikes may leave the plot.
            data_top = finite_max(self._lines["train_loss"].yData, self._lines["val_loss"].yData)
            if data_top > 0:
                loss_top = nice_ceiling(data_top * 1.05)
        self._set_ranges(*self._x_window(x_top), loss_top)

    def _x_window(self, x_top: float) -> tuple[float, float]:
        """The epoch range to show: everything, the latest epoch, or one epoch around the cursor."""
        span = self.span.currentData() if hasattr(self, "span") else "all"
        h = self._history
        last = finite_max(h.train_x, h.val_x) if h is not None else 0.0
        if span == "recent" and last > 0:
            return max(0.0, last - 1.0), max(last, 1e-3)
        if span == "cursor" and self._moment is not None:
            return max(0.0, self._moment - 0.5), self._moment + 0.5
        return 0.0, x_top

    def _set_ranges(self, x_low: float, x_top: float, loss_top: float) -> None:
        # Only on change: a new range regenerates the axes' tick pictures, the costly part of a paint.
        if (x_low, x_top) != self._x_top:
            self._x_top = (x_low, x_top)
            self.loss_plot.setXRange(x_low, x_top, padding=0.02)
            self._thin_ticks()
        if loss_top != self._loss_top:
            self._loss_top = loss_top
            self.loss_plot.setYRange(0, loss_top, padding=0.02)

    # ----------------------------------------------------------------- hover
    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        for plot in (self.loss_plot, self.accuracy_plot):
            if plot.sceneBoundingRect().contains(scene_pos):
                self.show_values_at(plot.vb.mapSceneToView(scene_pos).x())
                return
        self.show_values_at(None)

    def show_values_at(self, epoch: float | None) -> None:
        """Move the crosshair to ``epoch`` and show the nearest train and validation values."""
        h = self._history
        sizes = self.gradients.value_text(epoch) if epoch is not None and self.showing_gradients() else ""
        if h is None and sizes:
            h = MetricHistory().view()  # gradient sizes without loss figures (none recorded yet)
        if epoch is None or h is None or (len(h.train_x) == 0 and len(h.val_x) == 0 and not sizes):
            if self._readout_full:
                self._set_readout("")
            for line in self._crosshair:
                line.setVisible(False)
            return
        parts = [f"epoch {epoch:.2f}"]
        for name, xs, key in (("train", h.train_x, "train"), ("val", h.val_x, "val")):
            if len(xs) == 0:
                continue
            i = int(np.argmin(np.abs(np.asarray(xs) - epoch)))
            loss = self._lines[f"{key}_loss"].yData
            acc = self._lines[f"{key}_accuracy"].yData
            parts.append(f"{name} @ {xs[i]:.2f}: loss {loss[i]:.4f}, acc {acc[i]:.2f}%")
        if sizes:
            parts.append(sizes)
        self._set_readout("   ".join(parts))
        for line in self._crosshair:
            line.setPos(epoch)
            line.setVisible(True)

    # ----------------------------------------------------------------- palette
    def _apply_palette(self) -> None:
        pal = self.palette()
        bg, fg = cm.background_color(pal), cm.foreground_color(pal)
        self._fg = fg
        dark = cm.is_dark(pal)
        stroke = cm.presentation_scale(self)  # thicker curves when the fonts are scaled up (presenter mode)
        self._canvas.setBackground(bg)
        train = QColor("#5aa9ff" if dark else "#1f5fbf")
        val = QColor("#ffa64d" if dark else "#d9640a")
        faint = QColor(train)
        faint.setAlphaF(0.3)
        for what in ("loss", "accuracy"):
            self._lines[f"train_{what}_raw"].setPen(pg.mkPen(faint, width=round(stroke)))
            self._lines[f"train_{what}"].setPen(pg.mkPen(train, width=2 * stroke))
            self._lines[f"val_{what}"].setPen(pg.mkPen(val, width=2 * stroke))
            self._lines[f"val_{what}"].setSymbolBrush(val)
            self._lines[f"val_{what}"].setSymbolPen(pg.mkPen(bg))
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.vb.setBorder(pg.mkPen(cm.mix(bg, fg, 0.15)))  # a quiet frame instead of a grid
            for key in ("left", "bottom"):
                axis = plot.getAxis(key)
                axis.setPen(cm.mix(bg, fg, 0.6))
                axis.setTextPen(fg)
                # Ticks and axis titles in the panel's font, so they grow with it (presenter mode).
                axis.setTickFont(self.font())
                axis.label.setFont(self.font())
        for line in self._crosshair:
            line.setPen(pg.mkPen(cm.mix(bg, fg, 0.5), style=Qt.PenStyle.DashLine))
        for line in self._moment_lines:
            line.setPen(pg.mkPen(pal.color(pal.ColorRole.Highlight), width=2 * stroke))
        # Each line sample stays with its word when the key wraps.
        key = (f"<span style='color:{train.name()}'>\u2501\u2501</span>&nbsp;train{{}}&nbsp;&nbsp; "
               f"<span style='color:{val.name()}'>\u2501\u25cf\u2501</span>&nbsp;validation")
        self._legend_html = (key.format(" (smoothed)"), key.format(""))  # full, and for a short panel
        self.gradients.apply_palette(pal)
        self._update_legend()
        if self._history is not None:
            self.set_history(self._history)


def _choice(items: dict, tip: str) -> QComboBox:
    """A combo of ``{key: (text, tooltip)}``."""
    combo = QComboBox()
    for key, (text, item_tip) in items.items():
        combo.addItem(text, key)
        combo.setItemData(combo.count() - 1, item_tip, Qt.ItemDataRole.ToolTipRole)
    combo.setToolTip(tip)
    # As wide as its longest choice, so none is cut ("Around the moment"); the key makes room.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo
