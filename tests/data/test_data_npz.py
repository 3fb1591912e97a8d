"""Keras-style mnist.npz: loads without pickles; missing keys, objects, dtypes and shapes are named."""

import numpy as np
import pytest
from data_helpers import tiny_digits

from visualizer.core.errors import DataError
from visualizer.data.npz import load_npz


def npz(tmp_path, name="mnist.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def full(n=20):
    x, y = tiny_digits(n)
    return dict(x_train=x[:15], y_train=y[:15], x_test=x[15:], y_test=y[15:])


def test_keras_layout_loads(tmp_path):
    arrays = full()
    (x_train, y_train), (x_test, y_test) = load_npz(npz(tmp_path, **arrays))
    assert x_train.shape == (15, 784) and x_train.dtype == np.float32 and x_train.flags.c_contiguous
    np.testing.assert_allclose(x_test, arrays["x_test"].reshape(5, 784) / 255, atol=1e-6)
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    assert y_test.dtype == np.uint8


def test_flat_float_images_in_0_1_are_kept(tmp_path):
    x, y = tiny_digits(10)
    flat = (x.reshape(10, 784) / 255).astype(np.float64)
    (x_train, _), test = load_npz(npz(tmp_path, x_train=flat, y_train=y.astype(np.int64)))
    assert test is None
    np.testing.assert_allclose(x_train, flat, atol=1e-6)


def test_compressed_archive_loads(tmp_path):
    path = tmp_path / "digits.npz"
    np.savez_compressed(path, **full())
    (x_train, _), _ = load_npz(path)
    assert len(x_train) == 15


def test_missing_keys(tmp_path):
    x, _ = tiny_digits(5)
    with pytest.raises(DataError, match=r"mnist.npz: missing y_train \(found x_train\)"):
        load_npz(npz(tmp_path, x_train=x))


def test_half_a_test_set(tmp_path):
    arrays = full()
    del arrays["y_test"]
    with pytest.raises(DataError, match=r"mnist.npz: has x_test but not y_test"):
        load_npz(npz(tmp_path, **arrays))


def test_object_arrays_are_refused(tmp_path):
    arrays = full()
    arrays["y_train"] = np.array([object()] * 15, dtype=object)
    with pytest.raises(DataError, match=r"mnist.npz: y_train holds Python objects"):
        load_npz(npz(tmp_path, **arrays))


def test_wrong_label_dtype(tmp_path):
    arrays = full()
    arrays["y_train"] = arrays["y_train"].astype(np.float32)
    with pytest.raises(DataError, match=r"mnist.npz \(y_train\): labels have dtype float32"):
        load_npz(npz(tmp_path, **arrays))


def test_text_images_are_a_wrong_dtype(tmp_path):
    arrays = full()
    arrays["x_train"] = np.full((15, 784), "a")
    with pytest.raises(DataError, match=r"mnist.npz \(x_train\): images have dtype <U1"):
        load_npz(npz(tmp_path, **arrays))


def test_wrong_image_shape(tmp_path):
    arrays = full()
    arrays["x_train"] = np.zeros((15, 32, 32), np.uint8)
    with pytest.raises(DataError, match=r"mnist.npz \(x_train\): images are 32x32 pixels, expected 28x28"):
        load_npz(npz(tmp_path, **arrays))
    arrays["x_train"] = np.zeros((15, 100), np.uint8)
    with pytest.raises(
        DataError, match=r"images have shape \(15, 100\), expected \(n, 28, 28\) or \(n, 784\)"
    ):
        load_npz(npz(tmp_path, **arrays))


def test_pixel_values_out_of_range(tmp_path):
    arrays = full()
    arrays["x_train"] = np.full((15, 784), 300.0)
    with pytest.raises(DataError, match=r"pixel values range from 300 to 300, expected 0..255"):
        load_npz(npz(tmp_path, **arrays))


def test_counts_that_disagree(tmp_path):
    arrays = full()
    arrays["y_test"] = arrays["y_test"][:3]
    with pytest.raises(DataError, match=r"mnist.npz \(y_test\): 3 labels for 5 images"):
        load_npz(npz(tmp_path, **arrays))


def test_labels_outside_0_to_9(tmp_path):
    arrays = full()
    arrays["y_train"] = arrays["y_train"].astype(np.int16) - 1
    with pytest.raises(DataError, match=r"mnist.npz \(y_train\): 2 labels are outside 0-9 \(e.g. -1\)"):
        load_npz(npz(tmp_path, **arrays))


def test_empty_file(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"mnist.npz: the file is empty"):
        load_npz(path)


def test_not_an_archive(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"this is not numpy data at all")
    with pytest.raises(DataError, match=r"mnist.npz: not an .npz archive"):
        load_npz(path)


def test_single_npy_array(tmp_path):
    path = tmp_path / "mnist.npz"
    with path.open("wb") as fh:
        np.save(fh, np.zeros(3))
    with pytest.raises(DataError, match=r"mnist.npz: holds a single array"):
        load_npz(path)


def test_truncated_archive(tmp_path):
    path = npz(tmp_path, **full())
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(DataError, match=r"mnist.npz: (cannot read the archive|.* is corrupt or truncated)"):
        load_npz(path)


def test_archive_that_unpacks_too_large_is_refused_before_reading(tmp_path, monkeypatch):
    import visualizer.data.npz as npz_module

    x, y = tiny_digits(20)
    path = tmp_path / "mnist.npz"
    np.savez_compressed(path, x_train=x, y_train=y, x_test=x, y_test=y)
    monkeypatch.setattr(npz_module, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(DataError, match=r"mnist.npz: unpacks to more than"):
        load_npz(path)
