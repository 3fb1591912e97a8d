"""The curves' "gradient size per layer" plot: ‖∂L/∂W‖ of every layer against epochs, on a log scale.

Fed from the session's :class:`~visualizer.session.gradient_sizes.GradientSizeView`. A log
scale because the point is the ratio between layers: in a deep sigmoid network the first layers'
gradients are orders of magnitude smaller than the last one's (they vanish), in a ReLU one they
stay within a factor of a few.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from visualizer.ui.common import colormaps as cm

# First layer to last: cool to warm, so "early layers" read as one family whatever their number.
LAYER_COLORS = ("#2f6fd6", "#19a0a0", "#3fa34d", "#b5a000", "#e08a1e", "#d0452e", "#a23fb0", "#6b6b6b")


class GradientSizePlot:
    """One line per layer on ``plot``, a PlotItem the Curves own and share: the lines show only while
    :meth:`set_active` (the plot's other lines are the Curves' to hide); ``legend_html`` names them."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.active = False
        self.lines: list[pg.PlotDataItem] = []
        self._view = None

    def set_active(self, active: bool) -> None:
        """Show the lines, the log axis and its label (False: hide them; the owner restores its axis)."""
        self.active = bool(active)
        for line in self.lines:
            line.setVisible(self.active)
        self.plot.setLogMode(x=False, y=self.active)
        if self.active:
            self.plot.setLabel("left", "‖∂L/∂W‖")
            self.plot.enableAutoRange(axis="y")
        else:
            self.plot.disableAutoRange()

    def set_sizes(self, view) -> None:
        """Draw a GradientSizeView (None clears the plot); one line per layer."""
        self._view = view
        layers = 0 if view is None else view.layers
        while len(self.lines) > layers:
            self.plot.removeItem(self.lines.pop())
        while len(self.lines) < layers:
            self.lines.append(self.plot.plot(skipFiniteCheck=True, antialias=True))
            self.lines[-1].setVisible(self.active)
            self._style(len(self.lines) - 1)
        if view is None:
            return
        x = np.asarray(view.x, dtype=np.float64)
        for i, line in enumerate(self.lines):
            y = np.asarray(view.norms[:, i], dtype=np.float64)
            keep = np.isfinite(y) & (y > 0)  # a log axis has no room for 0
            line.setData(x[keep], y[keep])

    def value_text(self, epoch: float) -> str:
        """The gradient sizes nearest ``epoch`` ("" without any), for the hover readout."""
        view = self._view
        if view is None or not len(view):
            return ""
        i = int(np.argmin(np.abs(view.x - epoch)))
        sizes = ", ".join(f"W{k + 1} {v:.2g}" for k, v in enumerate(view.norms[i]))
        return f"gradient size @ {view.x[i]:.2f}: {sizes}"

    def legend_html(self) -> str:
        n = len(self.lines)
        if not n:
            return "gradient size per layer: none yet (train to see it)"
        swatches = "&nbsp;".join(f"<span style='color:{self._color(i).name()}'>\u2501</span>W{i + 1}" for i in range(n))
        return f"‖∂L/∂W‖ per layer (log): {swatches}"

    def apply_palette(self, palette) -> None:
        self._dark = cm.is_dark(palette)
        for i in range(len(self.lines)):
            self._style(i)

    def _color(self, i: int) -> QColor:
        color = QColor(LAYER_COLORS[i % len(LAYER_COLORS)])
        return color.lighter(135) if getattr(self, "_dark", False) else color

    def _style(self, i: int) -> None:
        self.lines[i].setPen(pg.mkPen(self._color(i), width=2))
