"""The network view's geometry as numbers: layer spacing, wide layers as grids of cells, titles that fit, hit tests.

No Qt: the view (view.py) turns these into items. A layer wider than :data:`WIDE` neurons is a
grid of small square cells (one per neuron, row-major) instead of a column of discs, so 1024
neurons stay apart and hoverable and the number of drawn items does not grow with the width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from visualizer.core.edges import WIDE

GRID = 28  # the input grid is GRID x GRID view units (one per pixel)
TOP = 4.0  # room above the neurons for the layer titles
BOTTOM = 1.5
LABEL = 11.0  # right of the outputs, at least: '9  1.00  ✗ (is 3)' gets what its pixels need
GAP_RANGE = (0.55 * GRID, 1.1 * GRID)  # horizontal distance between layers; fits the widget's shape
BAND = 0.5  # share of the gap a wide layer's grid may take (the rest is for its connections)


class Geometry(NamedTuple):
    """The network view's layout in view units: what :func:`network_geometry` solves for."""

    gap: float  # horizontal distance between layers
    height: float  # of the whole drawing
    label: float  # room right of the outputs
    top: float  # above the neurons, for the layer titles
    scale: float  # pixels per view unit


def network_geometry(n_layers: int, width_px: float, height_px: float, label_px: float,
                     title_px: float = 0.0) -> Geometry:
    """The layout for a canvas of that size, in view units.

    The output labels need ``label_px`` pixels across and the titles ``title_px`` pixels down:
    how many view units that is depends on the scale, which depends on the room given to them,
    so it is solved for in a few rounds. A wide view spreads the layers (up to GAP_RANGE[1]); a
    narrow one keeps them at GAP_RANGE[0] and grows the height instead, so the neuron columns
    use the room rather than leaving it empty. A short or narrow view (a small scale) gives the
    titles more units above the neurons, so the grids never reach up into them.
    """
    ok = width_px > 10 and height_px > 10
    aspect = width_px / height_px if ok else 1.6
    steps = max(n_layers - 1, 1)
    label, top, scale = LABEL, TOP, 8.0
    for _ in range(8):
        min_height = GRID + top + BOTTOM
        gap = float(np.clip((aspect * min_height - GRID - label - 1) / steps, *GAP_RANGE))
        width = 1 + GRID + steps * gap + label
        height = max(min_height, width / max(aspect, 0.1))
        scale = min(width_px / width, height_px / height) if ok else 8.0  # pixels per view unit
        label = max(LABEL, label_px / scale + 1.5)  # the view ends 1 unit short of the labels + LABEL
        top = max(TOP, (title_px + 3) / scale)  # the title and 3 pixels to the first neuron
    return Geometry(gap, height, label, top, scale)


def row_spacing(n: int, room: float, scale: float, row_px: float) -> float:
    """Distance between the centres of ``n`` output rows (view units) in ``room`` units of height:
    3.6 units where there is room, never less than ``row_px`` pixels (a label's line) while the
    room allows, else the room shared evenly (the caller shrinks the labels to fit it)."""
    return min(room / max(n, 1), max(3.6, row_px / scale))


@dataclass(frozen=True)
class CellGrid:
    """Where a wide layer's cells are: neuron k at row k // cols, column k % cols, each ``cell`` units square."""

    n: int
    cols: int
    rows: int
    cell: float
    x0: float  # top-left corner, view units
    y0: float

    @property
    def rect(self) -> tuple[float, float, float, float]:
        """(x, y, width, height) of the whole grid."""
        return self.x0, self.y0, self.cols * self.cell, self.rows * self.cell

    def centers(self) -> np.ndarray:
        """(n, 2) cell centres."""
        r, c = np.divmod(np.arange(self.n), self.cols)
        return np.column_stack([self.x0 + (c + 0.5) * self.cell, self.y0 + (r + 0.5) * self.cell])

    def image(self, values: np.ndarray, sub: int = 1, seam: float = np.nan) -> np.ndarray:
        """``values`` (n,) as a (rows * sub, cols * sub) image, each cell ``sub`` x ``sub`` pixels of which
        the last row and column are ``seam`` (a line between cells); NaN in the unused cells."""
        out = np.full(self.rows * self.cols, np.nan, np.float32)
        out[: self.n] = values
        img = np.repeat(np.repeat(out.reshape(self.rows, self.cols), sub, axis=0), sub, axis=1)
        if sub > 1:
            img[sub - 1 :: sub, :] = seam
            img[:, sub - 1 :: sub] = seam
            img[np.isnan(np.repeat(np.repeat(out.reshape(self.rows, self.cols), sub, 0), sub, 1))] = np.nan
        return img

    def index_at(self, x: float, y: float) -> int | None:
        """The neuron whose cell holds view point (x, y), if any."""
        c, r = math.floor((x - self.x0) / self.cell), math.floor((y - self.y0) / self.cell)
        k = r * self.cols + c
        return k if 0 <= c < self.cols and 0 <= r < self.rows and k < self.n else None


def cell_grid(n: int, center_x: float, middle_y: float, width: float, height: float) -> CellGrid:
    """The grid with the largest square cells for ``n`` neurons in a ``width`` x ``height`` band."""
    cols = np.arange(1, n + 1)
    rows = np.ceil(n / cols)
    cell = np.minimum(width / cols, height / rows)
    best = int(np.argmax(cell))  # the first of equals: the fewest columns
    c, r, s = int(cols[best]), int(rows[best]), float(cell[best])
    return CellGrid(n, c, r, s, center_x - c * s / 2, middle_y - r * s / 2)


def is_wide(n: int) -> bool:
    """True when a layer of ``n`` neurons is drawn as a grid of cells."""
    return n > WIDE


def title_options(names: list[str], sizes: tuple[int, ...]) -> list[list[str]]:
    """Per layer, its title from longest to shortest: 'Hidden 1 (1024)', 'H1 (1024)', 'H1'."""
    n = len(sizes)
    out = [[f"Input {GRID}×{GRID}", "Input"]]
    for i in range(1, n - 1):
        short = names[i].replace("Hidden ", "H")
        out.append([f"{names[i]} ({sizes[i]})", f"{short} ({sizes[i]})", short])
    out.append([names[-1], "Out"])
    return out


def fit_titles(options: list[list[str]], centers_px: list[float], width_px, spacing_px: float = 4.0,
               left_px: float | None = None) -> list[str]:
    """The longest titles whose boxes (centred at ``centers_px``, ``width_px(text)`` wide) leave
    ``spacing_px`` between neighbours. The first box moves right to start at ``left_px`` if it
    would start left of it (the view's edge: the input's title is wider than its grid in a small
    view). The hidden layers shorten together (so they read alike), and only when shortening the
    input's and output's titles is not enough; the shortest if nothing fits."""
    n = len(options)

    def fits(texts):
        widths = [width_px(t) for t in texts]
        centers = [first_center(centers_px[0], widths[0], left_px), *centers_px[1:]]
        return all(centers[i + 1] - centers[i] >= (widths[i] + widths[i + 1]) / 2 + spacing_px
                   for i in range(n - 1))

    hidden_levels = max((len(o) for o in options[1:-1]), default=1)
    for hidden in range(hidden_levels):
        for ends in ((0, 0), (1, 0), (0, 1), (1, 1)):
            level = [ends[0]] + [hidden] * (n - 2) + [ends[1]]
            texts = [o[min(k, len(o) - 1)] for o, k in zip(options, level, strict=True)]
            if fits(texts):
                return texts
    return [o[-1] for o in options]


def first_center(center: float, width: float, left: float | None) -> float:
    """Where a box ``width`` wide meant to be centred at ``center`` is centred once kept right of ``left``."""
    return center if left is None else max(center, left + width / 2)
