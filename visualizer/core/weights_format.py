"""The network as a validated description plus arrays, and its numpy-only .npz / .json files."""

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
from visualizer.core.network import Network
from visualizer.core.safeio import check_allocation, one_line, open_regular_file
from visualizer.core.safezip import check_npy_members, open_zip
from visualizer.core.snapshot import TrainingSnapshot

FORMAT_NAME = "nnviz-weights"
FORMAT_VERSION = 1
# Mirrors TrainingConfig's limits, so every valid file can be trained on further.
MAX_HIDDEN_LAYERS = 6
MAX_HIDDEN_SIZE = 1024
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
MAX_JSON_VALUES = MAX_PARAMETERS + MAX_HIDDEN_LAYERS + 2
MAX_JSON_LISTS = 2 + 2 * (MAX_HIDDEN_LAYERS + 1) + INPUT_SIZE + MAX_HIDDEN_LAYERS * MAX_HIDDEN_SIZE
MAX_JSON_OBJECTS = 1 + MAX_HIDDEN_LAYERS + 1
_JSON_BYTES_PER_VALUE = 40  # a float object and its list slot, with room for the parser
MAX_NPZ_MEMBERS = 2 * (MAX_HIDDEN_LAYERS + 1) + 2

# File kinds by extension, checked case-insensitively, longest first.
FORMATS = {
    ".weights.h5": "weights.h5",
    ".keras": "keras",
    ".npz": "npz",
    ".json": "json",
    ".tflite": "tflite",
    ".h5": "weights.h5",  # a plain .h5 is read and written as a Keras weights file
}


def detect_format(path: str | os.PathLike) -> str:
    """Return the file kind of ``path`` from its extension: "weights.h5", "keras", "npz", ...

    ``.weights.h5`` and plain ``.h5`` both mean a Keras weights file. Raises WeightsError for
    any other extension.
    """
    name = Path(path).name.lower()
    for ext, kind in FORMATS.items():
        if name.endswith(ext) and len(name) > len(ext):
            return kind
    raise WeightsError(
        one_line(f"{Path(path).name}: unsupported file type; use .keras, .weights.h5, .npz, .json or .tflite")
    )


def _frozen_float32(a, what: str) -> np.ndarray:
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError):
        raise WeightsError(f"{what} is not a rectangular array of numbers") from None
    if arr.dtype.kind != "f":
        raise WeightsError(f"{what} must hold floating-point numbers, not {arr.dtype}")
    with np.errstate(over="ignore"):  # float64 beyond float32 range becomes inf; validate() refuses it
        arr = np.array(arr, dtype=np.float32, copy=True)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class NetworkWeights:
    """A dense 784 -> hidden... -> 10 network: sizes, hidden activation and float32 arrays.

    ``weights[i]`` is (in, out) like a Keras Dense kernel, ``biases[i]`` is (out,); the last
    layer is softmax. Arrays are private read-only float32 copies. Construction validates (see
    :meth:`validate`), so an existing object is always a usable network.
    """

    layer_sizes: tuple[int, ...]
    activation: str
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    def __post_init__(self):
        if not isinstance(self.activation, str):
            raise WeightsError(f"activation must be a name, not {type(self.activation).__name__}")
        try:
            sizes = tuple(int(s) for s in self.layer_sizes)
        except (TypeError, ValueError):
            raise WeightsError(f"layer sizes must be whole numbers, not {self.layer_sizes!r}") from None
        object.__setattr__(self, "layer_sizes", sizes)
        try:
            w = tuple(_frozen_float32(a, f"weight matrix {i + 1}") for i, a in enumerate(self.weights))
            b = tuple(_frozen_float32(a, f"bias vector {i + 1}") for i, a in enumerate(self.biases))
        except TypeError:
            raise WeightsError("weights and biases must be sequences of arrays") from None
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "biases", b)
        self.validate()

    @classmethod
    def from_arrays(cls, weights, biases, activation: str = "relu") -> NetworkWeights:
        """Build from kernels and biases, deriving ``layer_sizes`` from the kernel shapes."""
        weights, biases = list(weights), list(biases)
        shapes = [np.shape(w) for w in weights]
        if not shapes or any(len(s) != 2 for s in shapes):
            raise WeightsError("every weight matrix must be 2-D (inputs x outputs)")
        sizes = (shapes[0][0], *(s[1] for s in shapes))
        return cls(sizes, activation, tuple(weights), tuple(biases))

    @classmethod
    def from_snapshot(cls, snapshot: TrainingSnapshot) -> NetworkWeights:
        """Copy the network out of a training snapshot."""
        net = snapshot.network
        return cls.from_arrays(net.weights, net.biases, net.activation)

    def to_snapshot(self, **kwargs) -> TrainingSnapshot:
        """A TrainingSnapshot holding copies of these arrays (counters zero unless given)."""
        return TrainingSnapshot.of_network(self.to_network(), **kwargs)

    def to_network(self) -> Network:
        """The same network as a :class:`visualizer.core.network.Network` (shares the read-only arrays)."""
        return Network.from_arrays(self.weights, self.biases, self.activation, copy=False)

    @property
    def hidden(self) -> tuple[int, ...]:
        """Hidden layer widths, e.g. (16, 16) — what ``TrainingConfig.hidden`` expects."""
        return self.layer_sizes[1:-1]

    def validate(self) -> None:
        """Raise WeightsError (one sentence, no file name) unless this is a usable network.

        Checks: 784 inputs, 10 outputs, 1 to 6 hidden layers of 1 to 1024 units, kernels that
        chain, biases that match, a known hidden activation, floating dtype, finite values.
        """
        sizes, w, b = self.layer_sizes, self.weights, self.biases
        validate_architecture(sizes, self.activation)
        if len(w) != len(b):
            raise WeightsError(f"{len(w)} weight matrices but {len(b)} bias vectors")
        if len(sizes) != len(w) + 1:
            raise WeightsError(f"layer sizes {sizes} do not match {len(w)} weight matrices")
        for i, (wi, bi) in enumerate(zip(w, b, strict=True)):
            n = i + 1
            if wi.shape != (sizes[i], sizes[i + 1]):
                raise WeightsError(
                    f"weight matrix {n} has shape {wi.shape}, expected {(sizes[i], sizes[i + 1])}"
                )
            if bi.shape != (sizes[i + 1],):
                raise WeightsError(f"bias vector {n} has shape {bi.shape}, expected {(sizes[i + 1],)}")
            if wi.dtype.kind != "f" or bi.dtype.kind != "f":
                raise WeightsError(f"layer {n} must hold floating-point numbers")
            if not (np.isfinite(wi).all() and np.isfinite(bi).all()):
                raise WeightsError(f"layer {n} contains NaN or infinite values")


def validate_architecture(layer_sizes, activation) -> None:
    """Raise WeightsError unless ``layer_sizes``/``activation`` describe a network this app runs.

    Cheap (no arrays), so loaders call it before reading any weights.
    """
    sizes = tuple(layer_sizes)
    if activation not in ACTIVATIONS:
        raise WeightsError(f"hidden activation must be one of {', '.join(ACTIVATIONS)}, not {activation!r}")
    if not 1 <= len(sizes) - 2 <= MAX_HIDDEN_LAYERS:
        raise WeightsError(
            f"the network needs 1 to {MAX_HIDDEN_LAYERS} hidden layers, not {max(len(sizes) - 2, 0)}"
        )
    if sizes[0] != INPUT_SIZE:
        raise WeightsError(f"the first layer must take {INPUT_SIZE} inputs (28x28 pixels), not {sizes[0]}")
    if sizes[-1] != NUM_CLASSES:
        raise WeightsError(f"the last layer must have {NUM_CLASSES} outputs (digits), not {sizes[-1]}")
    for h in sizes[1:-1]:
        if not 1 <= h <= MAX_HIDDEN_SIZE:
            raise WeightsError(f"hidden layers must have 1 to {MAX_HIDDEN_SIZE} units, not {h}")


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


def save_npz(net: NetworkWeights, path: str | os.PathLike) -> Path:
    """Write ``W1, b1, W2, b2, ...`` plus ``activation`` and ``format_version`` to ``path``.

    Uncompressed float32 arrays, no pickles; built in memory, then written atomically.
    """
    arrays = {}
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True), start=1):
        arrays[f"W{i}"], arrays[f"b{i}"] = w, b
    arrays["activation"] = np.array(net.activation, dtype=np.str_)
    arrays["format_version"] = np.array(FORMAT_VERSION, dtype=np.int64)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # a file object, so numpy adds no ".npz" of its own
    return atomic_write_bytes(Path(path), buffer.getbuffer())


def _npz_scalar(arr: np.ndarray, key: str, kind: str):
    if arr.ndim != 0 or arr.dtype.kind not in kind:
        raise WeightsError(f"'{key}' must be a single {'text' if kind == 'U' else 'integer'} value")
    return arr.item()


def _check_npz_archive(f) -> None:
    # np.load inflates members on access and allocates each header's shape; check them first.
    with open_zip(f, MAX_NPZ_MEMBERS) as z:
        if sum(i.file_size for i in z.infolist()) > MAX_BINARY_BYTES:
            raise WeightsError("its arrays are larger than any supported network")
        check_npy_members(z, MAX_PARAMETERS)
    f.seek(0)


def load_npz(path: str | os.PathLike) -> NetworkWeights:
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


def _network_from_npz(f) -> NetworkWeights:
    with np.load(f, allow_pickle=False) as npz:
        keys = set(npz.files)
        n = sum(1 for k in keys if k.startswith("W"))
        expected = {"activation", "format_version"} | {f"{p}{i}" for p in "Wb" for i in range(1, n + 1)}
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
            raise WeightsError(f"the arrays are not W1, b1, ..., activation, format_version ({detail})")
        version = _npz_scalar(npz["format_version"], "format_version", "iu")
        if version != FORMAT_VERSION:
            raise WeightsError(
                f"format version {version} is not supported (this app reads {FORMAT_VERSION})"
            )
        activation = _npz_scalar(npz["activation"], "activation", "U")
        weights = [npz[f"W{i}"] for i in range(1, n + 1)]
        biases = [npz[f"b{i}"] for i in range(1, n + 1)]
    return NetworkWeights.from_arrays(weights, biases, activation)


# --------------------------------------------------------------------------------------- .json


def to_json_dict(net: NetworkWeights) -> dict:
    """The JSON document for ``net``: float32 values stored as their exact float64 value."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "layer_sizes": list(net.layer_sizes),
        "activation": net.activation,
        # float64 of a float32 is exact and json writes float64 by shortest round-trip repr,
        # so reading back and casting to float32 restores every bit.
        "layers": [
            {"W": w.astype(np.float64).tolist(), "b": b.astype(np.float64).tolist()}
            for w, b in zip(net.weights, net.biases, strict=True)
        ],
    }


def save_json(net: NetworkWeights, path: str | os.PathLike) -> Path:
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


def from_json_dict(doc) -> NetworkWeights:
    """Validate a parsed JSON document and build the network; raise WeightsError (no file name)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise WeightsError(f"it is not an {FORMAT_NAME} document")
    if doc.get("version") != FORMAT_VERSION or type(doc.get("version")) is not int:
        raise WeightsError(
            f"version {doc.get('version')!r} is not supported (this app reads {FORMAT_VERSION})"
        )
    extra = set(doc) - {"format", "version", "layer_sizes", "activation", "layers"}
    if extra:
        raise WeightsError(f"unexpected fields {', '.join(sorted(map(str, extra)))}")
    sizes, activation, layers = doc.get("layer_sizes"), doc.get("activation"), doc.get("layers")
    if not isinstance(sizes, list) or not all(type(s) is int for s in sizes) or len(sizes) < 2:
        raise WeightsError("'layer_sizes' must be a list of whole numbers like [784, 16, 16, 10]")
    if not isinstance(activation, str):
        raise WeightsError("'activation' must be a name like \"relu\"")
    if not isinstance(layers, list) or len(layers) != len(sizes) - 1:
        raise WeightsError(f"'layers' must be a list of {len(sizes) - 1} layers to match 'layer_sizes'")
    validate_architecture(sizes, activation)  # before the arrays, so absurd sizes cost nothing
    weights, biases = [], []
    for i, layer in enumerate(layers):
        n = i + 1
        if not isinstance(layer, dict) or set(layer) != {"W", "b"}:
            raise WeightsError(f'layer {n} must be an object with exactly "W" and "b"')
        weights.append(_number_matrix(layer["W"], sizes[i], sizes[i + 1], f"W of layer {n}"))
        biases.append(_number_matrix([layer["b"]], 1, sizes[i + 1], f"b of layer {n}")[0])
    return NetworkWeights(tuple(sizes), activation, tuple(weights), tuple(biases))


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


def load_json(path: str | os.PathLike) -> NetworkWeights:
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
