"""The numpy-only .npz / .json weights files, and what every importer returns (an :class:`ImportedNetwork`).

Both files carry one activation per layer (``activations``, the output's last) and, when every
hidden layer shares one of relu, sigmoid or tanh with a softmax output, the older single
``activation`` field too, so readers written for the first version still find it. A one-neuron
network trained on one digit vs the rest also stores that ``digit`` (what it answers "is it a ...?"
for); files without it read as a yes/no neuron of unknown digit. The JSON
document also states the input convention and what the output means (see the README's schema).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from visualizer.core.atomic import atomic_write_bytes
from visualizer.core.config import ACTIVATIONS, INPUT_SIZE, NUM_CLASSES
from visualizer.core.errors import WeightsError
from visualizer.core.network import MAX_HIDDEN_LAYERS, MAX_HIDDEN_SIZE, Network, validate_architecture
from visualizer.core.safeio import check_allocation, one_line, open_regular_file
from visualizer.core.safezip import check_npy_members, open_zip

FORMAT_NAME = "nnviz-weights"
FORMAT_VERSION = 1
MAX_PARAMETERS = (
    INPUT_SIZE * MAX_HIDDEN_SIZE
    + MAX_HIDDEN_SIZE
    + (MAX_HIDDEN_LAYERS - 1) * (MAX_HIDDEN_SIZE * MAX_HIDDEN_SIZE + MAX_HIDDEN_SIZE)
    + MAX_HIDDEN_SIZE * NUM_CLASSES
    + NUM_CLASSES
)  # about 6 million
# Generous bounds for the largest valid network; anything bigger is not one of ours.
MAX_BINARY_BYTES = MAX_PARAMETERS * 8 + (16 << 20)  # float64 arrays plus headroom
MAX_JSON_BYTES = MAX_PARAMETERS * 32 + (1 << 20)  # ~25 characters per float64 repr
# What the largest valid JSON document holds: its numbers (each followed by at most one comma)
# and lists (layer_sizes, layers, then per layer W, its rows and b). Checked by counting bytes
# before parsing, because json turns two bytes of "[]" into a 56-byte list.
# nnviz writes the activations and the input's shape and range as lists, the input and output
# facts as objects; a few more of each leave room for fields other tools add (they are ignored).
_JSON_EXTRA_LISTS, _JSON_EXTRA_OBJECTS = 16, 4
MAX_JSON_VALUES = MAX_PARAMETERS + 2 * MAX_HIDDEN_LAYERS + 2 + 8 * _JSON_EXTRA_LISTS
MAX_JSON_LISTS = 2 + 2 * (MAX_HIDDEN_LAYERS + 1) + INPUT_SIZE + MAX_HIDDEN_LAYERS * MAX_HIDDEN_SIZE + _JSON_EXTRA_LISTS
MAX_JSON_OBJECTS = 1 + (MAX_HIDDEN_LAYERS + 1) + 2 + _JSON_EXTRA_OBJECTS
_JSON_BYTES_PER_VALUE = 40  # a float object and its list slot, with room for the parser
MAX_NPZ_MEMBERS = 2 * (MAX_HIDDEN_LAYERS + 1) + 4
# The input every nnviz network expects, stated in each .json file (the README's schema).
INPUT_CONVENTION = {
    "shape": [28, 28],
    "order": "row-major",
    "range": [0, 1],
    "background": 0,
    "ink": 1,
    "about": "784 pixels of a 28x28 grayscale digit, row by row from the top left; "
    "0 is the background (black), 1 is full ink (white), as in MNIST",
}
OUTPUT_MEANING = {
    "softmax": "10 probabilities, one per digit 0-9: the softmax of the last layer (it is applied by the network)",
    "sigmoid": "one probability that the image is the chosen digit: the sigmoid of the last layer",
}
DIGIT_ABOUT = "the digit the one sigmoid output answers 'is it this digit?' for (one digit vs the rest)"

# File kinds by extension, checked case-insensitively, longest first.
FORMATS = {
    ".weights.h5": "weights.h5",
    ".keras": "keras",
    ".npz": "npz",
    ".json": "json",
    ".tflite": "tflite",
    # A plain .h5 is Keras' legacy HDF5 model file (Keras 3 writes and reads that format for the
    # name); files of earlier nnviz versions with the .weights.h5 layout are read too.
    ".h5": "h5",
}


def detect_format(path: str | os.PathLike) -> str:
    """Return the file kind of ``path`` from its extension: "weights.h5", "h5", "keras", "npz", ...

    ``.weights.h5`` is a Keras 3 weights file, plain ``.h5`` a legacy (Keras 2 style) HDF5 model
    or weights file. Raises WeightsError for any other extension.
    """
    name = Path(path).name.lower()
    for ext, kind in FORMATS.items():
        if name.endswith(ext) and len(name) > len(ext):
            return kind
    raise WeightsError(
        one_line(f"{Path(path).name}: unsupported file type; use .keras, .weights.h5, .h5, .npz, .json or .tflite")
    )


@dataclass(frozen=True, eq=False)
class ImportedNetwork:
    """A network read from a file, and what the reader did that the user should be told.

    ``notes`` are short sentences such as "the last layer gives logits; softmax is applied";
    empty for nnviz's own files.
    """

    network: Network
    notes: tuple[str, ...] = ()


def legacy_activation(net: Network) -> str | None:
    """The single ``activation`` field of the first file version, or None when ``net`` has none.

    Those readers know only networks with 1 to 6 hidden layers sharing relu, sigmoid or tanh and
    a softmax output.
    """
    if net.hidden and net.output == "softmax" and net.activation in ACTIVATIONS:
        return net.activation
    return None


def activations_from_fields(per_layer, single, n_layers: int) -> tuple[str, ...]:
    """The activations stored in a file: the per-layer list, else the old single hidden one.

    Raises WeightsError (no file name) when neither is usable or the two disagree.
    """
    if per_layer is not None:
        if not (isinstance(per_layer, (list, tuple)) and all(isinstance(a, str) for a in per_layer)):
            raise WeightsError("'activations' must be a list of names like [\"relu\", \"relu\", \"softmax\"]")
        if len(per_layer) != n_layers:
            raise WeightsError(f"'activations' names {len(per_layer)} activations for {n_layers} layers")
        acts = tuple(per_layer)
        if single is not None and (n_layers < 2 or acts[:-1] != (single,) * (n_layers - 1)):
            raise WeightsError(f"'activation' ({single!r}) disagrees with 'activations' ({', '.join(acts)})")
        return acts
    if single is None:
        raise WeightsError("it names no activations ('activations' or 'activation')")
    if not isinstance(single, str):
        raise WeightsError("'activation' must be a name like \"relu\"")
    return (single,) * (n_layers - 1) + ("softmax",)


def load_error(path, detail: str) -> WeightsError:
    """The one-line error for a file that could not be loaded: names the file, then why.

    Newlines and control characters (from a file name or a library's message) become spaces.
    """
    return WeightsError(one_line(f"Could not read weights from {Path(path).name}: {detail}"))


def check_readable_file(path: Path, limit: int) -> None:
    """Raise WeightsError unless ``path`` is an existing regular file of at most ``limit`` bytes."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise WeightsError(one_line(f"Could not read weights: {path.name} does not exist")) from None
    except OSError as exc:
        raise load_error(path, exc.strerror or str(exc)) from exc
    if not path.is_file():
        raise load_error(path, "it is not a regular file")
    if size > limit:
        raise load_error(path, f"the file ({size / 2**20:.1f} MB) is larger than any supported network")


def open_weights_file(path: Path, limit: int) -> BinaryIO:
    """Open ``path`` for binary reading after :func:`check_readable_file`.

    Opening never blocks: a FIFO or device put in the file's place after the check is refused too.
    """
    check_readable_file(path, limit)
    try:
        return open_regular_file(path, "Could not read weights from", WeightsError)
    except WeightsError as exc:
        raise WeightsError(one_line(str(exc))) from None


# ---------------------------------------------------------------------------------------- .npz


def save_npz(net: Network, path: str | os.PathLike) -> Path:
    """Write ``W1, b1, W2, b2, ...``, ``activations`` (one per layer), ``format_version``, when
    :func:`legacy_activation` has one the single ``activation``, and a one-neuron network's
    ``digit`` to ``path``.

    Uncompressed float32 arrays and strings, no pickles; built in memory, then written atomically.
    """
    arrays = {}
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True), start=1):
        arrays[f"W{i}"], arrays[f"b{i}"] = w, b
    arrays["activations"] = np.array(net.activations, dtype=np.str_)
    single = legacy_activation(net)
    if single is not None:
        arrays["activation"] = np.array(single, dtype=np.str_)
    if net.digit is not None:
        arrays["digit"] = np.array(net.digit, dtype=np.int64)
    arrays["format_version"] = np.array(FORMAT_VERSION, dtype=np.int64)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # a file object, so numpy adds no ".npz" of its own
    return atomic_write_bytes(Path(path), buffer.getbuffer())


def _npz_scalar(arr: np.ndarray, key: str, kind: str):
    if arr.ndim != 0 or arr.dtype.kind not in kind:
        raise WeightsError(f"'{key}' must be a single {'text' if kind == 'U' else 'integer'} value")
    return _npz_texts(arr, key)[0] if kind == "U" else arr.item()


def _npz_texts(arr: np.ndarray, key: str) -> list[str]:
    """The strings of a text array, after checking its UCS-4 code points are Unicode characters:
    numpy turns any 32-bit value into a str, and a broken one fails later wherever it is printed."""
    order = arr.dtype.byteorder if arr.dtype.byteorder in "<>" else "="
    codes = np.ascontiguousarray(arr.reshape(-1)).view(f"{order}u4")
    if ((codes > 0x10FFFF) | ((codes >= 0xD800) & (codes <= 0xDFFF))).any():
        raise WeightsError(f"'{key}' holds values that are not text")
    return [str(v) for v in arr.reshape(-1)]


def _check_npz_archive(f) -> None:
    # np.load inflates members on access and allocates each header's shape; check them first.
    with open_zip(f, MAX_NPZ_MEMBERS) as z:
        if sum(i.file_size for i in z.infolist()) > MAX_BINARY_BYTES:
            raise WeightsError("its arrays are larger than any supported network")
        check_npy_members(z, MAX_PARAMETERS)
    f.seek(0)


def load_npz(path: str | os.PathLike) -> Network:
    """Read a file written by :func:`save_npz`; raise WeightsError naming the file on any problem."""
    path = Path(path)
    with open_weights_file(path, MAX_BINARY_BYTES) as f:
        try:
            if not zipfile.is_zipfile(f):
                raise WeightsError("it is not an .npz archive")
            _check_npz_archive(f)
            return _network_from_npz(f)
        except WeightsError as exc:
            raise load_error(path, str(exc)) from None
        except ValueError as exc:
            # allow_pickle=False refuses object arrays with a ValueError; so do corrupt headers.
            detail = (
                "it contains Python objects, which are never loaded"
                if "pickle" in str(exc)
                else f"it is damaged ({exc})"
            )
            raise load_error(path, detail) from exc
        except (OSError, EOFError, KeyError, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
            raise load_error(path, f"it is damaged or unreadable ({type(exc).__name__})") from exc


def _network_from_npz(f) -> Network:
    with np.load(f, allow_pickle=False) as npz:
        keys = set(npz.files)
        n = sum(1 for k in keys if k.startswith("W"))
        arrays = {f"{p}{i}" for p in "Wb" for i in range(1, n + 1)}
        # Files of the first version hold only "activation"; newer ones "activations" too.
        names = keys & {"activation", "activations"} or {"activation"}
        expected = {"format_version"} | names | arrays | (keys & {"digit"})
        if keys != expected:
            missing, extra = sorted(expected - keys), sorted(keys - expected)
            detail = "; ".join(
                s
                for s in (
                    missing and f"missing {', '.join(missing)}",
                    extra and f"unexpected {', '.join(extra)}",
                )
                if s
            )
            raise WeightsError(f"the arrays are not W1, b1, ..., activations, format_version ({detail})")
        version = _npz_scalar(npz["format_version"], "format_version", "iu")
        if version != FORMAT_VERSION:
            raise WeightsError(
                f"format version {version} is not supported (this app reads {FORMAT_VERSION})"
            )
        single = _npz_scalar(npz["activation"], "activation", "U") if "activation" in keys else None
        per_layer = None
        if "activations" in keys:
            stored = npz["activations"]
            if stored.ndim != 1 or stored.dtype.kind != "U":
                raise WeightsError("'activations' must be a list of names, one per layer")
            per_layer = _npz_texts(stored, "activations")
        activations = activations_from_fields(per_layer, single, n)
        digit = _npz_scalar(npz["digit"], "digit", "iu") if "digit" in keys else None
        weights = [npz[f"W{i}"] for i in range(1, n + 1)]
        biases = [npz[f"b{i}"] for i in range(1, n + 1)]
    return stored_network(weights, biases, activations, digit)


def stored_network(weights, biases, activations: tuple[str, ...], digit=None) -> Network:
    """A Network from stored arrays: their float32 copies, one activation per layer, and the digit
    a one-neuron network answers for (None: not stored)."""
    if len(activations) != len(weights):
        raise WeightsError(f"{len(activations)} activations for {len(weights)} layers")
    return Network.from_arrays(weights, biases, activations[:-1], output=activations[-1], digit=digit)


# --------------------------------------------------------------------------------------- .json


def to_json_dict(net: Network) -> dict:
    """The JSON document for ``net``: float32 values stored as their exact float64 value."""
    doc = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "layer_sizes": list(net.layer_sizes),
        "activations": list(net.activations),
    }
    single = legacy_activation(net)
    if single is not None:
        doc["activation"] = single
    doc["input"] = dict(INPUT_CONVENTION)
    doc["output"] = {"activation": net.output, "about": OUTPUT_MEANING[net.output]}
    if net.digit is not None:
        doc["digit"] = net.digit
        doc["output"]["question"] = net.question
        doc["output"]["digit"] = DIGIT_ABOUT
    # float64 of a float32 is exact and json writes float64 by shortest round-trip repr,
    # so reading back and casting to float32 restores every bit.
    doc["layers"] = [
        {"W": w.astype(np.float64).tolist(), "b": b.astype(np.float64).tolist()}
        for w, b in zip(net.weights, net.biases, strict=True)
    ]
    return doc


def save_json(net: Network, path: str | os.PathLike) -> Path:
    """Write ``net`` as an ``nnviz-weights`` JSON document (see :func:`to_json_dict`), atomically."""
    text = json.dumps(to_json_dict(net), separators=(",", ":"), allow_nan=False)
    return atomic_write_bytes(Path(path), text.encode("utf-8"))


def _number_matrix(value, rows: int, cols: int, what: str) -> np.ndarray:
    """A (rows, cols) float64 array from nested lists of plain JSON numbers (bools refused)."""
    if not isinstance(value, list) or len(value) != rows:
        raise WeightsError(f"{what} must be a list of {rows} rows")
    for row in value:
        if not isinstance(row, list) or len(row) != cols:
            raise WeightsError(f"every row of {what} must be a list of {cols} numbers")
        if not set(map(type, row)) <= {int, float}:
            raise WeightsError(f"{what} must contain only numbers")
    return np.array(value, dtype=np.float64).reshape(rows, cols)


def from_json_dict(doc) -> Network:
    """Validate a parsed JSON document and build the network; raise WeightsError (no file name).

    Fields this version does not use (a ``description``, the ``input`` and ``output`` facts) are
    ignored, so other tools may add their own.
    """
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise WeightsError(f"it is not an {FORMAT_NAME} document")
    if doc.get("version") != FORMAT_VERSION or type(doc.get("version")) is not int:
        raise WeightsError(
            f"version {doc.get('version')!r} is not supported (this app reads {FORMAT_VERSION})"
        )
    sizes, layers = doc.get("layer_sizes"), doc.get("layers")
    if not isinstance(sizes, list) or not all(type(s) is int for s in sizes) or len(sizes) < 2:
        raise WeightsError("'layer_sizes' must be a list of whole numbers like [784, 16, 16, 10]")
    activations = activations_from_fields(doc.get("activations"), doc.get("activation"), len(sizes) - 1)
    if not isinstance(layers, list) or len(layers) != len(sizes) - 1:
        raise WeightsError(f"'layers' must be a list of {len(sizes) - 1} layers to match 'layer_sizes'")
    validate_architecture(sizes, activations)  # before the arrays, so absurd sizes cost nothing
    weights, biases = [], []
    for i, layer in enumerate(layers):
        n = i + 1
        if not isinstance(layer, dict) or set(layer) != {"W", "b"}:
            raise WeightsError(f'layer {n} must be an object with exactly "W" and "b"')
        weights.append(_number_matrix(layer["W"], sizes[i], sizes[i + 1], f"W of layer {n}"))
        biases.append(_number_matrix([layer["b"]], 1, sizes[i + 1], f"b of layer {n}")[0])
    digit = doc.get("digit")
    if digit is not None and type(digit) is not int:
        raise WeightsError(f"'digit' must be a whole number 0-9, not {digit!r}")
    return stored_network(weights, biases, activations, digit)


def _check_json_counts(raw: bytes) -> None:
    """Refuse, before parsing, a document with more lists, objects or values than any valid one.

    A valid document's brackets and commas are bounded (see MAX_JSON_VALUES), so counting
    bytes bounds what json builds; then the machine must be able to spare that much.
    """
    lists, objects, commas = raw.count(b"["), raw.count(b"{"), raw.count(b",")
    if lists > MAX_JSON_LISTS or objects > MAX_JSON_OBJECTS or commas > MAX_JSON_VALUES + lists + 4 * objects:
        raise WeightsError(
            f"its structure ({lists:,} lists, {objects:,} objects, {commas:,} commas) "
            "is larger than any supported network needs"
        )
    check_allocation(2 * len(raw) + _JSON_BYTES_PER_VALUE * commas, "parsing it", WeightsError)


def _refuse_constant(name: str):
    raise WeightsError(f"it contains {name}, which is not a valid weight")


def load_json(path: str | os.PathLike) -> Network:
    """Read a file written by :func:`save_json`; raise WeightsError naming the file on any problem."""
    path = Path(path)
    with open_weights_file(path, MAX_JSON_BYTES) as f:
        try:
            raw = f.read(MAX_JSON_BYTES + 1)
            if len(raw) > MAX_JSON_BYTES:
                raise WeightsError("the file is larger than any supported network")
            _check_json_counts(raw)
            doc = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
            return from_json_dict(doc)
        except WeightsError as exc:
            raise load_error(path, str(exc)) from None
        except UnicodeDecodeError as exc:
            raise load_error(path, "it is not UTF-8 text") from exc
        except json.JSONDecodeError as exc:
            raise load_error(path, f"it is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
        except (ValueError, OverflowError, RecursionError) as exc:
            raise load_error(path, f"it holds values that are not weights ({type(exc).__name__})") from exc
        except OSError as exc:
            raise load_error(path, exc.strerror or str(exc)) from exc
