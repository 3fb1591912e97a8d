"""Weight maps as images: first-layer tiles in a mosaic, colour ranges that grow in nice steps."""

from __future__ import annotations

import math

import numpy as np

from visualizer.core.edges import symmetric_max

TILE = 28
MOSAIC_BIAS_GAP, MOSAIC_BIAS_HEIGHT = 1.5, 3.0  # view units under the tiles
EMPTY_RANGE = 1e-6  # symmetric_max of all-zero data
_NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
ROBUST_SIZE, ROBUST_QUANTILE = 1000, 99.5  # big matrices are scaled to this percentile of |w|
# Above this many values the percentile is taken over this many of them, at fixed random places:
# a 1024x1024 matrix's exact percentile cost ~1.5 ms per map per frame, and the range it sets
# grows in coarse steps anyway (grown_range), so a sample's estimate draws the same picture.
QUANTILE_SAMPLE = 65_536
_sample_places: dict[int, np.ndarray] = {}


def _sample(flat: np.ndarray) -> np.ndarray:
    """``flat`` itself, or QUANTILE_SAMPLE of its values at places fixed per size (the same
    matrix always gives the same answer; random places, since a stride could follow a column)."""
    if flat.size <= QUANTILE_SAMPLE:
        return flat
    places = _sample_places.get(flat.size)
    if places is None:
        places = np.random.default_rng(flat.size).integers(0, flat.size, QUANTILE_SAMPLE)
        if len(_sample_places) < 64:
            _sample_places[flat.size] = places
    return flat[places]


def color_scale(a: np.ndarray) -> float:
    """The magnitude a map's colours span: the largest |value|, or for big matrices (the first
    layer's 12,544 weights) the 99.5th percentile. After training a few dozen first-layer weights
    grow 3-5x larger than the rest; scaled to them, the 16 templates fade to white."""
    a = np.asarray(a, dtype=np.float32).ravel()
    if a.size < ROBUST_SIZE:
        return symmetric_max(a)
    m = float(np.percentile(np.abs(_sample(a)), ROBUST_QUANTILE))
    return m if np.isfinite(m) and m > 0 else symmetric_max(a)


def grown_range(current: float | None, needed: float) -> float:
    """The ratchet: ``current`` if it still covers ``needed``, else ``needed`` rounded up to a
    1-1.2-1.5-2-2.5-3-4-5-6-8 step (so the range and its title change only now and then)."""
    if current is not None and needed <= current:
        return current
    if needed <= EMPTY_RANGE:
        return EMPTY_RANGE if current is None else max(current, EMPTY_RANGE)
    power = 10.0 ** math.floor(math.log10(needed))
    return next(step * power for step in _NICE_STEPS if needed <= step * power * (1 + 1e-9))


def mosaic_shape(n: int, cols: int | None = None) -> tuple[int, int]:
    """(rows, cols) of tiles for ``n`` first-layer neurons; by default as square as possible."""
    cols = max(1, math.ceil(math.sqrt(n))) if cols is None else int(np.clip(cols, 1, max(n, 1)))
    return math.ceil(n / cols), cols


def tile_mosaic(w: np.ndarray, gap: int = 1, cols: int | None = None) -> np.ndarray:
    """Arrange the (784, n) first-layer weights as n 28x28 tiles in one image, NaN between tiles.

    Tile k (neuron k) sits at tile row k // cols, tile column k % cols, row-major.
    """
    n = w.shape[1]
    rows, cols = mosaic_shape(n, cols)
    step = TILE + gap
    out = np.full((rows * step - gap, cols * step - gap), np.nan, dtype=np.float32)
    tiles = np.asarray(w, dtype=np.float32).T.reshape(n, TILE, TILE)
    for k in range(n):
        r, c = divmod(k, cols)
        out[r * step : r * step + TILE, c * step : c * step + TILE] = tiles[k]
    return out


def best_columns(n: int, width: float, height: float) -> int:
    """Tile columns that make ``n`` square tiles largest in a ``width`` x ``height`` pixel area.

    Each empty slot costs 3 % of the score, so a tidy grid wins over slightly bigger ragged tiles.
    """
    best, best_score = 1, -1.0
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        units_w = cols * (TILE + 1) - 1
        units_h = rows * (TILE + 1) - 1 + MOSAIC_BIAS_GAP + MOSAIC_BIAS_HEIGHT
        scale = min(width / units_w, height / units_h)
        score = scale * (1 - 0.03 * (rows * cols - n))
        if score > best_score:
            best, best_score = cols, score
    return best



def range_text(m: float, bias: np.ndarray, m_bias: float) -> str:
    """'w ±0.31 · b ±0.05', or '... · biases 0' while every bias is still exactly zero."""
    biases = "biases 0" if not np.any(bias) else f"b ±{m_bias:.2g}"
    return f"w ±{m:.2g} · {biases}"


# -- wide first layers: a page of tiles at a time; big matrices: a bounded image -------------------

PAGE_TILES = 64  # first-layer tiles drawn at once: more would be specks, and cost per frame
MATRIX_PIXELS = 256  # a deeper matrix is drawn with at most this many rows and columns of samples


def page_count(n: int, per_page: int = PAGE_TILES) -> int:
    """Pages of tiles for ``n`` first-layer neurons (at least 1)."""
    return max(1, math.ceil(n / per_page))


def page_range(n: int, page: int, per_page: int = PAGE_TILES) -> tuple[int, int]:
    """Neurons ``[start, stop)`` on ``page`` (clamped to the pages there are)."""
    page = int(np.clip(page, 0, page_count(n, per_page) - 1))
    return page * per_page, min(n, (page + 1) * per_page)


def matrix_strides(shape: tuple[int, int], limit: int = MATRIX_PIXELS) -> tuple[int, int]:
    """Row and column steps that sample an (rows, cols) matrix down to at most ``limit`` x ``limit``.

    A 1024x1024 matrix on a 200-pixel cell shows one weight in four either way; sampling (a view,
    no copy) keeps the per-frame cost from growing with the matrix while hover still reads the
    exact weight from the full matrix.
    """
    return max(1, math.ceil(shape[0] / limit)), max(1, math.ceil(shape[1] / limit))
