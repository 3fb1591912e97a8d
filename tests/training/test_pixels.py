"""The trainer's image tensors: 8-bit levels for 8-bit images, the very same float32 pixels in the graph."""

from __future__ import annotations

import numpy as np

from visualizer.data.dataset import images_to_float
from visualizer.training.pixels import as_pixels, pixel_tensor
from visualizer.training.tfenv import import_tf


def _in_graph(tf, tensor, rows):
    @tf.function
    def batch(x, idx):
        return as_pixels(tf, tf.gather(x, idx))

    return batch(tensor, tf.constant(rows, tf.int32)).numpy()


def test_eight_bit_images_are_held_as_levels_and_come_back_bit_for_bit():
    tf = import_tf()
    rng = np.random.default_rng(0)
    levels = np.concatenate([np.arange(256, dtype=np.uint8).repeat(784 * 4),  # every level, several times
                             rng.integers(0, 256, 784 * 2000, dtype=np.uint8)]).reshape(-1, 28, 28)
    x = images_to_float(levels, "test")  # how the data layer turns bytes into pixels
    tensor = pixel_tensor(tf, x)
    assert tensor.dtype == tf.uint8 and tensor.shape == x.shape  # a quarter of the memory
    rows = rng.permutation(len(x))
    assert np.array_equal(_in_graph(tf, tensor, rows), x[rows])
    eager = as_pixels(tf, tensor).numpy()
    assert eager.dtype == np.float32 and np.array_equal(eager, x)


def test_a_network_sees_the_same_pixels_from_levels_as_from_floats():
    # Inside a traced graph with a matrix product after it (where an optimizer could fold the scale).
    tf = import_tf()
    rng = np.random.default_rng(2)
    x = images_to_float(rng.integers(0, 256, (500, 784), dtype=np.uint8), "test")
    kernel = tf.constant(rng.normal(0, 0.05, (784, 16)).astype(np.float32))

    @tf.function
    def layer(pixels):
        return tf.nn.relu(tf.matmul(as_pixels(tf, pixels), kernel))

    levels = pixel_tensor(tf, x)
    assert levels.dtype == tf.uint8
    assert np.array_equal(layer(levels).numpy(), layer(tf.constant(x)).numpy())


def test_other_pixels_stay_float32_unchanged():
    tf = import_tf()
    x = np.random.default_rng(1).random((50, 784), dtype=np.float32)
    x[0, 0] = 0.5  # not a level / 255
    tensor = pixel_tensor(tf, x)
    assert tensor.dtype == tf.float32
    assert np.array_equal(_in_graph(tf, tensor, np.arange(50)), x)
    x[:] = 1.0
    x[-1, 0] = np.nan  # a level everywhere but one pixel, which cannot be cast quietly
    assert pixel_tensor(tf, x).dtype == tf.float32
