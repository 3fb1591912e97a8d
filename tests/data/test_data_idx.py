"""IDX reader: the original MNIST files load exactly, and every kind of damage gives one clear DataError."""

import gzip

import numpy as np
import pytest
from data_helpers import idx_bytes, idx_header, tiny_digits, write_idx, write_idx_set

from visualizer.core.errors import DataError
from visualizer.data.idx import IMAGES_MAGIC, LABELS_MAGIC, load_idx_folder, read_idx


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("dot", [True, False])
def test_folder_loads_train_and_test_in_every_naming(tmp_path, gz, dot):
    x, y = tiny_digits(30)
    write_idx_set(tmp_path, x[:20], y[:20], x[20:], y[20:], gz=gz, dot=dot)
    (x_train, y_train), (x_test, y_test) = load_idx_folder(tmp_path)
    assert x_train.shape == (20, 784) and x_train.dtype == np.float32 and x_train.flags.c_contiguous
    np.testing.assert_allclose(x_train, x[:20].reshape(20, 784) / 255, atol=1e-6)
    np.testing.assert_array_equal(y_train, y[:20])
    assert y_train.dtype == np.uint8 and x_test.shape == (10, 784)
    np.testing.assert_array_equal(y_test, y[20:])


def test_gzip_is_detected_by_content_not_name(tmp_path):
    x, y = tiny_digits(5)
    path = tmp_path / "train-images-idx3-ubyte"  # no .gz, but gzipped inside
    path.write_bytes(gzip.compress(idx_bytes(x)))
    np.testing.assert_array_equal(read_idx(path, IMAGES_MAGIC), x)


def test_folder_without_test_files_returns_none_for_test(tmp_path):
    x, y = tiny_digits(10)
    write_idx_set(tmp_path, x, y)
    _, test = load_idx_folder(tmp_path)
    assert test is None


def damaged(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_wrong_magic_number_names_file_and_numbers(tmp_path):
    x, y = tiny_digits(3)
    path = damaged(tmp_path, "train-images-idx3-ubyte", idx_bytes(y))  # a label file where images belong
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: wrong magic number 2049 \(a label file\)"):
        read_idx(path, IMAGES_MAGIC)
    path = damaged(tmp_path, "junk-labels", b"\x12\x34\x56\x78" + bytes(20))
    with pytest.raises(
        DataError, match=r"junk-labels: wrong magic number 305419896 \(not an MNIST IDX file\)"
    ):
        read_idx(path, LABELS_MAGIC)


def test_truncated_data(tmp_path):
    x, _ = tiny_digits(4)
    path = damaged(tmp_path, "train-images-idx3-ubyte", idx_bytes(x)[:-100])
    with pytest.raises(
        DataError, match=r"train-images-idx3-ubyte: truncated file: the header announces 4 items"
    ):
        read_idx(path, IMAGES_MAGIC)


def test_truncated_header(tmp_path):
    path = damaged(tmp_path, "train-labels-idx1-ubyte", b"\x00\x00\x08\x01\x00")
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: truncated file \(5 bytes"):
        read_idx(path, LABELS_MAGIC)


def test_extra_bytes_after_data(tmp_path):
    _, y = tiny_digits(4)
    path = damaged(tmp_path, "train-labels-idx1-ubyte", idx_bytes(y) + b"\x00\x01")
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: 2 unexpected bytes after the 4 items"):
        read_idx(path, LABELS_MAGIC)


def test_empty_file(tmp_path):
    path = damaged(tmp_path, "train-labels-idx1-ubyte", b"")
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: the file is empty"):
        read_idx(path, LABELS_MAGIC)


def test_truncated_gzip(tmp_path):
    x, _ = tiny_digits(4)
    packed = gzip.compress(idx_bytes(x))
    path = damaged(tmp_path, "train-images-idx3-ubyte.gz", packed[: len(packed) // 2])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: the gzip data is truncated"):
        read_idx(path, IMAGES_MAGIC)


def test_corrupt_gzip(tmp_path):
    x, _ = tiny_digits(4)
    packed = bytearray(gzip.compress(idx_bytes(x)))
    packed[20:40] = b"\xff" * 20
    path = damaged(tmp_path, "train-images-idx3-ubyte.gz", bytes(packed))
    with pytest.raises(
        DataError, match=r"train-images-idx3-ubyte.gz: (corrupt gzip data|the gzip data is truncated)"
    ):
        read_idx(path, IMAGES_MAGIC)


def test_counts_that_disagree(tmp_path):
    x, y = tiny_digits(10)
    write_idx_set(tmp_path, x, y[:9])
    with pytest.raises(
        DataError,
        match=r"train-labels-idx1-ubyte.gz has 9 labels but train-images-idx3-ubyte.gz "
        r"has 10 images",
    ):
        load_idx_folder(tmp_path)


def test_labels_outside_0_to_9(tmp_path):
    x, y = tiny_digits(10)
    y[3] = 12
    write_idx_set(tmp_path, x, y)
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz: 1 labels are outside 0-9 \(e.g. 12\)"):
        load_idx_folder(tmp_path)


def test_images_not_28x28(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 32, 32), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: images are 32x32 pixels, expected 28x28"):
        load_idx_folder(tmp_path)


def test_missing_partner_file(tmp_path):
    x, _ = tiny_digits(3)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", x)
    with pytest.raises(
        DataError,
        match=r"found train-images-idx3-ubyte.gz but not the matching labels file "
        r"train-labels-idx1-ubyte\[.gz\]",
    ):
        load_idx_folder(tmp_path)


def test_only_test_files(tmp_path):
    x, y = tiny_digits(3)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", x)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", y)
    with pytest.raises(DataError, match=r"no training IDX files \(looked for train-images-idx3-ubyte"):
        load_idx_folder(tmp_path)


def test_unreadable_path_is_a_data_error(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").mkdir()  # a folder where a file should be
    with pytest.raises(DataError, match=r"cannot read train-images-idx3-ubyte"):
        read_idx(tmp_path / "train-images-idx3-ubyte", IMAGES_MAGIC)


def test_gzip_bomb_is_refused_without_unpacking_it_all(tmp_path, monkeypatch):
    import visualizer.data.idx as idx_module

    _, y = tiny_digits(3)
    bomb = tmp_path / "train-labels-idx1-ubyte.gz"
    bomb.write_bytes(gzip.compress(idx_header(LABELS_MAGIC, 3 << 20) + b"\0" * (3 << 20)))
    monkeypatch.setattr(idx_module, "MAX_UNPACKED_BYTES", 1 << 20)
    with pytest.raises(
        DataError,
        match=r"^train-labels-idx1-ubyte.gz: the header announces 3,145,728 labels \(3,145,728 bytes\), "
        r"more than the 1.0 MB an MNIST file can hold$",
    ):
        read_idx(bomb, LABELS_MAGIC)
    monkeypatch.undo()
    assert len(read_idx(bomb, LABELS_MAGIC)) == 3 << 20  # under the real limit it reads normally


@pytest.mark.parametrize("gz", [False, True])
def test_dimensions_whose_product_overflows_are_one_sentence(tmp_path, gz):
    path = tmp_path / "train-images-idx3-ubyte"
    write = (lambda d: path.write_bytes(gzip.compress(d))) if gz else path.write_bytes
    write(idx_header(IMAGES_MAGIC, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF) + bytes(100))
    with pytest.raises(DataError) as err:
        read_idx(path, IMAGES_MAGIC)
    size = f"{0xFFFFFFFF**3:,}"
    assert str(err.value) == (
        f"train-images-idx3-ubyte: truncated file: the header announces 4,294,967,295 items ({size} bytes) "
        "but only 100 bytes follow"
    )


def test_overflowing_dimensions_under_real_data_say_the_size(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"  # enough data that it is not merely truncated
    path.write_bytes(gzip.compress(idx_header(IMAGES_MAGIC, 1 << 31, 1 << 31, 4) + bytes(2 << 20)))
    with pytest.raises(DataError) as err:
        read_idx(path, IMAGES_MAGIC)
    assert str(err.value) == (
        f"train-images-idx3-ubyte.gz: the header announces 2,147,483,648 images ({1 << 64:,} bytes), "
        "more than the 2.0 GB an MNIST file can hold"
    )


def test_extra_bytes_are_counted_exactly(tmp_path):
    # The old reader multiplied in int64, which wrapped to a negative size and printed a count
    # of 4,611,686,018,427,388,004 unexpected bytes.
    path = damaged(tmp_path, "train-labels-idx1-ubyte", idx_header(LABELS_MAGIC, 0) + bytes(5))
    with pytest.raises(DataError, match=r"^train-labels-idx1-ubyte: 5 unexpected bytes after the 0 items"):
        read_idx(path, LABELS_MAGIC)


def test_a_corrupt_gzip_stream_is_not_blamed_on_its_garbled_header(tmp_path):
    x, _ = tiny_digits(40)
    packed = bytearray(gzip.compress(idx_bytes(x), compresslevel=0))  # stored: the header is readable
    packed[10 + 5 + 4 : 10 + 5 + 8] = b"\xff\xff\xff\xff"  # the image count, inside the first block
    path = damaged(tmp_path, "train-images-idx3-ubyte.gz", bytes(packed))
    with pytest.raises(DataError, match=r"^train-images-idx3-ubyte.gz: corrupt gzip data \(CRC check failed"):
        read_idx(path, IMAGES_MAGIC)
