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


def _rows(n=4, header=False):
    x, y = tiny_digits(n)
    return x.reshape(n, 784), y, csv_text(x, y, header=header)


@pytest.mark.parametrize(
    "dialect",
    ["semicolon", "tab", "spaces", "quoted", "quoted-header", "utf-16", "utf-16-le-no-bom", "utf-8-bom"],
)
@pytest.mark.parametrize("header", [True, False])
def test_other_csv_dialects_are_read_correctly(tmp_path, dialect, header):
    flat, y, text = _rows(header=header)
    lines = text.splitlines()
    if dialect in ("semicolon", "tab", "spaces"):
        lines = [
            line.replace(",", {"semicolon": ";", "tab": "\t", "spaces": "  "}[dialect]) for line in lines
        ]
    elif dialect == "quoted":
        lines = [",".join(f'"{c}"' for c in line.split(",")) for line in lines]
    elif dialect == "quoted-header" and header:
        lines[0] = ",".join(f'"{c}"' for c in lines[0].split(","))
    data = ("\n".join(lines) + "\n").encode(
        {"utf-16": "utf-16", "utf-16-le-no-bom": "utf-16-le", "utf-8-bom": "utf-8-sig"}.get(dialect, "utf-8")
    )
    path = tmp_path / "train.csv"
    path.write_bytes(data)
    x_csv, y_csv = read_csv_digits(path)
    np.testing.assert_array_equal(y_csv, y)
    np.testing.assert_allclose(x_csv, flat / 255, atol=1e-6)


def test_blank_and_all_space_lines_are_skipped(tmp_path):
    flat, y, text = _rows()
    lines = text.splitlines()
    path = tmp_path / "mnist_train.csv"
    path.write_text("\n".join([lines[0], "", "   ", *lines[1:], "  \t "]) + "\n      \n")
    x_csv, y_csv = read_csv_digits(path)
    np.testing.assert_array_equal(y_csv, y)


def test_a_line_number_counts_the_skipped_lines(tmp_path):
    _, _, text = _rows(3)
    lines = text.splitlines()
    lines[2] = lines[2].replace(",", ",x", 1)
    path = tmp_path / "mnist_train.csv"
    path.write_text("\n".join([lines[0], "   ", lines[1], lines[2]]) + "\n   ")
    with pytest.raises(DataError, match=r"^mnist_train.csv, line 4: the text cell 'x\d*' in column 2"):
        read_csv_digits(path)


_GOOD_ROW = "1" + ",0" * 784 + "\n"


@pytest.mark.parametrize(
    "name, text, message",
    [
        (
            "mnist_train.csv",
            "1," + "9" * 5000 + ",0" * 783 + "\n",
            "mnist_train.csv, line 1: value 999999… (5,000 digits) in column 2 is outside 0-255",
        ),
        (
            "mnist_train.csv",
            "1," + "0" * 70_000 + "\n",
            "mnist_train.csv, line 1: longer than 65,536 characters; not a row of digits",
        ),
        (  # 0000 is a fine zero; the quote after it is never closed
            "mnist_train.csv",
            _GOOD_ROW * 2 + '0000,"0' + ",0" * 783 + "\n",
            "mnist_train.csv, line 3: a quote that is never closed in column 2",
        ),
        (
            "bad\nname.csv",
            "1,2,3\n",
            "bad name.csv, line 1: 3 columns, expected 785 (a label and 784 pixels)",
        ),
    ],
    ids=["5000-digit-cell", "overlong-line", "unclosed-quote", "newline-in-name"],
)
def test_a_bad_row_is_one_sentence(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DataError) as err:
        read_csv_digits(path)
    assert str(err.value) == message
