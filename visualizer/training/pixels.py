"""The training and test images as the trainer's tensors: 8-bit levels when that is exact, a quarter of float32's memory.

A Dataset holds float32 pixels in [0, 1]; the trainer needs them as TensorFlow tensors too. For
images that came from 8-bit files every value is a level / 255, so the tensor holds the levels
(1 byte a pixel instead of 4: 141 MB less for MNIST's 60,000 training images) and the graph
turns each batch back into float32 with the data layer's multiplication, the same floats bit for
bit (checked on every image when the tensor is made). Other pixels stay float32.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_pixels", "pixel_tensor"]

_ROWS = 4096  # images converted at a time (bounded temporaries for big datasets)
# level -> pixel, computed as visualizer.data.dataset.images_to_float does (the check below makes sure)
_SCALE = np.float32(1 / 255)
_LEVELS = np.arange(256, dtype=np.float32) * _SCALE


def pixel_tensor(tf, images):
    """``images`` (n, ...) float32 in [0, 1] as an (n, pixels) tensor: uint8 levels when exact, else float32."""
    x = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    levels = np.empty(x.shape, np.uint8)
    for start in range(0, len(x), _ROWS):
        part, out = x[start : start + _ROWS], levels[start : start + _ROWS]
        nearest = part * np.float32(255)
        nearest += np.float32(0.5)
        with np.errstate(invalid="ignore"):  # values outside 0..255 (or NaN) fail the check below
            np.copyto(out, nearest, casting="unsafe")
        if not np.array_equal(np.take(_LEVELS, out), part):
            return tf.convert_to_tensor(x)
    return tf.convert_to_tensor(levels)


def as_pixels(tf, x):
    """In the graph: float32 pixels from :func:`pixel_tensor`'s tensor (or a slice of it).

    The same multiplication as the data layer's, so the same floats (not a division by 255:
    TensorFlow's graph optimizer turns that into a multiplication by its reciprocal, which
    differs in the last bit for some levels; nor a table: a gather per pixel costs 40% of a batch).
    """
    if x.dtype == tf.uint8:
        return tf.cast(x, tf.float32) * tf.constant(_SCALE)
    return x
