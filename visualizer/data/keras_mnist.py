"""MNIST through Keras' own downloader (cached in ~/.keras/datasets, hash-checked), failing fast offline."""

from __future__ import annotations

import hashlib
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from visualizer.core.errors import DataError
from visualizer.core.safeio import one_line, open_regular_file
from visualizer.data.dataset import Dataset, check_labels, images_to_float

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"  # keras' origin
MNIST_SHA256 = (
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"  # as in keras.datasets.mnist
)
MAX_CACHE_BYTES = 64 << 20  # the genuine file is 11 MB; anything far larger is not worth hashing
PROBE_TIMEOUT = 4.0  # seconds; urllib's download has no timeout, so a black-holed network would hang

HOW_TO_SUPPLY = (
    "Supply the digits another way: pass --data PATH (or set NNVIZ_DATA) pointing at a folder or "
    "files with MNIST in IDX format (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
    "t10k-...), a Keras-style mnist.npz, Kaggle's train.csv, or mnist_train.csv/mnist_test.csv; "
    "or copy mnist.npz into ~/.keras/datasets; or use the built-in synthetic digits with --data synthetic."
)


def keras_cache_file() -> Path:
    """Where Keras keeps (or would keep) its copy of mnist.npz."""
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    if not os.access(home, os.W_OK) and not (home / "datasets" / "mnist.npz").exists():
        home = Path("/tmp/.keras")  # keras falls back here when its home is not writable
    return home / "datasets" / "mnist.npz"


def _cache_is_valid(path: Path) -> bool:
    """True when ``path`` is Keras' genuine mnist.npz, hashed in chunks (a FIFO or device is refused)."""
    digest = hashlib.sha256()
    try:
        with open_regular_file(path, "cannot read", DataError) as f:
            if os.fstat(f.fileno()).st_size > MAX_CACHE_BYTES:
                return False
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except (OSError, DataError):
        return False
    return digest.hexdigest() == MNIST_SHA256


def network_reachable(url: str = MNIST_URL, timeout: float = PROBE_TIMEOUT) -> bool:
    """True when ``url`` answers an HTTP HEAD request within ``timeout`` seconds (any HTTP status).

    Keras downloads with ``urlretrieve``, which has no timeout: on a network that resolves names
    but never answers it would hang. This probe goes the same way (same proxies, TLS) but gives up.
    """
    result: list[bool] = []

    def probe():
        try:
            urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
            result.append(True)
        except urllib.error.HTTPError:
            result.append(True)  # the server answered; let Keras report what it says
        except (OSError, ValueError):  # URLError, timeouts, TLS errors are all OSError
            result.append(False)

    # A thread bounds the DNS lookup too, which the socket timeout does not cover.
    worker = threading.Thread(target=probe, name="nnviz-mnist-probe", daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    return bool(result and result[0])


def _download() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    import keras  # lazy: importing Keras loads TensorFlow (about 2 s)

    return keras.datasets.mnist.load_data()


def load_keras_mnist() -> Dataset:
    """Load MNIST via ``keras.datasets.mnist.load_data()``.

    Returns
    -------
    Dataset
        60,000 training and 10,000 test images, ``kind="mnist-keras"``.

    Raises
    ------
    DataError
        When the file is neither cached nor downloadable (offline, corrupt cache, hash
        mismatch, ...); the message lists the other ways to supply data.
    """
    cache = keras_cache_file()
    if (cache.exists() or cache.is_symlink()) and not cache.is_file():
        # Keras would open it to check its hash: a FIFO there would block forever.
        raise DataError(
            f"MNIST could not be loaded through Keras: {_home_relative(cache)} is not a regular "
            f"file (a folder, pipe or device, or a broken link). {HOW_TO_SUPPLY}"
        )
    cached = _cache_is_valid(cache)
    if not cached and not network_reachable():
        where = _home_relative(cache)
        state = f"the copy in {where} is incomplete or corrupt" if cache.exists() else f"{where} is not there"
        raise DataError(
            f"MNIST could not be loaded through Keras: {state} and it cannot be downloaded "
            f"(storage.googleapis.com does not answer: no internet connection?). {HOW_TO_SUPPLY}"
        )
    try:
        (x_train, y_train), (x_test, y_test) = _download()
    except Exception as exc:  # keras raises bare Exception for URL failures, ValueError for bad hashes
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise DataError(f"MNIST could not be loaded through Keras ({reason}). {HOW_TO_SUPPLY}") from exc
    name = "mnist.npz (Keras cache)"
    x_train, x_test = images_to_float(x_train, name), images_to_float(x_test, name)
    y_train = check_labels(y_train, name, count=len(x_train))
    y_test = check_labels(y_test, name, count=len(x_test))
    return Dataset(x_train, y_train, x_test, y_test, source="MNIST (Keras download)", kind="mnist-keras")


def _home_relative(path: Path) -> str:
    try:
        return one_line("~/" + str(path.relative_to(Path.home())))
    except ValueError:
        return one_line(path)
