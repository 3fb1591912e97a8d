"""Core test fixtures: real MNIST test digits through a tiny local IDX reader."""

import gzip

import numpy as np
import pytest


def read_idx(path) -> np.ndarray:
    """Read a gzipped IDX file (images or labels) with nothing but gzip and numpy."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


@pytest.fixture(scope="session")
def mnist_test(mnist_dir):
    """The 10,000 MNIST test digits as (images uint8 (n, 28, 28), labels uint8 (n,))."""
    return read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz"), read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz")
