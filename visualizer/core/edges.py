"""Edge selection: which connections of a layer pair to draw, the strongest per target neuron.

A view cannot draw all 12,544 input connections of a 784-16 layer legibly, nor should the
number of drawn lines grow with the network. Every view that draws connections (weights,
weight x activation along the active path, or -dL/dW for the gradient view) hands its
per-edge values to :func:`strongest_edges` with a budget and draws what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def strongest_per_column(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, cols)`` of the ``k`` largest ``|values|`` in each column of an (n_in, n_out) matrix.

    Every edge when ``k >= n_in``. The order within a column is unspecified (argpartition);
    cheap enough to call per frame for 784x16, and the answer can be cached and reused for new
    values of the same matrix when the selection need not follow every change.
    """
    values = np.asarray(values)
    n_in, n_out = values.shape
    k = int(k)
    if k < 1:
        raise ValueError(f"at least one edge per neuron is needed, got k={k}")
    if k >= n_in:
        rows, cols = np.meshgrid(np.arange(n_in), np.arange(n_out), indexing="ij")
        return rows.ravel(), cols.ravel()
    rows = np.argpartition(np.abs(values), n_in - k, axis=0)[n_in - k :]
    cols = np.broadcast_to(np.arange(n_out), rows.shape)
    return rows.ravel(), cols.ravel()


def edges_per_neuron(n_in: int, n_out: int, limit: int, per_neuron: int | None = None) -> int:
    """How many edges into each of ``n_out`` neurons fit in ``limit`` edges (at least 1, at most ``n_in``).

    ``per_neuron`` caps it further (e.g. 8 pixels per first-layer neuron).
    """
    k = max(1, int(limit) // max(1, int(n_out)))
    if per_neuron is not None:
        k = min(k, max(1, int(per_neuron)))
    return int(min(k, n_in))


@dataclass(frozen=True, eq=False)
class EdgeSelection:
    """The edges chosen from one layer pair.

    Attributes
    ----------
    rows, cols : np.ndarray
        int64 source and target neuron of each chosen edge (rows are indices of the source layer,
        also when only some source neurons were offered).
    values : np.ndarray
        The signed value of each chosen edge, as given.
    scale : float
        The largest ``|value|`` over everything offered (never 0): ``values / scale`` is in [-1, 1].
    per_neuron : int
        Edges kept per target neuron.
    offered : int
        How many edges were offered (the size of the matrix, or of its offered rows).
    """

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    scale: float
    per_neuron: int
    offered: int

    @property
    def strengths(self) -> np.ndarray:
        """``values / scale``: signed, in [-1, 1], for colour and opacity."""
        return self.values / self.scale

    @property
    def complete(self) -> bool:
        """True when every offered edge was kept."""
        return self.rows.size == self.offered

    def __len__(self) -> int:
        return int(self.rows.size)


def strongest_edges(values: np.ndarray, limit: int, *, per_neuron: int | None = None,
                    rows: np.ndarray | None = None) -> EdgeSelection:
    """The strongest edges of one layer pair, the same number into every target neuron.

    Parameters
    ----------
    values
        (n_in, n_out) signed per-edge values: weights, ``weight * activation`` (what each edge
        carries for this input), or ``-dL/dW`` (which way each weight wants to move).
    limit
        Most edges in all; each target neuron gets ``limit // n_out`` of them (at least 1).
    per_neuron
        Optional cap per target neuron.
    rows
        When ``values`` holds only some source neurons (e.g. the lit pixels of a digit), their
        indices in the source layer, so the result's ``rows`` refer to the whole layer.

    Returns
    -------
    EdgeSelection
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"edge values must be an (inputs, outputs) matrix, got shape {values.shape}")
    if rows is not None and len(rows) != values.shape[0]:
        raise ValueError(f"{len(rows)} row indices for {values.shape[0]} rows of edge values")
    n_in, n_out = values.shape
    if values.size == 0:
        empty = np.empty(0, np.int64)
        return EdgeSelection(empty, empty, np.empty(0, values.dtype), 1.0, 0, 0)
    k = edges_per_neuron(n_in, n_out, limit, per_neuron)
    r, c = strongest_per_column(values, k)
    top = float(np.max(np.abs(values)))
    scale = top if np.isfinite(top) and top > 0 else 1e-6
    source = r if rows is None else np.asarray(rows, dtype=np.int64)[r]
    return EdgeSelection(source.astype(np.int64), c.astype(np.int64), values[r, c], scale, k, int(values.size))


# -- what the network view draws: its budgets, colour bins and the active path --------------------

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


# -- wide layers: a bounded number of connections, whatever the width --------------------------

WIDE = 32  # layers wider than this are drawn as grids of cells, their connections picked as below
WIDE_EDGES = 240  # connections drawn for a layer pair with a wide side: the strongest for this input
CANDIDATES = 64  # ... among this many neurons of each wide side (the most active), so the cost is bounded


def candidates(n: int, a: np.ndarray | None, k: int = CANDIDATES) -> np.ndarray:
    """Up to ``k`` neuron indices of a layer of ``n``: the largest ``|a|`` with activations, else
    ``k`` evenly spaced (all of them when ``n <= k``). Sorted."""
    if n <= k:
        return np.arange(n)
    if a is not None and a.size == n:
        return np.sort(np.argpartition(-np.abs(a), k - 1)[:k])
    return np.unique(np.linspace(0, n - 1, k).round().astype(np.int64))


def wide_pair_edges(w: np.ndarray, rows: np.ndarray, cols: np.ndarray, a: np.ndarray | None,
                    limit: int = WIDE_EDGES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``limit`` strongest connections from source neurons ``rows`` to targets ``cols`` of ``w``.

    With the source layer's activations ``a``, strength is what each edge carries for this input,
    ``|w × a|``; without, ``|w|`` (drawn at FAINT). Only the ``rows × cols`` block is read, so
    the cost does not grow with the matrix. Returns ``(rows, cols, values in [-1, 1])``.
    """
    block = w[np.ix_(rows, cols)]
    if a is not None and a.size == w.shape[0]:
        block = block * a[rows, None]
        scale = 1.0
    else:
        scale = FAINT
    flat = np.abs(block).ravel()
    k = min(int(limit), flat.size)
    if k <= 0:
        empty = np.empty(0, np.int64)
        return empty, empty, np.empty(0)
    pick = np.argpartition(-flat, k - 1)[:k] if k < flat.size else np.arange(flat.size)
    r, c = np.divmod(pick, cols.size)
    return rows[r], cols[c], scale * block[r, c] / symmetric_max(block)
