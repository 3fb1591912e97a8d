"""Drawing-pad preprocessing: any grayscale canvas or photo -> an MNIST-style 28x28 digit, every step kept."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE = 28  # output side, as in MNIST
FIT = 20  # MNIST fitted every digit's bounding box into 20x20 before centering
TARGET_COM = 14.0  # measured on the MNIST test set: mean center of mass is (13.99, 14.01) in pixel indices
EMPTY_CONTRAST = 0.1  # ink must differ from the background by 10% of full scale, else "no digit"
BOX_THRESHOLD = 0.1  # normalised ink above this locates the bounding box; pixels themselves are kept as is
MAX_UPSCALE = 4.0  # a speck of a few pixels must not be blown up into a solid 20x20 square
_MEDIAN_SAMPLES = 96  # the background median is taken on at most ~96x96 strided samples (speed)
# Uneven light (a photo of paper): the background is estimated on a coarse grid of cells from
# the paper side of each cell's pixels, and evened out when it varies by more than this.
LIGHT_CELLS = 8
UNEVEN_LIGHT = 0.06
_PAPER_PERCENTILE = 90  # of a cell's pixels: paper as long as ink covers less than 90% of the cell
_MIN_LIGHT_SIDE = 56  # smaller pictures (an MNIST-size digit) have no lighting worth the name


@dataclass(frozen=True)
class Preprocessed:
    """Every step from canvas to network input, for the GUI to show. Arrays are read-only.

    Attributes
    ----------
    raw
        The whole canvas normalised to ink=1, background=0 (float32, canvas shape).
    bbox
        Ink bounding box ``(top, left, bottom, right)`` in canvas pixels; bottom/right are
        exclusive, so ``raw[top:bottom, left:right]`` is ``cropped``.
    cropped
        The ink box cut out of ``raw`` (float32).
    fitted
        28x28 float32: the box scaled so its longest side is 20 px (aspect kept, area-averaged),
        placed with its box centered in the field, i.e. before the center-of-mass shift.
    centered
        28x28 float32 in [0, 1]: ``fitted`` shifted (sub-pixel) so its center of mass lands on
        pixel (14, 14), as in MNIST. This is what the network sees.
    vector
        ``centered`` flattened to 784 float32 values.
    inverted
        True when the canvas was dark ink on a light background.
    scale
        Output pixels per canvas pixel used for the fit (20 / longest box side, capped at 4).
    shift
        ``(dy, dx)`` in output pixels applied to ``fitted`` to get ``centered``.
    background
        The background (paper) brightness estimated at every canvas pixel when the light was
        uneven and was evened out before the ink was looked for (canvas shape, 0..1); None when
        the background was even (a drawing, a scan).
    """

    raw: np.ndarray
    bbox: tuple[int, int, int, int]
    cropped: np.ndarray
    fitted: np.ndarray
    centered: np.ndarray
    vector: np.ndarray
    inverted: bool
    scale: float
    shift: tuple[float, float]
    background: np.ndarray | None = None


def _to_unit_float(canvas: np.ndarray) -> np.ndarray:
    """Canvas values as float32 on a 0..1 scale (uint8 and 0..255 floats are divided by 255)."""
    a = np.asarray(canvas)
    if a.ndim != 2:
        raise ValueError(f"canvas must be a 2-D grayscale array, got shape {a.shape}")
    if a.dtype == bool:
        return a.astype(np.float32)
    top = float(a.max()) if a.size else 0.0
    if not np.isfinite(top):
        raise ValueError("canvas contains NaN or infinite values")
    # Above 2 means a 0..255 scale; a unit canvas may overshoot 1 by rounding and must not be
    # mistaken for a faint 0..255 one.
    if a.dtype == np.uint8 or (2.0 < top <= 255.0):
        return a.astype(np.float32) * np.float32(1 / 255)
    if top > 255.0:
        # 16-bit scans and the like: their own full scale.
        full = float(np.iinfo(a.dtype).max) if np.issubdtype(a.dtype, np.integer) else top
        return a.astype(np.float32) * np.float32(1 / full)
    return a.astype(np.float32, copy=False)


def _polarity(a: np.ndarray) -> tuple[float, float, float, bool]:
    """(background, darkest, lightest, inverted): inverted is dark ink on a light background."""
    # Ink is the minority of pixels, so the median is the background level; a strided sample is
    # enough for that and keeps a 1000x1000 canvas fast.
    step = max(1, -(-max(a.shape) // _MEDIAN_SAMPLES))
    bg = float(np.median(a[::step, ::step]))
    lo, hi = float(a.min()), float(a.max())
    return bg, lo, hi, (hi - bg) < (bg - lo)  # the far extreme from the background is the ink


def _smooth_axis(cells: np.ndarray, n: int, axis: int) -> np.ndarray:
    """Linear interpolation of per-cell values (at the cells' centres) to ``n`` pixels along ``axis``."""
    k = cells.shape[axis]
    centres = (np.arange(k) + 0.5) * n / k
    pixels = np.arange(n) + 0.5
    return np.apply_along_axis(lambda v: np.interp(pixels, centres, v), axis, cells)


def even_light(a: np.ndarray, inverted: bool) -> np.ndarray | None:
    """The background brightness at every pixel when it varies (uneven light), else None.

    The picture is cut into about :data:`LIGHT_CELLS` x :data:`LIGHT_CELLS` cells; in each, the
    90th percentile (the 10th for light ink on dark) is the background, since ink covers only
    part of a cell. A cell entirely under a thick stroke is taken from its brightest (darkest)
    neighbour, then the cell values are interpolated to every pixel.
    """
    h, w = a.shape
    if min(h, w) < _MIN_LIGHT_SIDE:
        return None
    step = max(1, -(-max(h, w) // _MEDIAN_SAMPLES))
    sample = a[::step, ::step]
    ch, cw = sample.shape[0] // LIGHT_CELLS, sample.shape[1] // LIGHT_CELLS  # >= 7 (the minimum side)
    blocks = sample[: ch * LIGHT_CELLS, : cw * LIGHT_CELLS].reshape(LIGHT_CELLS, ch, LIGHT_CELLS, cw)
    q = _PAPER_PERCENTILE if inverted else 100 - _PAPER_PERCENTILE
    cells = np.percentile(blocks.transpose(0, 2, 1, 3).reshape(LIGHT_CELLS, LIGHT_CELLS, -1), q, axis=-1)
    cells = cells.astype(np.float32)
    padded = np.pad(cells, 1, mode="edge")
    pick = np.maximum if inverted else np.minimum
    neighbours = [padded[1 + dy : 1 + dy + LIGHT_CELLS, 1 + dx : 1 + dx + LIGHT_CELLS]
                  for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    cells = pick.reduce(neighbours)
    # Decided on the cells after the neighbour step: a thick or filled stroke on even paper
    # makes its own cells look like dark paper, but the neighbours put them back on the level,
    # and evening out a flat background would change nothing (an empty "even light" step).
    if float(cells.max() - cells.min()) < UNEVEN_LIGHT:
        return None
    light = _smooth_axis(_smooth_axis(cells, h, 0), w, 1).astype(np.float32)
    return light


def _normalise(canvas: np.ndarray) -> tuple[np.ndarray, bool, np.ndarray | None] | None:
    """Ink=1 / background=0 float32 canvas, whether it was inverted and the uneven background it
    evened out (or None); None when there is no ink."""
    a = _to_unit_float(canvas)
    if a.size == 0:
        return None
    bg, lo, hi, inverted = _polarity(a)
    light = even_light(a, inverted)
    if light is not None:
        # Light falls on paper and ink alike: dividing by it evens paper out and keeps the
        # ink's contrast; a light stroke on a dark board sits on its background instead.
        if inverted:
            a = np.minimum(a / np.maximum(light, 1e-3) * np.float32(light.max()), 1.0)
        else:
            a = np.maximum(a - light + np.float32(light.min()), 0.0)
        bg, lo, hi, _ = _polarity(a)
    contrast = (bg - lo) if inverted else (hi - bg)
    if contrast < EMPTY_CONTRAST:
        return None
    ink = (np.float32(bg) - a) if inverted else (a - np.float32(bg))
    # Stretch so the strongest ink is 1, like MNIST's saturated strokes; the wrong side of the
    # background (paper texture) clips to 0.
    ink *= np.float32(1 / contrast)
    np.clip(ink, 0.0, 1.0, out=ink)
    return ink, inverted, light


def _resample_rows(img: np.ndarray, n_out: int, scale: float, offset: float) -> np.ndarray:
    """Exact area-weighted resample of ``img`` along axis 0 to ``n_out`` rows.

    Input row k covers [k, k+1) and is mapped to output coordinates ``offset + scale * u``;
    output row i is the mean of the mapped image over [i, i+1). So downscaling averages
    (antialiased), partially covered rows give soft edges and sub-pixel offsets are exact.
    Whole rows are summed with ``np.add.reduceat`` and the two partial rows at each edge are
    added by weight: one pass over the pixels and no BLAS call (a resampling matrix product
    stalled on BLAS threads when the GUI draws while TensorFlow keeps every core busy).
    """
    n_in = img.shape[0]
    edges = np.clip((np.arange(n_out + 1, dtype=np.float64) - offset) / scale, 0.0, n_in)
    k = np.minimum(edges.astype(np.intp), n_in - 1)  # the row each edge falls in
    # Integral from 0 to an edge = sum(img[:k + 1]) - missing * img[k].
    missing = (1.0 - (edges - k)).astype(np.float32)[:, None]
    start, stop = k[:-1] + 1, k[1:] + 1  # whole rows between two consecutive edges
    sums = np.add.reduceat(img, np.minimum(k + 1, n_in - 1), axis=0)[:n_out]
    # reduceat quirks: an empty range yields img[start] instead of 0, and a range ending at
    # the last row stops one short (indices must stay below n_in).
    sums[stop <= start] = 0.0
    sums[(stop == n_in) & (start < n_in - 1)] += img[n_in - 1]
    partial = img[k] * missing
    return (sums - partial[1:] + partial[:-1]) * np.float32(scale)


def _resample(img: np.ndarray, shape: tuple[int, int], scale: tuple[float, float], offset: tuple[float, float]):
    """Area-weighted resample to ``shape``, rows first (the big reduction), then columns."""
    rows = _resample_rows(img, shape[0], scale[0], offset[0])
    return _resample_rows(rows.T, shape[1], scale[1], offset[1]).T


def _place(img: np.ndarray, scale: float, offset: tuple[float, float]) -> np.ndarray:
    """Resample ``img`` by ``scale`` into a 28x28 field with its top-left at ``offset`` (y, x)."""
    return _resample(img, (SIZE, SIZE), (scale, scale), offset)


def _center_of_mass(img: np.ndarray) -> tuple[float, float]:
    idx = np.arange(img.shape[0], dtype=np.float64)
    mass = float(img.sum())
    return float(img.sum(axis=1) @ idx) / mass, float(img.sum(axis=0) @ idx) / mass


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def preprocess(canvas: np.ndarray) -> Preprocessed | None:
    """Turn a drawing into the 28x28 input the network was trained on, the way MNIST was made.

    Parameters
    ----------
    canvas
        2-D grayscale array of any size: float in [0, 1] (or 0..255), or uint8. Dark ink on a
        light background or light on dark; the background is whatever most pixels are.

    Returns
    -------
    Preprocessed or None
        All intermediate steps (see :class:`Preprocessed`), or None when the canvas holds no
        ink (uniform, or nothing differs from the background by at least 10%), so callers
        can show "no digit" instead of a guess.

    Notes
    -----
    Steps: even out uneven light (a photo of paper, see :func:`even_light`); normalise polarity
    and contrast; crop to the ink bounding box (found with a 0.1
    threshold, pixels are not thresholded); scale the longest side to 20 px keeping the aspect
    ratio, with exact area averaging; center the 20x20 box in 28x28; shift by a sub-pixel amount
    so the center of mass is at (14, 14); clip to [0, 1].
    """
    norm = _normalise(canvas)
    if norm is None:
        return None
    raw, inverted, light = norm
    mask = raw > BOX_THRESHOLD
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    cropped = raw[top:bottom, left:right]
    h, w = cropped.shape

    scale = min(FIT / max(h, w), MAX_UPSCALE)
    box_offset = ((SIZE - h * scale) / 2, (SIZE - w * scale) / 2)
    fitted = _place(cropped, scale, box_offset)
    com_y, com_x = _center_of_mass(fitted)
    dy, dx = TARGET_COM - com_y, TARGET_COM - com_x
    centered = _place(cropped, scale, (box_offset[0] + dy, box_offset[1] + dx))
    np.clip(centered, 0.0, 1.0, out=centered)
    return Preprocessed(
        raw=_frozen(raw),
        bbox=(top, left, bottom, right),
        cropped=_frozen(cropped),
        fitted=_frozen(np.clip(fitted, 0.0, 1.0)),
        centered=_frozen(centered),
        vector=_frozen(centered.reshape(-1).copy()),
        inverted=bool(inverted),
        scale=float(scale),
        shift=(float(dy), float(dx)),
        background=None if light is None else _frozen(light),
    )


def is_mnist_format(image: np.ndarray) -> bool:
    """True for a 28x28 image that already is an MNIST digit: light ink on a black background.

    Such an image is fed to the network as it is (the window does so with the test digits):
    preprocessing it again would crop and re-center what MNIST already centered.
    """
    a = np.asarray(image)
    if a.shape != (SIZE, SIZE):
        return False
    a = _to_unit_float(a)
    bg, _, hi, inverted = _polarity(a)
    return not inverted and bg <= EMPTY_CONTRAST and hi - bg >= EMPTY_CONTRAST


def as_network_input(image: np.ndarray) -> np.ndarray:
    """A 28x28 image's pixels as the 784 network inputs, unchanged except scaled to 0..1."""
    a = np.asarray(image)
    if a.shape != (SIZE, SIZE):
        raise ValueError(f"the image is {a.shape[1]}x{a.shape[0]} pixels; the network takes 28x28 as it is")
    return np.clip(_to_unit_float(a), 0.0, 1.0).reshape(-1).astype(np.float32)


def naive_downscale(canvas: np.ndarray) -> np.ndarray:
    """The whole canvas squashed to 28x28 (no crop, no centering), as 784 float32 values.

    Same polarity and contrast handling as :func:`preprocess`; area-averaged. It exists so the
    GUI can show what the network would say "without preprocessing". A canvas with no ink gives
    784 zeros.
    """
    norm = _normalise(canvas)
    if norm is None:
        return np.zeros(SIZE * SIZE, dtype=np.float32)
    raw = norm[0]
    out = _resample(raw, (SIZE, SIZE), (SIZE / raw.shape[0], SIZE / raw.shape[1]), (0.0, 0.0))
    return np.clip(out, 0.0, 1.0).reshape(-1).astype(np.float32, copy=False)
