"""Untrusted dataset files: a FIFO never blocks, declared sizes are checked against memory before reading."""

import gzip
import os
import re
import tracemalloc

import numpy as np
import pytest
from data_helpers import (
    idx_bytes,
    idx_header,
    raised_without_blocking,
    sparse_file,
    tiny_digits,
    write_csv,
    write_idx,
    write_idx_set,
)

from visualizer.core.errors import DataError
from visualizer.data import keras_mnist
from visualizer.data.csv import read_csv_digits
from visualizer.data.idx import IMAGES_MAGIC, load_idx_folder, read_idx
from visualizer.data.npz import load_npz
from visualizer.data.sources import load_dataset

NOT_REGULAR = r"cannot read {}: not a regular file \(a pipe, device or socket cannot be read\)"


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("NNVIZ_DATA", raising=False)


def _csv_folder_fifo(tmp_path):
    os.mkfifo(tmp_path / "mnist_train.csv")
    return tmp_path, tmp_path / "mnist_train.csv"


def _csv_test_fifo_beside_train(tmp_path):
    x, y = tiny_digits(10)
    write_csv(tmp_path / "mnist_train.csv", x, y, header=False)
    os.mkfifo(tmp_path / "mnist_test.csv")
    return tmp_path / "mnist_train.csv", tmp_path / "mnist_test.csv"


def _kaggle_train_fifo_beside_test(tmp_path):
    x, _ = tiny_digits(3)
    write_csv(tmp_path / "test.csv", x, None, header=True)
    os.mkfifo(tmp_path / "train.csv")
    return tmp_path / "test.csv", tmp_path / "train.csv"


def _idx_fifo(name):
    def make(tmp_path):
        x, y = tiny_digits(10)
        write_idx_set(tmp_path, x, y, gz=name.endswith(".gz"))
        (tmp_path / name).unlink()
        os.mkfifo(tmp_path / name)
        return tmp_path, tmp_path / name

    return make


def _npz_fifo(tmp_path):
    os.mkfifo(tmp_path / "mnist.npz")
    return tmp_path, tmp_path / "mnist.npz"


@pytest.mark.parametrize(
    "layout",
    [
        _csv_folder_fifo,
        _csv_test_fifo_beside_train,
        _kaggle_train_fifo_beside_test,
        _idx_fifo("train-images-idx3-ubyte"),
        _idx_fifo("train-labels-idx1-ubyte.gz"),
        _npz_fifo,
    ],
    ids=[
        "csv-in-folder",
        "mnist_test-beside-train",
        "train.csv-beside-test",
        "idx",
        "idx-gz",
        "npz-in-folder",
    ],
)
def test_a_fifo_among_the_dataset_files_is_refused_without_blocking(tmp_path, layout):
    spec, fifo = layout(tmp_path)
    err = raised_without_blocking(lambda: load_dataset(spec), fifo)
    assert isinstance(err, DataError), err
    assert re.fullmatch(NOT_REGULAR.format(re.escape(fifo.name)), str(err)), str(err)


@pytest.mark.parametrize(
    "read",
    [
        lambda p: read_idx(p, IMAGES_MAGIC),
        read_csv_digits,
        load_npz,
    ],
    ids=["idx", "csv", "npz"],
)
def test_every_reader_refuses_a_fifo_without_blocking(tmp_path, read):
    fifo = tmp_path / "digits"
    os.mkfifo(fifo)
    err = raised_without_blocking(lambda: read(fifo), fifo)
    assert isinstance(err, DataError) and "digits: not a regular file" in str(err)


def test_a_fifo_as_the_keras_cache_is_refused_before_keras_opens_it(tmp_path, monkeypatch):
    cache = tmp_path / "datasets" / "mnist.npz"
    cache.parent.mkdir()
    os.mkfifo(cache)
    monkeypatch.setattr(keras_mnist, "keras_cache_file", lambda: cache)
    monkeypatch.setattr(keras_mnist, "network_reachable", lambda *a, **k: True)
    monkeypatch.setattr(keras_mnist, "_download", lambda: pytest.fail("Keras would hash the FIFO and block"))
    err = raised_without_blocking(keras_mnist.load_keras_mnist, cache)
    assert isinstance(err, DataError) and "mnist.npz is not a regular file" in str(err)
    assert "--data PATH" in str(err)


def peak_memory_of(call) -> tuple[BaseException | None, int]:
    """(what ``call()`` raised, the most memory it held at once; numpy arrays included)."""
    tracemalloc.start()
    try:
        call()
        raised = None
    except Exception as exc:  # handed back to the test
        raised = exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return raised, peak


def test_a_small_gzip_of_millions_of_images_is_refused_by_its_header(tmp_path, little_memory):
    # 2.7 million declared 28x28 images: 2.1 GB unpacked (under the 2 GB MNIST limit) but about
    # 17 GB as float32 arrays. A few MB of real zeros follow, so the gzip stream itself is sound.
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_header(IMAGES_MAGIC, 2_700_000, 28, 28) + bytes(4 << 20)))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    err, peak = peak_memory_of(lambda: load_idx_folder(tmp_path))
    assert isinstance(err, DataError)
    assert str(err) == (
        "train-images-idx3-ubyte.gz: 2,700,000 images would need 15.8 GB of memory; "
        "this machine can spare about 128.0 MB"
    )
    assert peak < 8 << 20


def test_a_gzip_bomb_behind_a_valid_header_is_refused_after_a_megabyte(tmp_path):
    x, _ = tiny_digits(3)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(x) + bytes(64 << 20)))  # 64 MB of zeros in 64 KB
    err, peak = peak_memory_of(lambda: read_idx(path, IMAGES_MAGIC))
    assert isinstance(err, DataError)
    assert (
        str(err)
        == "train-images-idx3-ubyte.gz: more than 1,048,576 unexpected bytes after the 3 items the header announces"
    )
    assert peak < 8 << 20
    path.write_bytes(gzip.compress(bytes(64 << 20)))  # zeros only: refused at the magic number
    err, peak = peak_memory_of(lambda: read_idx(path, IMAGES_MAGIC))
    assert "wrong magic number 0" in str(err) and peak < 8 << 20


def test_a_huge_sparse_idx_is_refused_from_its_first_bytes(tmp_path):
    path = sparse_file(tmp_path / "train-images-idx3-ubyte", 2 << 30)  # 2 GB of zeros, no disk space
    err, peak = peak_memory_of(lambda: read_idx(path, IMAGES_MAGIC))
    assert str(err).startswith("train-images-idx3-ubyte: wrong magic number 0 ") and peak < 1 << 20


def test_a_sparse_idx_whose_size_matches_its_header_is_refused_before_reading(tmp_path, little_memory):
    n = 2_700_000
    sparse_file(tmp_path / "train-images-idx3-ubyte", 16 + n * 784, idx_header(IMAGES_MAGIC, n, 28, 28))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    err, peak = peak_memory_of(lambda: load_idx_folder(tmp_path))
    assert "2,700,000 images would need 15.8 GB of memory; this machine can spare about 128.0 MB" in str(err)
    assert peak < 1 << 20


def test_a_40_gb_sparse_idx_is_one_clear_sentence(tmp_path):
    n = 51_000_000  # 40 GB of pixels
    path = sparse_file(
        tmp_path / "train-images-idx3-ubyte", 16 + n * 784, idx_header(IMAGES_MAGIC, n, 28, 28)
    )
    err, peak = peak_memory_of(lambda: read_idx(path, IMAGES_MAGIC))
    assert str(err) == (
        "train-images-idx3-ubyte: the header announces 51,000,000 images (39,984,000,000 bytes), "
        "more than the 2.0 GB an MNIST file can hold"
    )
    assert peak < 1 << 20


@pytest.mark.parametrize("name", ["mnist_train.csv", "mnist_train.csv.gz"])
def test_a_csv_too_large_for_memory_is_refused_before_reading(tmp_path, little_memory, name):
    path = tmp_path / name
    if name.endswith(".gz"):  # a 30 KB gzip of 31 MB of valid rows: refused while unpacking
        row = ("1" + ",0" * 784 + "\n").encode()
        path.write_bytes(gzip.compress(row * 20_000))
    else:
        sparse_file(path, 2 << 30)
    err, peak = peak_memory_of(lambda: read_csv_digits(path))
    assert isinstance(err, DataError)
    if name.endswith(".gz"):
        assert str(err) == (
            "mnist_train.csv.gz: unpacks to more than 25.6 MB of CSV text, more than this machine has memory for"
        )
        assert peak < 40 << 20
    else:
        assert str(err) == (
            "mnist_train.csv: a 2.0 GB CSV file would need 10.0 GB of memory; this machine can spare about 128.0 MB"
        )
        assert peak < 1 << 20


def test_a_sparse_csv_that_fits_in_memory_is_refused_at_its_first_line(tmp_path):
    path = sparse_file(tmp_path / "mnist_train.csv", 64 << 20)  # zeros, not a single newline
    err, peak = peak_memory_of(lambda: read_csv_digits(path))
    assert str(err) == "mnist_train.csv, line 1: longer than 65,536 characters; not a row of digits"
    assert peak < 8 << 20
