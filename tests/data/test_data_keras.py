"""Keras' MNIST downloader as the default source: works when cached, fails fast and helpfully offline."""

import socket
import time

import numpy as np
import pytest

from visualizer.core.errors import DataError
from visualizer.data import keras_mnist
from visualizer.data.keras_mnist import load_keras_mnist, network_reachable

WAYS_TO_SUPPLY = (
    "--data PATH",
    "NNVIZ_DATA",
    "IDX",
    "[.gz]",
    "mnist.npz",
    "train.csv",
    "mnist_train.csv",
    "mnist_test.csv",
    "~/.keras/datasets",
    "--data synthetic",
)


@pytest.fixture
def no_cache(monkeypatch, tmp_path):
    monkeypatch.setattr(keras_mnist, "keras_cache_file", lambda: tmp_path / "datasets" / "mnist.npz")
    return tmp_path / "datasets" / "mnist.npz"


def test_offline_fails_fast_with_every_way_to_supply_data(monkeypatch, no_cache):
    monkeypatch.setattr(keras_mnist, "network_reachable", lambda *a, **k: False)
    monkeypatch.setattr(keras_mnist, "_download", lambda: pytest.fail("no download without a network"))
    start = time.perf_counter()
    with pytest.raises(DataError) as err:
        load_keras_mnist()
    assert time.perf_counter() - start < 1.0
    text = str(err.value)
    assert text.startswith("MNIST could not be loaded through Keras")
    assert "does not answer" in text and "\n" not in text
    for way in WAYS_TO_SUPPLY:
        assert way in text, way


def test_corrupt_cache_offline_says_so(monkeypatch, no_cache):
    no_cache.parent.mkdir()
    no_cache.write_bytes(b"half a download")
    monkeypatch.setattr(keras_mnist, "network_reachable", lambda *a, **k: False)
    with pytest.raises(DataError, match=r"mnist.npz is incomplete or corrupt and it cannot be downloaded"):
        load_keras_mnist()


@pytest.mark.parametrize(
    "failure",
    [
        Exception(
            "URL fetch failure on https://storage.googleapis.com/x/mnist.npz: None -- [Errno -2] "
            "Name or service not known"
        ),
        ValueError("Incomplete or corrupted file detected. The sha256 file hash does not match"),
        OSError(28, "No space left on device"),
    ],
)
def test_any_keras_failure_becomes_one_data_error(monkeypatch, no_cache, failure):
    monkeypatch.setattr(keras_mnist, "network_reachable", lambda *a, **k: True)

    def download():
        raise failure

    monkeypatch.setattr(keras_mnist, "_download", download)
    with pytest.raises(DataError) as err:
        load_keras_mnist()
    assert err.value.__cause__ is failure
    text = str(err.value)
    assert text.startswith("MNIST could not be loaded through Keras (")
    assert str(failure.args[-1]).split()[0] in text
    for way in WAYS_TO_SUPPLY:
        assert way in text, way


def test_keras_arrays_become_a_dataset(monkeypatch, no_cache):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8)
    y = (np.arange(30) % 10).astype(np.uint8)
    monkeypatch.setattr(keras_mnist, "network_reachable", lambda *a, **k: True)
    monkeypatch.setattr(keras_mnist, "_download", lambda: ((x[:20], y[:20]), (x[20:], y[20:])))
    ds = load_keras_mnist()
    assert ds.source == "MNIST (Keras download)" and ds.kind == "mnist-keras" and not ds.test_is_holdout
    assert ds.x_train.shape == (20, 784) and ds.x_train.dtype == np.float32 and ds.y_test.dtype == np.uint8
    np.testing.assert_allclose(ds.x_test, x[20:].reshape(10, 784) / 255, atol=1e-6)


def test_valid_cache_skips_the_network_probe(monkeypatch, no_cache):
    no_cache.parent.mkdir()
    no_cache.write_bytes(b"pretend")
    monkeypatch.setattr(keras_mnist, "MNIST_SHA256", __import__("hashlib").sha256(b"pretend").hexdigest())
    monkeypatch.setattr(keras_mnist, "network_reachable", lambda *a, **k: pytest.fail("probe not needed"))
    monkeypatch.setattr(keras_mnist, "_download", lambda: (_ for _ in ()).throw(Exception("stop here")))
    with pytest.raises(DataError, match=r"stop here"):
        load_keras_mnist()


def test_probe_gives_up_within_its_timeout():
    # A server that accepts the connection and then never answers: urlretrieve would wait forever.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/mnist.npz"
        start = time.perf_counter()
        assert network_reachable(url, timeout=0.5) is False
        assert time.perf_counter() - start < 2.0
    start = time.perf_counter()
    assert network_reachable("https://nnviz-test.invalid/mnist.npz", timeout=0.5) is False  # never resolves
    assert time.perf_counter() - start < 2.0


def test_cache_location_follows_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert keras_mnist.keras_cache_file() == tmp_path / "datasets" / "mnist.npz"
