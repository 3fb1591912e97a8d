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
