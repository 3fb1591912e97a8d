"""Curves: loss and accuracy against epochs, train (smoothed) and validation, with a hover readout."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from visualizer.ui.widgets import colormaps as cm


def moving_average(y: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over ``window`` points (shorter at the start), same length as ``y``."""
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0 or window <= 1:
        return y.copy()
    c = np.concatenate([[0.0], np.cumsum(y)])
    i = np.arange(1, y.size + 1)
    lo = np.maximum(i - window, 0)
    return (c[i] - c[lo]) / (i - lo)


def _smoothing_window(n: int) -> int:
    return int(np.clip(n // 25, 1, 50))


class Curves(QWidget):
    """Two stacked plots sharing the epoch axis: loss (top) and accuracy in % (bottom)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._history = None
        self._canvas = pg.GraphicsLayoutWidget()
        self._readout = self._canvas.addLabel("", row=0, col=0, justify="left")
        self.loss_plot = self._canvas.addPlot(row=1, col=0)
        self.accuracy_plot = self._canvas.addPlot(row=2, col=0)
        self.accuracy_plot.setXLink(self.loss_plot)
        cm.adopt_menus(self, self.loss_plot, self.accuracy_plot)
        self._lines: dict[str, pg.PlotDataItem] = {}
        self._crosshair: list[pg.InfiniteLine] = []
        for plot, what, unit in ((self.loss_plot, "loss", ""), (self.accuracy_plot, "accuracy", "%")):
            plot.setLabel("left", what, units=unit or None)
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)  # no pan/zoom accidents; the view follows the data
            plot.hideButtons()
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.addLegend(offset=(-10, 10) if what == "loss" else (-10, -10))
            self._lines[f"train_{what}_raw"] = plot.plot(name=None)
            self._lines[f"train_{what}"] = plot.plot(name="train (smoothed)")
            self._lines[f"val_{what}"] = plot.plot(name="validation", symbol="o", symbolSize=6)
            line = pg.InfiniteLine(angle=90, movable=False)
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self._crosshair.append(line)
        self.accuracy_plot.setYRange(0, 100, padding=0.02)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._canvas)
        self._canvas.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._apply_palette()

    def set_history(self, history) -> None:
        """Draw a HistoryView (x in epochs, accuracy as a 0..1 fraction); None clears the plots."""
        self._history = history
        if history is None:
            for item in self._lines.values():
                item.setData([], [])
            self._readout.setText("")
            for line in self._crosshair:
                line.setVisible(False)
            return
        tx, vx = np.asarray(history.train_x), np.asarray(history.val_x)
        window = _smoothing_window(tx.size)
        for what, train, val, scale in (
            ("loss", history.train_loss, history.val_loss, 1.0),
            ("accuracy", history.train_accuracy, history.val_accuracy, 100.0),
        ):
            train = np.asarray(train, dtype=np.float64) * scale
            self._lines[f"train_{what}_raw"].setData(tx, train)
            self._lines[f"train_{what}"].setData(tx, moving_average(train, window))
            self._lines[f"val_{what}"].setData(vx, np.asarray(val, dtype=np.float64) * scale)
        self.loss_plot.enableAutoRange()

    def readout_text(self) -> str:
        """The hover readout currently shown (empty when the mouse is outside the plots)."""
        return self._readout.text

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
        if epoch is None or h is None or (len(h.train_x) == 0 and len(h.val_x) == 0):
            self._readout.setText("")
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
        self._readout.setText("   ".join(parts), color=self._fg)
        for line in self._crosshair:
            line.setPos(epoch)
            line.setVisible(True)

    # ----------------------------------------------------------------- palette
    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        pal = self.palette()
        bg, fg = cm.background_color(pal), cm.foreground_color(pal)
        self._fg = fg
        dark = cm.is_dark(pal)
        self._canvas.setBackground(bg)
        train = QColor("#5aa9ff" if dark else "#1f5fbf")
        val = QColor("#ffa64d" if dark else "#d9640a")
        faint = QColor(train)
        faint.setAlphaF(0.25)
        for what in ("loss", "accuracy"):
            self._lines[f"train_{what}_raw"].setPen(pg.mkPen(faint, width=1))
            self._lines[f"train_{what}"].setPen(pg.mkPen(train, width=2))
            self._lines[f"val_{what}"].setPen(pg.mkPen(val, width=2))
            self._lines[f"val_{what}"].setSymbolBrush(val)
            self._lines[f"val_{what}"].setSymbolPen(pg.mkPen(bg))
        for plot in (self.loss_plot, self.accuracy_plot):
            for key in ("left", "bottom"):
                axis = plot.getAxis(key)
                axis.setPen(cm.mix(bg, fg, 0.6))
                axis.setTextPen(fg)
            legend = plot.legend
            if legend is not None:
                legend.setLabelTextColor(fg)
                for _, label in legend.items:  # setLabelTextColor does not re-render existing labels
                    label.setText(label.text)
                legend.setBrush(pg.mkBrush(QColor(bg.red(), bg.green(), bg.blue(), 200)))
        for line in self._crosshair:
            line.setPen(pg.mkPen(cm.mix(bg, fg, 0.5), style=Qt.PenStyle.DashLine))
        if self._history is not None:
            self.set_history(self._history)
