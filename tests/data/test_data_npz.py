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


def _patch_zip_entries(data: bytes, local_offset: int, central_offset: int, value: int) -> bytes:
    """Set a 2-byte field (compression method, flags) in every local and central zip header."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", local_offset), (b"PK\x01\x02", central_offset)):
        at = out.find(signature)
        while at >= 0:
            out[at + offset : at + offset + 2] = value.to_bytes(2, "little")
            at = out.find(signature, at + 4)
    return bytes(out)


@pytest.mark.parametrize(
    "field, value, message",
    [
        (
            (8, 10),
            97,
            r"mnist.npz: x_train uses zip compression method 97, which cannot be read \(supported: stored, ",
        ),
        ((6, 8), 1, r"mnist.npz: x_train is encrypted"),
    ],
    ids=["compression-97", "encrypted"],
)
def test_members_that_zipfile_cannot_read_are_named(tmp_path, field, value, message):
    path = npz(tmp_path, **full())
    path.write_bytes(_patch_zip_entries(path.read_bytes(), *field, value))
    with pytest.raises(DataError, match="^" + message):
        load_npz(path)


def _npz_with_header(path, shape, dtype=np.uint8, data=b""):
    """An archive whose x_train.npy declares ``shape`` but holds only ``data``."""
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": shape}
    )
    y = io.BytesIO()
    np.save(y, np.zeros(3, np.uint8))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x_train.npy", header.getvalue() + data)
        archive.writestr("y_train.npy", y.getvalue())
    return path


def test_a_header_claiming_a_huge_shape_is_one_sentence(tmp_path):
    # np.load would try to allocate 71.3 TiB here and raise a bare MemoryError.
    path = _npz_with_header(tmp_path / "mnist.npz", (10_000_000_000, 28, 28), np.float64, bytes(64))
    with pytest.raises(DataError) as err:
        load_npz(path)
    assert str(err.value) == (
        "mnist.npz: x_train is damaged: its header announces shape (10000000000, 28, 28) "
        "(62,720,000,000,000 bytes) but the archive holds 64 bytes for it"
    )


def test_arrays_too_large_for_memory_are_refused_before_reading(tmp_path, little_memory):
    x = np.zeros((30_000, 28, 28), np.uint8)  # 23.5 MB, but 188 MB as float32 images and a split
    path = npz(tmp_path, x_train=x, y_train=np.zeros(30_000, np.uint8))
    with pytest.raises(DataError) as err:
        load_npz(path)
    assert str(err.value) == (
        "mnist.npz: x_train (30000, 28, 28) would need 179.4 MB of memory; this machine can spare about 128.0 MB"
    )


def test_object_dtype_in_the_header_is_refused_before_any_pickle_is_read(tmp_path):
    path = _npz_with_header(tmp_path / "mnist.npz", (3,), object, b"\x80\x04not really a pickle")
    with pytest.raises(DataError, match=r"^mnist.npz: x_train holds Python objects"):
        load_npz(path)


def test_an_oversized_zip_directory_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "mnist.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(20_000):
            archive.writestr(f"member{i:05}.npy", b"")
    with pytest.raises(DataError, match=r"^mnist.npz: the archive's directory alone is 1,\d{3},\d{3} bytes"):
        load_npz(path)


def test_a_newline_in_a_member_name_stays_on_one_line(tmp_path):
    path = npz(tmp_path, **{"x_\ntrain": np.zeros((2, 784), np.uint8)})
    with pytest.raises(DataError) as err:
        load_npz(path)
    assert str(err.value).startswith("mnist.npz: missing x_train, y_train (found x_ train)")
