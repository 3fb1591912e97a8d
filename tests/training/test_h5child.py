"""The HDF5 child's reply is checked field by field: a child subverted by its file cannot hand the parent junk."""

import json

import numpy as np
import pytest

from visualizer.core.errors import WeightsError
from visualizer.training import h5child


def _reply(header, payload=b"") -> bytes:
    text = json.dumps(header).encode()
    return h5child._MAGIC + len(text).to_bytes(8, "little") + text + payload


def _layer(rows=3, cols=2, name="dense_1"):
    return {"name": name, "kernel": [rows, cols], "bias": [cols]}


def test_a_well_formed_reply_gives_the_arrays():
    kernel, bias = np.arange(6, dtype="<f4").reshape(3, 2), np.array([7, 8], "<f4")
    layers = h5child._decode(_reply({"layers": [_layer()]}, kernel.tobytes() + bias.tobytes()), 100, 7)
    assert [name for name, _, _ in layers] == ["dense_1"]
    assert np.array_equal(layers[0][1], kernel) and np.array_equal(layers[0][2], bias)


def test_an_error_reply_becomes_one_line():
    with pytest.raises(WeightsError, match="^it is damaged or unreadable \\(OSError: line one line two\\)$"):
        h5child._decode(_reply({"error": "it is damaged or unreadable (OSError: line one\nline two)"}), 100, 7)


@pytest.mark.parametrize(
    "reply",
    [
        b"",
        b"something else entirely",
        h5child._MAGIC + (10**9).to_bytes(8, "little"),  # a header bigger than any
        h5child._MAGIC + (5).to_bytes(8, "little") + b"{nope",
        _reply(["not", "a", "dict"]),
        _reply({"layers": [_layer()]}, b"\0" * 31),  # one float short
        _reply({"layers": [_layer()]}, b"\0" * 33),
        _reply({"layers": [{"name": 3, "kernel": [3, 2], "bias": [2]}]}, b"\0" * 32),
        _reply({"layers": [{"name": None, "kernel": [3, -2], "bias": [2]}]}, b"\0" * 32),
        _reply({"layers": [{"name": None, "kernel": [3, True], "bias": [2]}]}, b"\0" * 32),
        _reply({"layers": [{"name": None, "kernel": [3, 2, 1], "bias": [2]}]}, b"\0" * 32),
        _reply({"layers": [_layer(1000, 1000)]}),  # more values than allowed, whatever follows
        _reply({"layers": [_layer()] * 8}, b"\0" * 32 * 8),  # more layers than allowed
    ],
)
def test_malformed_replies_are_refused(reply):
    with pytest.raises(WeightsError, match="the HDF5 reader gave a malformed answer; the file is probably corrupt"):
        h5child._decode(reply, 100, 7)


@pytest.mark.parametrize(
    "code, errors, match",
    [
        (-11, b"", r"crashed on it \(SIGSEGV\)"),
        (-24, b"", "CPU time allowed"),
        (1, b"Traceback...\nModuleNotFoundError: No module named 'h5py'\n", "exit code 1: ModuleNotFoundError"),
    ],
)
def test_a_child_that_dies_is_one_sentence(code, errors, match):
    with pytest.raises(WeightsError, match=match) as err:
        h5child._check_exit(code, errors)
    assert "\n" not in str(err.value)
