"""GradientSizes: the recent history of each layer's gradient size ‖∂L/∂W‖, from the training snapshots.

The trainer measures the gradient size per layer inside its graph loop and puts it in every
snapshot's metrics (``grad_norms``); the timeline does not record it. The session keeps these
figures as they arrive so the curves can plot them against epochs: bounded (when full, every
other point is dropped, so a long run keeps its whole span at half the density), and a point
earlier than the last one (a run continued from an earlier moment) drops the points after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_POINTS = 4096


@dataclass(frozen=True, eq=False)
class GradientSizeView:
    """Read-only arrays: ``x`` (n,) in epochs, ``norms`` (n, layers), ``ratios`` (n, layers) ‖ΔW‖/‖W‖."""

    x: np.ndarray
    norms: np.ndarray
    ratios: np.ndarray

    @property
    def layers(self) -> int:
        return int(self.norms.shape[1])

    def __len__(self) -> int:
        return int(self.x.size)


class GradientSizes:
    """Per-layer gradient sizes and update ratios of the snapshots seen, at most ``max_points``."""

    def __init__(self, max_points: int = MAX_POINTS):
        self.max_points = max(2, int(max_points))
        self.clear()

    def clear(self) -> None:
        self._x: list[float] = []
        self._norms: list[tuple[float, ...]] = []
        self._ratios: list[tuple[float, ...]] = []
        self._view: GradientSizeView | None = None

    def add(self, snap) -> bool:
        """Keep ``snap``'s figures if it carries them (True then); a different layer count starts afresh."""
        norms = snap.metrics.get("grad_norms")
        if not norms:
            return False
        ratios = snap.metrics.get("update_ratios") or (float("nan"),) * len(norms)
        x = float(snap.epoch_float)
        if self._norms and len(self._norms[0]) != len(norms):
            self.clear()
        while self._x and self._x[-1] >= x:  # the same moment again, or a run continued from earlier
            self._x.pop(), self._norms.pop(), self._ratios.pop()
        self._x.append(x)
        self._norms.append(tuple(map(float, norms)))
        self._ratios.append(tuple(map(float, ratios)))
        if len(self._x) > self.max_points:
            self._x, self._norms, self._ratios = self._x[::2], self._norms[::2], self._ratios[::2]
        self._view = None
        return True

    def view(self) -> GradientSizeView | None:
        """The figures so far (one array copy per change, shared by every caller), None when there are none."""
        if not self._x:
            return None
        if self._view is None:
            arrays = [np.array(self._x, np.float64), np.array(self._norms, np.float64),
                      np.array(self._ratios, np.float64)]
            for a in arrays:
                a.flags.writeable = False
            self._view = GradientSizeView(*arrays)
        return self._view
