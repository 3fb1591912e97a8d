"""Edge selection for the network view: which connections to draw for a digit, and in which colour bin."""

from __future__ import annotations

import numpy as np

N_BINS = 16  # colour bins for connections: 8 negative, 8 positive
FAN_PER_NEURON = 8  # input->hidden-1 contributions drawn per neuron when a digit is shown
FAN_BUDGET = 480  # ... at most this many in all (wide first layers get fewer per neuron)
WEIGHTS_PER_NEURON = 12  # without a digit: the strongest weights per neuron, drawn fainter
FAINT = 0.55  # strength scale of those weight-only fan edges
LIT = 0.05  # a pixel brighter than this counts as lit
CONTEXT = 0.15  # with a digit, a deeper edge keeps this share of its |w| strength when its source is dark
PAIR_CAP = 4096  # deeper layer pairs: all edges up to this many, else strongest per neuron


def symmetric_max(*arrays: np.ndarray) -> float:
    """Largest absolute value over the arrays, never zero (so levels (-m, m) stay valid)."""
    m = max((float(np.max(np.abs(a))) for a in arrays if a is not None and np.size(a)), default=0.0)
    return m if np.isfinite(m) and m > 0 else 1e-6


def strongest_per_column(w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the k largest |w| in each column (every entry when k >= rows)."""
    n_in, n_out = w.shape
    if k >= n_in:
        rows, cols = np.meshgrid(np.arange(n_in), np.arange(n_out), indexing="ij")
        return rows.ravel(), cols.ravel()
    rows = np.argpartition(np.abs(w), n_in - k, axis=0)[n_in - k :]
    cols = np.broadcast_to(np.arange(n_out), rows.shape)
    return rows.ravel(), cols.ravel()


def color_bins(values: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Colour bin of each value in [-1, 1]: 0..n/2-1 negative (strongest first), n/2..n-1 positive."""
    half = n_bins // 2
    mag = np.minimum((np.abs(values) * half).astype(np.int64), half - 1)
    return np.where(values >= 0, half + mag, half - 1 - mag)


def fan_per_neuron(n_out: int, with_digit: bool) -> int:
    """How many input edges per first-layer neuron are drawn (the budget shared by all neurons)."""
    cap = FAN_PER_NEURON if with_digit else WEIGHTS_PER_NEURON
    return int(np.clip(FAN_BUDGET // max(n_out, 1), 1, cap))


def lit_pixels(x: np.ndarray | None, n_in: int) -> np.ndarray:
    """Indices of the input pixels brighter than LIT (none without an input)."""
    if x is None or x.size != n_in:
        return np.empty(0, np.int64)
    return np.flatnonzero(x > LIT)


def digit_fan(w: np.ndarray, x: np.ndarray, lit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Input -> hidden 1 for a digit: the largest pixel × weight products per neuron.

    Returns ``(rows, cols, values in [-1, 1], k)`` with ``k`` edges per neuron.
    """
    k = int(min(fan_per_neuron(w.shape[1], True), lit.size))
    contrib = w[lit] * x[lit, None]
    r, cols = strongest_per_column(contrib, k)
    return lit[r], cols, contrib[r, cols] / symmetric_max(contrib), k


def deep_per_neuron(n_in: int, n_out: int) -> int:
    """Edges per neuron drawn between two deeper layers: all up to PAIR_CAP, else the strongest."""
    return n_in if n_in * n_out <= PAIR_CAP else max(1, PAIR_CAP // n_out)


def deep_values(w: np.ndarray, rows: np.ndarray, cols: np.ndarray, a: np.ndarray | None) -> np.ndarray:
    """Colour values in [-1, 1] of the selected deeper edges.

    Without a digit: weight ÷ layer max. With its activations ``a`` of the source layer: the active
    path, |w × a| ÷ max, keeping a CONTEXT share of the weight so the structure stays readable.
    """
    vals = w[rows, cols] / symmetric_max(w)
    if a is not None and a.size == w.shape[0]:
        flow = w[rows, cols] * a[rows]
        flow = np.abs(flow) / symmetric_max(flow)
        vals = np.sign(vals) * np.maximum(CONTEXT * np.abs(vals), flow)
    return vals


def binned_segments(starts: np.ndarray, ends: np.ndarray, values: np.ndarray, n_bins: int = N_BINS):
    """Segments sorted by colour bin, as the ``connect='pairs'`` arrays a path per bin needs.

    Returns ``(x, y, bounds)``: segment i runs (x[2i], y[2i]) -> (x[2i+1], y[2i+1]); bin b holds
    segments ``bounds[b]..bounds[b+1]``.
    """
    bins = color_bins(values, n_bins)
    order = np.argsort(bins, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(bins, minlength=n_bins))])
    a, b = starts[order], ends[order]
    x = np.empty(2 * values.size)
    y = np.empty(2 * values.size)
    x[0::2], x[1::2] = a[:, 0], b[:, 0]
    y[0::2], y[1::2] = a[:, 1], b[:, 1]
    return x, y, bounds
