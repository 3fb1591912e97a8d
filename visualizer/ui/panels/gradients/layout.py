"""The gradient diagram's geometry and what it draws, as numbers: layer spacing, the connections of each layer pair, hit tests.

No Qt: the diagram (diagram.py) turns these into items.
"""

from __future__ import annotations

import numpy as np

from visualizer.core import edges
from visualizer.core.backprop import strongest_descent_block, strongest_descent_edges
from visualizer.session.gradients import GradientMoment
from visualizer.session.stepper import PairMode

GRID = 28  # the input grid is GRID x GRID view units (one per pixel)
TOP, BOTTOM = 4.0, 1.5  # TOP: at least; grows to fit the two-line layer titles at small scales
LABEL = 14.0  # right of the outputs: the nudge arrows, then '9  0.12'
GAP_RANGE = (0.5 * GRID, 1.0 * GRID)  # horizontal distance between layers
WEAKEST = 1 / 16  # -dL/dw below this share of its layer's largest is not drawn


def diagram_geometry(n_layers: int, width_px: float, height_px: float, titles_px: float) -> tuple[float, float, float]:
    """(gap between layers, total height, room above the neurons) in view units for a canvas of that size.

    The layer titles take ``titles_px`` pixels above the neurons: how many view units that is
    depends on the scale, which depends on the height, so it is solved for in a few rounds.
    """
    ok = width_px > 10 and height_px > 10
    aspect = width_px / height_px if ok else 1.5
    steps = max(n_layers - 1, 1)
    top = TOP
    for _ in range(6):
        min_height = GRID + top + BOTTOM
        gap = float(np.clip((aspect * min_height - GRID - LABEL - 1) / steps, *GAP_RANGE))
        width = 1 + GRID + steps * gap + LABEL
        height = max(min_height, width / max(aspect, 0.1))
        scale = min(width_px / width, height_px / height) if ok else 8.0  # pixels per view unit
        top = max(TOP, titles_px / scale + 0.5)
    return gap, max(GRID + top + BOTTOM, height), top


def is_wide(n: int) -> bool:
    """A layer drawn as a strip of cells, with a bounded pick of connections (as the network view)."""
    return n > edges.WIDE


def pair_edges(moment: GradientMoment, i: int, mode: PairMode, acts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, values in [-1, 1]) of the connections ``weights[i]`` drawn in ``mode``.

    GRADIENT: -dL/dW with the activation view's budgets (core/edges), picked from the gradient's
    two vectors (never the matrix); FLOW: what the activation view draws for this input (pixel x
    weight into the first layer, the active path deeper). A pair with a wide side gets the
    network view's bounded pick: the strongest WIDE_EDGES among its CANDIDATES neurons each side.
    """
    w = moment.network.weights[i]
    wide = is_wide(w.shape[1]) or (i > 0 and is_wide(w.shape[0]))
    if mode is PairMode.GRADIENT:
        g = moment.gradient
        if wide:
            sel = strongest_descent_block(g, i, edges.WIDE_EDGES)
        elif i == 0:
            sel = strongest_descent_edges(g, 0, edges.FAN_BUDGET, per_neuron=edges.FAN_PER_NEURON)
        else:
            sel = strongest_descent_edges(g, i, edges.PAIR_CAP)
        # A black pixel or a neuron without error (ReLU off) asks nothing of its weights, and
        # under 1/16 of the layer's largest is noise: drawing it costs as much as a strong one.
        keep = np.abs(sel.strengths) >= WEAKEST
        return sel.rows[keep], sel.cols[keep], sel.strengths[keep]
    a = np.asarray(acts[i], np.float32)
    if i == 0:
        lit = edges.lit_pixels(a, w.shape[0])
        if not lit.size:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
        if wide:
            return edges.wide_pair_edges(w, lit, edges.candidates(w.shape[1], acts[1]), a)
        rows, cols, vals, _k = edges.digit_fan(w, a, lit)
        return rows, cols, vals
    if wide:
        rows, cols = edges.candidates(w.shape[0], a), edges.candidates(w.shape[1], acts[i + 1])
        return edges.wide_pair_edges(w, rows, cols, a)
    rows, cols = edges.strongest_per_column(w, edges.deep_per_neuron(*w.shape))
    return rows, cols, edges.deep_values(w, rows, cols, a)


def nearest_segment(segments: np.ndarray, x: float, y: float) -> tuple[int, float]:
    """Index of the segment (rows x0, y0, x1, y1) nearest to (x, y), and its distance."""
    s = segments
    ab = s[:, 2:] - s[:, :2]
    t = np.clip(((x - s[:, 0]) * ab[:, 0] + (y - s[:, 1]) * ab[:, 1]) / np.maximum((ab**2).sum(1), 1e-12), 0, 1)
    dist = np.hypot(s[:, 0] + t * ab[:, 0] - x, s[:, 1] + t * ab[:, 1] - y)
    j = int(np.argmin(dist))
    return j, float(dist[j])
