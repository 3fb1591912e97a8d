"""Synthetic digits: MNIST-like 28x28 handwriting drawn from stroke templates, deterministic per seed."""

from __future__ import annotations

import numpy as np

from visualizer.data.dataset import IMAGE_SIDE, IMAGE_SIZE, Dataset

POINTS = 160  # samples along each template; about 0.3 px apart once drawn 20 px tall
BOX = 20.0  # MNIST fits each digit in a 20x20 box ...
CENTER = 14.0  # ... and puts its centre of mass here (row and column, measured on real MNIST)
_BLUR_RADIUS = 3
SIGMAS = np.linspace(0.7, 1.1, 6)  # pen softness levels (Gaussian sigma in pixels)
_FLOOR = 0.06  # faint blur tails below this become background, as in MNIST
CHUNK = 2048  # images rendered at once: keeps the working set in cache


def _arc(cx, cy, rx, ry, a0, a1, n=32):
    """Points on an ellipse; angles in degrees with y pointing down (90 = bottom, 270 = top)."""
    t = np.radians(np.linspace(a0, a1, n))
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])


def _line(*points):
    return np.array(points, dtype=float)


def _chain(*parts):
    return np.concatenate(parts)


def _smooth(points, rounds=2):
    """Chaikin corner cutting: turns a control polygon into a hand-drawn looking curve."""
    for _ in range(rounds):
        q = 0.75 * points[:-1] + 0.25 * points[1:]
        r = 0.25 * points[:-1] + 0.75 * points[1:]
        points = np.concatenate([points[:1], np.column_stack([q, r]).reshape(-1, 2), points[-1:]])
    return points


def _eight(top=0.25, bottom=0.32, n=96):
    t = np.linspace(0, 2 * np.pi, n)
    y = 0.5 - 0.5 * np.cos(t)
    return np.column_stack([0.5 + np.where(y < 0.5, top, bottom) * np.sin(2 * t), y])


# Each digit has a few styles; each style is a list of strokes in a unit box (x right, y down).
TEMPLATES: dict[int, list[list[np.ndarray]]] = {
    0: [[_arc(0.5, 0.5, 0.32, 0.5, -90, 275)], [_arc(0.5, 0.5, 0.26, 0.5, -100, 265)]],
    1: [
        [_line((0.5, 0), (0.5, 1))],
        [_line((0.3, 0.2), (0.52, 0), (0.52, 1))],
        [_line((0.3, 0.2), (0.52, 0), (0.52, 1)), _line((0.3, 1), (0.75, 1))],
    ],
    2: [
        [_chain(_arc(0.5, 0.3, 0.32, 0.3, 190, 370), _line((0.12, 1.0), (0.92, 1.0)))],
        [
            _chain(
                _arc(0.5, 0.28, 0.3, 0.28, 180, 375),
                _smooth(_line((0.72, 0.5), (0.4, 0.75), (0.1, 1.0), (0.5, 0.95), (0.95, 1.0))),
            )
        ],
    ],
    3: [
        [_chain(_arc(0.48, 0.26, 0.3, 0.26, 200, 455), _arc(0.48, 0.74, 0.34, 0.26, 265, 510))],
        [_chain(_line((0.12, 0), (0.85, 0), (0.42, 0.4)), _arc(0.48, 0.7, 0.34, 0.3, 250, 510))],
    ],
    4: [
        [_line((0.62, 0), (0.05, 0.68), (0.95, 0.68)), _line((0.68, 0.3), (0.68, 1))],
        [_line((0.18, 0), (0.12, 0.58), (0.9, 0.58)), _line((0.72, 0), (0.72, 1))],
    ],
    5: [
        [_chain(_line((0.85, 0), (0.22, 0), (0.16, 0.45)), _arc(0.5, 0.7, 0.38, 0.3, 215, 510))],
        [
            _line((0.22, 0.02), (0.16, 0.45)),
            _arc(0.48, 0.7, 0.36, 0.3, 215, 505),
            _line((0.22, 0), (0.88, 0.02)),
        ],
    ],
    6: [
        [
            _chain(
                _smooth(_line((0.75, 0), (0.4, 0.15), (0.2, 0.45), (0.18, 0.7))),
                _arc(0.5, 0.72, 0.32, 0.28, 180, -175),
            )
        ],
        [_chain(_smooth(_line((0.6, 0), (0.3, 0.35), (0.2, 0.72))), _arc(0.48, 0.75, 0.28, 0.25, 180, -170))],
    ],
    7: [
        [_line((0.05, 0), (0.95, 0), (0.42, 1))],
        [_line((0.05, 0.08), (0.95, 0), (0.45, 1)), _line((0.32, 0.52), (0.85, 0.5))],
        [_smooth(_line((0.05, 0.18), (0.08, 0), (0.95, 0), (0.55, 0.5), (0.42, 1)), 1)],
    ],
    8: [[_arc(0.5, 0.25, 0.26, 0.25, 90, 450), _arc(0.5, 0.74, 0.32, 0.26, -90, 270)], [_eight()]],
    9: [
        [_chain(_arc(0.48, 0.28, 0.3, 0.28, 5, 365), _line((0.78, 0.3), (0.74, 1)))],
        [_chain(_arc(0.45, 0.27, 0.3, 0.27, 0, 360), _smooth(_line((0.75, 0.27), (0.74, 0.7), (0.55, 1))))],
    ],
}


def _resample(strokes: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points spread over the strokes by arc length, and the stroke number of each point."""
    lengths = np.array([np.linalg.norm(np.diff(s, axis=0), axis=1).sum() for s in strokes])
    counts = np.maximum(2, np.round(n * lengths / lengths.sum()).astype(int))
    counts[np.argmax(counts)] += n - counts.sum()
    points, ids = [], []
    for k, (stroke, count) in enumerate(zip(strokes, counts, strict=True)):
        along = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(stroke, axis=0), axis=1))])
        t = np.linspace(0, along[-1], count)
        points.append(np.column_stack([np.interp(t, along, stroke[:, 0]), np.interp(t, along, stroke[:, 1])]))
        ids.append(np.full(count, k))
    return np.concatenate(points), np.concatenate(ids)


def _template_table():
    """All styles stacked: points (styles, POINTS, 2), stroke ids (styles, POINTS), digit per style."""
    pts, ids, digits = [], [], []
    for digit, styles in TEMPLATES.items():
        for strokes in styles:
            p, i = _resample(strokes, POINTS)
            pts.append(p), ids.append(i), digits.append(digit)
    return np.stack(pts).astype(np.float32), np.stack(ids), np.array(digits)


_PTS, _IDS, _DIGITS = _template_table()


def _shapes(labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Jittered stroke points in pixel coordinates (n, POINTS, 2) and their stroke ids."""
    n = len(labels)
    styles = np.empty(n, dtype=int)
    for digit in range(10):
        choices = np.flatnonzero(_DIGITS == digit)
        mask = labels == digit
        styles[mask] = rng.choice(choices, size=mask.sum())
    pts, ids = _PTS[styles].copy(), _IDS[styles]
    # Each stroke lands a little off where the template puts it.
    pts += np.take_along_axis(rng.normal(0, 0.045, (n, 3, 2)), np.repeat(ids[..., None], 2, -1), axis=1)
    # A smooth wobble: two random sine waves per axis, as a pen hand drifts.
    x, y = pts[..., 0], pts[..., 1]
    amp = rng.uniform(0, 0.07, (n, 4, 1))
    freq = rng.uniform(0.5, 1.6, (n, 4, 1)) * 2 * np.pi
    phase = rng.uniform(0, 2 * np.pi, (n, 4, 1))
    dx = amp[:, 0] * np.sin(freq[:, 0] * y + phase[:, 0]) + amp[:, 1] * np.sin(freq[:, 1] * x + phase[:, 1])
    dy = amp[:, 2] * np.sin(freq[:, 2] * x + phase[:, 2]) + amp[:, 3] * np.sin(freq[:, 3] * y + phase[:, 3])
    pts = np.stack([x + dx, y + dy], axis=-1) - 0.5
    # Affine jitter: width, slant (shear), rotation.
    width = rng.uniform(0.75, 1.3, (n, 1))
    slant = np.clip(rng.normal(0.1, 0.18, (n, 1)), -0.3, 0.55)
    angle = np.radians(np.clip(rng.normal(0, 10, (n, 1)), -25, 25))
    x, y = pts[..., 0] * width - slant * pts[..., 1], pts[..., 1]
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * x - s * y, s * x + c * y], axis=-1), ids


def _weights(pts: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Ink per point: half the length of the segments on either side within the same stroke."""
    seg = np.linalg.norm(np.diff(pts, axis=1), axis=-1) * (np.diff(ids, axis=1) == 0)
    pad = np.zeros((len(pts), 1))
    return 0.5 * (np.concatenate([pad, seg], 1) + np.concatenate([seg, pad], 1))


def _blur_matrix(sigma: float) -> np.ndarray:
    """28x28 matrix that blurs one image axis with a Gaussian of ``sigma`` pixels (zero outside)."""
    taps = np.arange(IMAGE_SIDE)
    k = np.exp(-0.5 * ((taps[:, None] - taps[None, :]) / sigma) ** 2)
    k[np.abs(taps[:, None] - taps[None, :]) > _BLUR_RADIUS] = 0
    return (k / k.sum(1, keepdims=True).max()).astype(np.float32)


_BLURS = np.stack([_blur_matrix(s) for s in SIGMAS])


def _render(pts: np.ndarray, ink: np.ndarray, blur: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Splat points bilinearly on the 28x28 grid, blur with a per-image Gaussian, saturate like a pen."""
    n = len(pts)
    col, row = pts[..., 0], pts[..., 1]
    c0, r0 = np.floor(col).astype(np.intp), np.floor(row).astype(np.intp)
    fc, fr = (col - c0).astype(np.float32), (row - r0).astype(np.float32)
    base = np.arange(n)[:, None] * IMAGE_SIZE
    index, weight = [], []
    for dr, dc, w in (
        (0, 0, (1 - fr) * (1 - fc)),
        (0, 1, (1 - fr) * fc),
        (1, 0, fr * (1 - fc)),
        (1, 1, fr * fc),
    ):
        r, c = r0 + dr, c0 + dc
        ok = (r >= 0) & (r < IMAGE_SIDE) & (c >= 0) & (c < IMAGE_SIDE)
        index.append((base + r * IMAGE_SIDE + c)[ok])
        weight.append((ink * w)[ok])
    grid = np.bincount(np.concatenate(index), np.concatenate(weight), minlength=n * IMAGE_SIZE)
    img = grid.astype(np.float32).reshape(n, IMAGE_SIDE, IMAGE_SIDE)
    out = np.empty_like(img)
    for b in np.unique(blur):  # one matrix product per blur width: K @ img @ K.T
        sel = np.flatnonzero(blur == b)
        k = _BLURS[b]
        part = img[sel] @ k.T  # blur along columns, as one big (m*28, 28) @ (28, 28) product
        out[sel] = (
            (part.transpose(0, 2, 1).reshape(-1, IMAGE_SIDE) @ k.T)
            .reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
            .transpose(0, 2, 1)
        )
    # A line of unit ink density peaks at 1/(sqrt(2 pi) sigma) after the blur; scale so gain sets darkness.
    density = out * (np.sqrt(2 * np.pi) * SIGMAS[blur]).astype(np.float32)[:, None, None]
    ink_level = 1.0 - np.exp(-gain.astype(np.float32)[:, None, None] * density)
    return np.clip((ink_level - _FLOOR) / (1 - _FLOOR), 0, 1)


def _moments(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre of mass (n, 2) as (col, row), and the size of the inked bounding box (n,)."""
    mass = img.sum((1, 2)) + 1e-12
    idx = np.arange(IMAGE_SIDE)
    com = np.column_stack([(img.sum(1) * idx).sum(1), (img.sum(2) * idx).sum(1)]) / mass[:, None]
    inked = img > 0.1
    return com, np.maximum(_extent(inked.any(1)), _extent(inked.any(2)))


def _extent(mask: np.ndarray) -> np.ndarray:
    """Length of the run from the first to the last True in each row of ``mask`` (at least 1)."""
    return np.where(mask.any(1), IMAGE_SIDE - mask[:, ::-1].argmax(1) - mask.argmax(1), 1)


def _draw(pts: np.ndarray, ids: np.ndarray, blur: np.ndarray, gain: np.ndarray, rng) -> np.ndarray:
    """Scale the skeleton so the drawn digit fills the 20x20 box, centre its mass, and draw it."""
    n = len(pts)
    # Ink reaches the 0.1 level this far from the stroke's centre line (straight-line profile, after _FLOOR).
    level = 1 - (1 - _FLOOR) * 0.9
    halo = SIGMAS[blur] * np.sqrt(2 * np.log(gain / -np.log(1 - level))) - 0.2
    span = (pts.max(1) - pts.min(1)).max(1)
    scale = (BOX * rng.uniform(0.95, 1.0, n) - 2 * halo) / span
    pts = pts * scale[:, None, None]
    ink = _weights(pts, ids)
    pts += CENTER - (pts * ink[..., None]).sum(1, keepdims=True) / ink.sum(1)[:, None, None]
    return _render(pts, ink, blur, gain)


def generate_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` synthetic digits, exactly balanced over 0-9 (up to n % 10), in a seeded order.

    Parameters
    ----------
    n : int
        Number of images.
    seed : int
        Same seed, same images.

    Returns
    -------
    x : float32 (n, 784) in [0, 1], MNIST-like: digit fits a 20x20 box, centre of mass at the centre.
    y : uint8 (n,)
    """
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10).astype(np.uint8)
    x = np.empty((n, IMAGE_SIZE), dtype=np.float32)
    for i in range(0, n, CHUNK):
        part = slice(i, i + CHUNK)
        pts, ids = _shapes(labels[part], rng)
        m = len(pts)
        img = _draw(pts, ids, rng.integers(0, len(SIGMAS), m), rng.uniform(2.2, 4.0, m), rng)
        x[part] = np.round(img.reshape(-1, IMAGE_SIZE) * 255) / 255  # 8-bit levels like MNIST
    return x, labels


def synthetic_dataset(n_train: int = 12_000, n_test: int = 2_000, seed: int = 0) -> Dataset:
    """The built-in synthetic digits as a Dataset (train and test drawn with different streams)."""
    x_train, y_train = generate_digits(n_train, seed=seed)
    x_test, y_test = generate_digits(n_test, seed=seed + 1_000_003)
    return Dataset(
        x_train,
        y_train,
        x_test,
        y_test,
        source="synthetic digits (generated)",
        kind="synthetic",
        note="procedurally drawn digits, not MNIST",
    )
