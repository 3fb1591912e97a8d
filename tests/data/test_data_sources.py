"""load_dataset: every source is detected from a file or a folder; explicit sources never fall back."""

import gzip
import os
import time

import numpy as np
import pytest
from data_helpers import tiny_digits, write_csv, write_idx_set

from visualizer.core.errors import DataError
from visualizer.data import keras_mnist, sources
from visualizer.data.sources import load_dataset, load_dataset_or_synthetic


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("NNVIZ_DATA", raising=False)


@pytest.fixture
def offline(monkeypatch):
    """Keras' download fails as it does without a network (deterministic, no socket opened)."""
    monkeypatch.setattr(keras_mnist, "network_reachable", lambda *a, **k: False)
    monkeypatch.setattr(keras_mnist, "keras_cache_file", lambda: keras_mnist.Path("/nonexistent/mnist.npz"))

    def fail():
        raise AssertionError("keras must not be asked to download when the network is unreachable")

    monkeypatch.setattr(keras_mnist, "_download", fail)


def check_arrays(ds):
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        assert x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == 784 and x.flags.c_contiguous
        assert y.dtype == np.uint8 and len(y) == len(x)
        assert 0 <= x.min() and x.max() <= 1


def test_idx_folder_and_any_file_in_it(tmp_path):
    x, y = tiny_digits(30)
    folder = write_idx_set(tmp_path / "mnist", x[:20], y[:20], x[20:], y[20:])
    for spec in (folder, str(folder), folder / "t10k-labels-idx1-ubyte.gz"):
        ds = load_dataset(spec)
        check_arrays(ds)
        assert (len(ds.x_train), len(ds.x_test)) == (20, 10)
        assert ds.source == "MNIST (IDX files in mnist/)" and ds.kind == "idx"
        assert not ds.test_is_holdout and ds.note == ""
        assert str(tmp_path) not in ds.describe()


def test_train_only_source_holds_out_a_seeded_split(tmp_path):
    x, y = tiny_digits(50)
    folder = write_idx_set(tmp_path / "d", x, y)
    ds = load_dataset(folder, validation_split=0.2, seed=3)
    assert (len(ds.x_train), len(ds.x_test)) == (40, 10)
    assert ds.test_is_holdout and "20% of the training images held out" in ds.note
    assert "held out" in ds.describe()
    again = load_dataset(folder, validation_split=0.2, seed=3)
    np.testing.assert_array_equal(ds.y_test, again.y_test)
    np.testing.assert_array_equal(ds.x_train, again.x_train)
    other = load_dataset(folder, validation_split=0.2, seed=4)
    assert not np.array_equal(ds.x_test, other.x_test)
    # Train and test together are exactly the original images.
    rows = np.round(np.concatenate([ds.x_train, ds.x_test]) * 255).astype(np.uint8)
    assert sorted(map(bytes, rows)) == sorted(map(bytes, x.reshape(50, 784)))


def test_npz_folder_and_file(tmp_path):
    x, y = tiny_digits(20)
    np.savez(tmp_path / "mnist.npz", x_train=x[:15], y_train=y[:15], x_test=x[15:], y_test=y[15:])
    for spec in (tmp_path, tmp_path / "mnist.npz"):
        ds = load_dataset(spec)
        check_arrays(ds)
        assert ds.kind == "npz" and ds.source == "MNIST (mnist.npz)" and len(ds.x_test) == 5


def test_kaggle_csv_ignores_unlabelled_test_csv(tmp_path):
    x, y = tiny_digits(40)
    write_csv(tmp_path / "train.csv", x, y, header=True)
    write_csv(tmp_path / "test.csv", x[:5], None, header=True)
    for spec in (tmp_path, tmp_path / "train.csv", tmp_path / "test.csv"):
        ds = load_dataset(spec)
        check_arrays(ds)
        assert ds.kind == "csv" and ds.test_is_holdout
        assert (len(ds.x_train), len(ds.x_test)) == (36, 4)
        assert "train.csv" in ds.source


def test_mnist_csv_pair(tmp_path):
    x, y = tiny_digits(30)
    write_csv(tmp_path / "mnist_train.csv", x[:20], y[:20], header=False)
    write_csv(tmp_path / "mnist_test.csv", x[20:], y[20:], header=False)
    for spec in (tmp_path, tmp_path / "mnist_test.csv"):
        ds = load_dataset(spec)
        check_arrays(ds)
        assert (len(ds.x_train), len(ds.x_test)) == (20, 10) and not ds.test_is_holdout
        assert ds.source == f"MNIST (mnist_train.csv + mnist_test.csv in {tmp_path.name}/)"


def test_any_named_csv_file(tmp_path):
    x, y = tiny_digits(20)
    ds = load_dataset(write_csv(tmp_path / "my digits.csv", x, y, header=False))
    assert ds.source == "MNIST (my digits.csv)" and ds.test_is_holdout


def test_nothing_recognisable_lists_what_was_looked_for(tmp_path):
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(DataError) as err:
        load_dataset(tmp_path)
    text = str(err.value)
    assert text.startswith(f"{tmp_path.name}/: nothing recognisable")
    for expected in ("train-images-idx3-ubyte", "mnist.npz", "train.csv", "mnist_train.csv"):
        assert expected in text


def test_missing_path_and_unknown_file(tmp_path):
    with pytest.raises(DataError, match=r"^nope: no such file or folder$"):
        load_dataset(tmp_path / "nope")
    (tmp_path / "x.bin").write_bytes(b"\0")
    with pytest.raises(DataError, match=r"^x.bin: not a recognised dataset file"):
        load_dataset(tmp_path / "x.bin")


def test_only_test_csv(tmp_path):
    x, y = tiny_digits(5)
    write_csv(tmp_path / "mnist_test.csv", x, y, header=False)
    with pytest.raises(DataError, match=r"found only a test file"):
        load_dataset(tmp_path)
    with pytest.raises(DataError, match=r"mnist_test.csv: mnist_train.csv is missing beside it"):
        load_dataset(tmp_path / "mnist_test.csv")


def test_env_var_is_the_default_source(tmp_path, monkeypatch):
    x, y = tiny_digits(20)
    write_idx_set(tmp_path / "envdata", x, y)
    monkeypatch.setenv("NNVIZ_DATA", str(tmp_path / "envdata"))
    ds = load_dataset()
    assert ds.kind == "idx" and "envdata/" in ds.source
    assert load_dataset_or_synthetic()[1] is None
    monkeypatch.setenv("NNVIZ_DATA", "synthetic")
    monkeypatch.setattr(
        sources,
        "synthetic_dataset",
        lambda seed: sources.Dataset(
            x[:2].reshape(2, 784) / 255,
            y[:2],
            x[2:3].reshape(1, 784) / 255,
            y[2:3],
            "synthetic digits",
            "synthetic",
        ),
    )
    assert load_dataset().is_synthetic


def test_synthetic_spec():
    ds = load_dataset("synthetic", seed=1)
    check_arrays(ds)
    assert ds.is_synthetic and ds.source.startswith("synthetic digits")
    assert (len(ds.x_train), len(ds.x_test)) == (12_000, 2_000)


def test_default_falls_back_to_synthetic_with_a_warning(offline):
    ds, warning = load_dataset_or_synthetic()
    assert ds.is_synthetic and ds.source.startswith("synthetic digits") and "MNIST unavailable" in ds.source
    assert "MNIST could not be loaded" in ds.note
    assert "--data" in warning and "synthetic" in warning
    check_arrays(ds)


def test_default_without_fallback_raises(offline):
    with pytest.raises(DataError, match=r"MNIST could not be loaded through Keras"):
        load_dataset()


def test_explicit_path_never_falls_back(tmp_path, offline):
    damaged = tmp_path / "train-images-idx3-ubyte.gz"
    damaged.write_bytes(gzip.compress(b"garbage"))
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"")
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: wrong magic number"):
        load_dataset_or_synthetic(tmp_path)
    with pytest.raises(DataError, match=r"no such file"):
        load_dataset_or_synthetic(tmp_path / "missing")


@pytest.mark.mnist
def test_real_mnist_idx(mnist_dir):
    start = time.perf_counter()
    ds = load_dataset(mnist_dir)
    elapsed = time.perf_counter() - start
    check_arrays(ds)
    assert (len(ds.x_train), len(ds.x_test)) == (24_345, 10_000)
    assert ds.source == "MNIST (IDX files in mnist/)" and not ds.test_is_holdout
    assert ds.class_counts("train").tolist() == [2406, 2770, 2381, 2524, 2386, 2181, 2401, 2524, 2328, 2444]
    assert ds.class_counts("test").tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert ds.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert elapsed < 3.0  # about 0.2 s on an idle machine; generous for a loaded CI runner


@pytest.mark.mnist
def test_real_mnist_through_npz_and_csv_round_trip(mnist_dir, tmp_path):
    ds = load_dataset(mnist_dir)
    raw_test = np.round(ds.x_test[:300] * 255).astype(np.uint8)
    np.savez(
        tmp_path / "mnist.npz",
        x_train=raw_test[:200].reshape(-1, 28, 28),
        y_train=ds.y_test[:200],
        x_test=raw_test[200:].reshape(-1, 28, 28),
        y_test=ds.y_test[200:300],
    )
    via_npz = load_dataset(tmp_path / "mnist.npz")
    np.testing.assert_array_equal(via_npz.x_train, ds.x_test[:200])
    write_csv(tmp_path / "mnist_train.csv", raw_test, ds.y_test[:300], header=False)
    via_csv = load_dataset(tmp_path / "mnist_train.csv", validation_split=0.5)
    assert len(via_csv.x_train) == 150 and via_csv.test_is_holdout


def test_too_few_images_to_hold_out_names_the_file(tmp_path):
    x, y = tiny_digits(3)
    np.savez(tmp_path / "three.npz", x_train=x, y_train=y)
    with pytest.raises(DataError, match=r"three\.npz.*only 3 training images.*too few"):
        load_dataset(tmp_path / "three.npz")


def test_a_special_file_is_refused_not_its_folder_scanned(tmp_path):
    x, y = tiny_digits(20)
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y)  # must not be picked up instead
    fifo = tmp_path / "digits.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match=r"^digits\.csv: not a regular file or folder"):
        load_dataset(fifo)


def test_single_image_holdout_message_is_singular():
    from visualizer.data.dataset import holdout_split

    with pytest.raises(DataError, match=r"only 1 training image: too few"):
        holdout_split(np.zeros((1, 784), np.float32), np.zeros(1, np.uint8), 0.1, 0)


@pytest.mark.parametrize("spec", ["", "   ", "\t\n"])
def test_an_empty_spec_is_refused_never_guessed(spec, offline):
    from visualizer.commands import resolve_dataset

    for load in (load_dataset, lambda s: load_dataset_or_synthetic(s)[0], resolve_dataset):
        with pytest.raises(
            DataError, match=r"^no dataset named \(the path is empty\): give a folder or file"
        ):
            load(spec)


def test_a_blank_env_var_counts_as_unset(monkeypatch, offline):
    monkeypatch.setenv("NNVIZ_DATA", "  ")
    with pytest.raises(DataError, match=r"^MNIST could not be loaded through Keras"):
        load_dataset()


def test_newlines_in_names_never_make_a_second_line(tmp_path):
    folder = tmp_path / "my\ndata"
    folder.mkdir()
    (folder / "readme.txt").write_text("hello")
    with pytest.raises(DataError, match=r"^my data/: nothing recognisable"):
        load_dataset(folder)
    with pytest.raises(DataError, match=r"^no pe: no such file or folder$"):
        load_dataset(tmp_path / "no\rpe")
    bad = folder / "bad\nname.npz"
    bad.write_bytes(b"not an archive")
    with pytest.raises(DataError, match=r"^bad name.npz: not an .npz archive"):
        load_dataset(bad)


@pytest.mark.parametrize("spec", ["a\0b", "x" * 5000])
def test_impossible_paths_are_a_data_error(spec):
    with pytest.raises(DataError, match=r": (not a usable path|File name too long)$"):
        load_dataset(spec)
