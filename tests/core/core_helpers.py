"""Test helpers for core: a numpy stroke painter and two hand-made digits."""

import numpy as np


def draw_strokes(shape, strokes, width, origin=(0.0, 0.0), scale=1.0) -> np.ndarray:
    """Antialiased pen strokes (ink=1 on 0) on a canvas of ``shape``.

    ``strokes`` are polylines of (y, x) points in a unit box, mapped to ``origin + scale * p``
    canvas pixels; ``width`` is the pen diameter in pixels.
    """
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float64) + 0.5
    dist = np.full(shape, np.inf)
    for line in strokes:
        pts = np.asarray(origin) + scale * np.asarray(line, dtype=np.float64)
        for (y0, x0), (y1, x1) in zip(pts[:-1], pts[1:], strict=True):
            dy, dx = y1 - y0, x1 - x0
            t = np.clip(((yy - y0) * dy + (xx - x0) * dx) / max(dy * dy + dx * dx, 1e-12), 0, 1)
            dist = np.minimum(dist, np.hypot(yy - (y0 + t * dy), xx - (x0 + t * dx)))
    return np.clip(width / 2 - dist + 0.5, 0.0, 1.0).astype(np.float32)


# A hand-made "7" and "4" in a unit box (y down, x right).
SEVEN = [[(0.05, 0.15), (0.05, 0.85), (0.95, 0.40)], [(0.50, 0.35), (0.50, 0.75)]]
FOUR = [[(0.0, 0.6), (0.65, 0.05), (0.65, 0.95)], [(0.3, 0.75), (1.0, 0.75)]]
