"""Inputs shared by the view tests: the architectures they draw and a ring-shaped digit."""

import numpy as np

CONFIGS = [(16, 16), (32,), (64, 32, 16), (256,), (8, 8, 8, 8, 8, 8)]


def _ring_digit() -> np.ndarray:
    yy, xx = np.mgrid[:28, :28]
    r = np.hypot(yy - 14, (xx - 14) * 1.4)
    return ((r > 6) & (r < 9.5)).astype(np.float32).ravel()
