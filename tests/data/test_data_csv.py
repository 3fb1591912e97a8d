"""MNIST as CSV: Kaggle's header layout and the header-less mnist_train.csv layout, and their errors."""

import gzip

import numpy as np
import pytest
from data_helpers import csv_text, tiny_digits, write_csv

from visualizer.core.errors import DataError
from visualizer.data.csv import read_csv_digits


@pytest.mark.parametrize("header", [True, False])
def test_both_layouts_load(tmp_path, header):
    x, y = tiny_digits(12)
    (x_csv, y_csv) = read_csv_digits(write_csv(tmp_path / "train.csv", x, y, header=header))
    assert x_csv.shape == (12, 784) and x_csv.dtype == np.float32 and x_csv.flags.c_contiguous
    np.testing.assert_allclose(x_csv, x.reshape(12, 784) / 255, atol=1e-6)
    np.testing.assert_array_equal(y_csv, y)
    assert y_csv.dtype == np.uint8


def test_windows_line_endings_and_gzip(tmp_path):
    x, y = tiny_digits(4)
    path = tmp_path / "mnist_train.csv.gz"
    path.write_bytes(gzip.compress(csv_text(x, y, header=False).replace("\n", "\r\n").encode()))
    x_csv, y_csv = read_csv_digits(path)
    np.testing.assert_array_equal(y_csv, y)


def test_label_column_found_by_name(tmp_path):
    x, y = tiny_digits(3)
    flat = x.reshape(3, 784)
    lines = [",".join([f"p{i}" for i in range(784)] + ["label"])]
    lines += [",".join(map(str, [*row, lab])) for row, lab in zip(flat.tolist(), y.tolist(), strict=True)]
    path = tmp_path / "digits.csv"
    path.write_text("\n".join(lines))
    x_csv, y_csv = read_csv_digits(path)
    np.testing.assert_array_equal(y_csv, y)
    np.testing.assert_allclose(x_csv, flat / 255, atol=1e-6)


def test_text_cell_names_line_and_column(tmp_path):
    x, y = tiny_digits(3)
    text = csv_text(x, y, header=True).splitlines()
    cells = text[2].split(",")
    cells[5] = "abc"
    text[2] = ",".join(cells)
    path = tmp_path / "train.csv"
    path.write_text("\n".join(text))
    with pytest.raises(DataError, match=r"train.csv, line 3: the text cell 'abc' in column 6"):
        read_csv_digits(path)


def test_empty_cell(tmp_path):
    x, y = tiny_digits(2)
    path = tmp_path / "mnist_train.csv"
    path.write_text(csv_text(x, y, header=False).replace(",", ",,", 1))
    with pytest.raises(DataError, match=r"mnist_train.csv, line 1: 786 columns, expected 785"):
        read_csv_digits(path)
    path.write_text("1" + ",0" * 300 + ",," + ",0" * 482 + "\n")
    with pytest.raises(DataError, match=r"mnist_train.csv, line 1: an empty cell in column 302"):
        read_csv_digits(path)


def test_wrong_column_count(tmp_path):
    path = tmp_path / "mnist_train.csv"
    path.write_text("\n".join(",".join(["1"] * 100) for _ in range(3)))
    with pytest.raises(DataError, match=r"mnist_train.csv(, line 1)?: 100 columns, expected 785"):
        read_csv_digits(path)


def test_value_out_of_range(tmp_path):
    x, y = tiny_digits(2)
    path = tmp_path / "mnist_train.csv"
    path.write_text(csv_text(x, y, header=False) + "3" + ",0" * 783 + ",256\n")
    with pytest.raises(DataError, match=r"mnist_train.csv, line 3: value 256 in column 785 is outside 0-255"):
        read_csv_digits(path)


def test_negative_value(tmp_path):
    path = tmp_path / "mnist_train.csv"
    path.write_text("3" + ",0" * 783 + ",-1\n")
    with pytest.raises(DataError, match=r"mnist_train.csv, line 1: the text cell '-1' in column 785"):
        read_csv_digits(path)


def test_label_outside_0_to_9(tmp_path):
    x, y = tiny_digits(3)
    y[1] = 11
    path = write_csv(tmp_path / "mnist_train.csv", x, y, header=False)
    with pytest.raises(
        DataError, match=r"mnist_train.csv \(label column\): 1 labels are outside 0-9 \(e.g. 11\)"
    ):
        read_csv_digits(path)


def test_empty_file_and_header_only(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("")
    with pytest.raises(DataError, match=r"train.csv: the file is empty"):
        read_csv_digits(path)
    path.write_text("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n")
    with pytest.raises(DataError, match=r"train.csv: has a header but no data rows"):
        read_csv_digits(path)


def test_unlabelled_kaggle_test_csv_is_refused(tmp_path):
    x, _ = tiny_digits(3)
    path = write_csv(tmp_path / "test.csv", x, None, header=True)
    with pytest.raises(DataError, match=r"test.csv: the header has no 'label' column"):
        read_csv_digits(path)
