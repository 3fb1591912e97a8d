"""Export the network to .keras/.weights.h5/.npz/.json/.tflite; import it back without trusting the file.

Safe loading: no importer deserializes objects. ``.npz`` is read with ``allow_pickle=False``,
``.json`` with :mod:`json`, and ``.keras`` is opened as a zip: its ``config.json`` is parsed as
plain JSON and checked to be a stack of Dense layers *before* any weights are read, then the
kernels and biases are read as named numeric datasets from ``model.weights.h5``. HDF5 (that
member, and every ``.weights.h5``/``.h5``) is only ever parsed in a child process with a time
and memory limit (:mod:`visualizer.training.h5child`): a file that makes the C library spin or
crash costs one error message, not the app. Keras' own ``load_model`` is never called, so no
layer class, Lambda or custom object from a file is ever instantiated.

Safe writing: every format's bytes are built in memory (Keras and TensorFlow write into a
buffer; the temporary folders they insist on live in a private scratch folder removed
afterwards), then written by :func:`visualizer.core.atomic.atomic_write_bytes`. So a full disk
is one ``OSError`` rather than a crash inside h5py, and Ctrl+C while a library writes is held
until it has finished (h5py turns an interrupt inside its write callbacks into a bogus error).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

from visualizer.core.atomic import atomic_write_bytes, private_tempdir
from visualizer.core.config import ACTIVATIONS, TrainingConfig
from visualizer.core.errors import WeightsError
from visualizer.core.safeio import one_line
from visualizer.core.safezip import open_zip
from visualizer.core.snapshot import TrainingSnapshot
from visualizer.core.weights_format import (
    MAX_BINARY_BYTES,
    MAX_HIDDEN_LAYERS,
    MAX_PARAMETERS,
    NetworkWeights,
    detect_format,
    load_error,
    load_json,
    load_npz,
    open_weights_file,
    save_json,
    save_npz,
)
from visualizer.training.h5child import read_dense_layers
from visualizer.core.interrupts import deferred
from visualizer.training.model import build_model

MAX_CONFIG_BYTES = 4 << 20  # config.json of a Dense stack is a few kB
_MAX_KERAS_MEMBERS = 64  # Keras writes three (metadata, config, weights)
_WEIGHTS_MEMBER = "model.weights.h5"


def _as_network(source) -> NetworkWeights:
    if isinstance(source, NetworkWeights):
        return source
    if isinstance(source, TrainingSnapshot):
        return NetworkWeights.from_snapshot(source)
    raise WeightsError(
        f"nothing to export: expected a snapshot or NetworkWeights, got {type(source).__name__}"
    )


def keras_model_from(net: NetworkWeights):
    """A new, uncompiled Keras model built in code by ``build_model`` and holding ``net``'s weights."""
    model = build_model(TrainingConfig(hidden=net.hidden, activation=net.activation))
    model.set_weights([a for pair in zip(net.weights, net.biases, strict=True) for a in pair])
    return model


class _MemoryFile(io.BytesIO):
    """A buffer Keras writes into as if it were a file called ``name``.

    ``model.save`` and ``save_weights`` pick the format from ``str(filepath)`` and write through
    h5py/zipfile, both of which accept an ``io.BytesIO``; this makes them write to memory.
    """

    def __init__(self, name: str):
        super().__init__()
        self._name = name

    def __str__(self) -> str:
        return self._name


def _keras_bytes(model) -> bytes:
    buffer = _MemoryFile("model.keras")
    model.save(buffer)
    return buffer.getvalue()


def _weights_h5_bytes(model) -> bytes:
    buffer = _MemoryFile("model.weights.h5")
    model.save_weights(buffer)
    return buffer.getvalue()


def _tflite_bytes(model) -> bytes:
    try:
        import tensorflow as tf

        converter_cls = tf.lite.TFLiteConverter
    except (ImportError, AttributeError) as exc:
        raise WeightsError("TFLite export is not available: this TensorFlow has no TFLite converter") from exc
    # Going through a SavedModel we write ourselves keeps Keras' export quiet (verbose=False).
    with tempfile.TemporaryDirectory(prefix="nnviz-tflite-") as folder:
        model.export(folder, format="tf_saved_model", verbose=False)
        return converter_cls.from_saved_model(folder).convert()


def _keras_side_bytes(kind: str, net: NetworkWeights) -> bytes:
    writer = {"keras": _keras_bytes, "weights.h5": _weights_h5_bytes, "tflite": _tflite_bytes}[kind]
    with private_tempdir(), deferred():
        return writer(keras_model_from(net))


def export_weights(source: TrainingSnapshot | NetworkWeights, path: str | os.PathLike) -> Path:
    """Write the network to ``path`` in the format its extension names; return the path.

    ``.keras``: the full model (architecture + weights), loadable by Keras or :func:`import_weights`.
    ``.weights.h5`` (or plain ``.h5``): Keras ``save_weights`` output, no activation stored.
    ``.npz`` / ``.json``: numpy-only formats of :mod:`visualizer.core.weights_format` (these two
    never touch TensorFlow, so they are safe to call while training runs). ``.tflite``: a
    TensorFlow Lite flatbuffer for inference (export only). Every write is atomic: a failure or
    an interrupt leaves an existing file untouched (and its permissions kept when replaced)
    and no temporary file behind. KeyboardInterrupt propagates as itself.

    Raises
    ------
    WeightsError
        With one line naming the file, for an unsupported extension, an invalid network
        (e.g. NaN weights) or any write/conversion failure (a full disk, a name too long...).
    """
    target = Path(path)
    shown = one_line(target.name)
    try:
        kind = detect_format(target)
        net = _as_network(source)
        if kind == "npz":
            save_npz(net, target)
        elif kind == "json":
            save_json(net, target)
        else:
            atomic_write_bytes(target, _keras_side_bytes(kind, net))
    except WeightsError as exc:
        message = str(exc) if shown in str(exc) else f"Could not export to {shown}: {exc}"
        raise WeightsError(one_line(message)) from exc.__cause__
    except OSError as exc:
        raise WeightsError(one_line(f"Could not export to {shown}: {exc.strerror or exc}")) from exc
    except Exception as exc:  # Keras/TF raise many types; the user needs one sentence
        raise WeightsError(one_line(f"Could not export to {shown}: {type(exc).__name__}: {exc}")) from exc
    return target


# ------------------------------------------------------------------------------------ import


def import_weights(path: str | os.PathLike, *, activation: str = "relu") -> NetworkWeights:
    """Read a network from ``.keras``, ``.weights.h5``/``.h5``, ``.npz`` or ``.json`` and validate it.

    Returns a new :class:`NetworkWeights`; nothing the caller holds is modified. ``activation``
    is used only for ``.weights.h5``/``.h5`` files, which store weights but not the hidden
    activation (default "relu"); the other formats carry their own. ``.tflite`` is export-only.
    HDF5 is parsed in a child process (see :mod:`visualizer.training.h5child`).

    Raises
    ------
    WeightsError
        With one line naming the file, for any missing, damaged, unsafe or unsupported file,
        including one whose HDF5 could not be parsed in time.
    """
    path = Path(path)
    kind = detect_format(path)
    if kind == "npz":
        return load_npz(path)
    if kind == "json":
        return load_json(path)
    if kind == "tflite":
        raise load_error(path, ".tflite is export-only; import a .keras, .npz or .json file")
    with open_weights_file(path, MAX_BINARY_BYTES + MAX_CONFIG_BYTES) as f:
        try:
            if kind == "keras":
                return _load_keras(f)
            return _network(_read_hdf5(f), activation)
        except WeightsError as exc:
            raise load_error(path, str(exc)) from exc.__cause__
        except zipfile.BadZipFile as exc:
            raise load_error(path, "it is not a .keras archive (not a zip file)") from exc
        except json.JSONDecodeError as exc:
            raise load_error(path, f"its config.json is not valid JSON ({exc.msg})") from exc
        except (UnicodeDecodeError, RecursionError) as exc:
            raise load_error(path, f"its config.json is not plain JSON text ({type(exc).__name__})") from exc
        except Exception as exc:  # zipfile/OS errors: one readable sentence, cause kept for logs
            raise load_error(path, f"it is damaged or unreadable ({type(exc).__name__}: {exc})") from exc


def _read_hdf5(f, member: str | None = None):
    return read_dense_layers(
        f, member=member, max_bytes=MAX_BINARY_BYTES, max_values=MAX_PARAMETERS, max_layers=MAX_HIDDEN_LAYERS + 1
    )


def _network(layers, activation: str) -> NetworkWeights:
    return NetworkWeights.from_arrays([k for _, k, _ in layers], [b for _, _, b in layers], activation)


def _load_keras(f) -> NetworkWeights:
    with open_zip(f, _MAX_KERAS_MEMBERS) as archive:
        config = json.loads(_read_member(archive, "config.json", MAX_CONFIG_BYTES).decode("utf-8"))
        names, units, activation = _dense_stack_from_config(config)  # validated before any weights
        _member(archive, _WEIGHTS_MEMBER, MAX_BINARY_BYTES)
    layers = _read_hdf5(f, _WEIGHTS_MEMBER)
    if len(layers) != len(names):
        raise WeightsError(f"config.json lists {len(names)} Dense layers but the weights hold {len(layers)}")
    for name, n, (stored_name, kernel, _) in zip(names, units, layers, strict=True):
        if stored_name is not None and stored_name != name:
            raise WeightsError(f"the weights of layer {stored_name!r} are stored where {name!r} belongs")
        if kernel.shape[1] != n:
            raise WeightsError(
                f"layer {name!r} has {n} units in config.json but {kernel.shape[1]} in its weights"
            )
    return _network(layers, activation)


def _member(archive: zipfile.ZipFile, name: str, limit: int) -> zipfile.ZipInfo:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise WeightsError(f"the archive has no {name}, so it is not a Keras 3 model file") from None
    if info.file_size > limit:
        raise WeightsError(f"its {name} is larger than any supported network")
    return info


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with archive.open(_member(archive, name, limit)) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise WeightsError(f"its {name} is larger than any supported network")
    return data


def _dense_stack_from_config(config) -> tuple[list[str], list[int], str]:
    """Check a Keras ``config.json`` is a chain of Dense layers; return names, units, hidden activation.

    Only plain dictionaries are inspected; nothing is instantiated.
    """
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise WeightsError("its config.json does not describe a Keras model")
    kind = config.get("class_name")
    if kind not in ("Sequential", "Functional"):
        raise WeightsError(f"the model is a {kind!r}, not a Sequential or Functional stack of Dense layers")
    layers = config["config"].get("layers")
    if not isinstance(layers, list):
        raise WeightsError("its config.json has no list of layers")
    names, units, activations, previous = [], [], [], None
    for layer in layers:
        if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
            raise WeightsError("its config.json has a malformed layer entry")
        cls, cfg = layer.get("class_name"), layer["config"]
        name = cfg.get("name")
        if (
            not str(layer.get("module", "keras")).startswith("keras")
            or layer.get("registered_name") is not None
        ):
            raise WeightsError(
                f"layer {name!r} is a custom {cls!r} class; only built-in Dense layers are supported"
            )
        if cls == "InputLayer":
            shape = cfg.get("batch_shape", cfg.get("batch_input_shape"))
            if previous is not None or (shape is not None and shape != [None, 784]):
                raise WeightsError("the model must have one input of 784 pixels")
        elif cls == "Dense":
            if type(cfg.get("units")) is not int or not isinstance(cfg.get("activation"), str):
                raise WeightsError(f"Dense layer {name!r} has no plain units/activation")
            if cfg.get("use_bias") is False or cfg.get("quantization_config") or cfg.get("lora_rank"):
                raise WeightsError(
                    f"Dense layer {name!r} has no bias or is quantized/LoRA, which this app does not support"
                )
            if kind == "Functional":
                _check_follows(layer, previous)
            names.append(name)
            units.append(cfg["units"])
            activations.append(cfg["activation"])
        else:
            raise WeightsError(f"it contains a {cls!r} layer; only Dense layers can be imported")
        previous = name
    if not names or not 2 <= len(names) <= MAX_HIDDEN_LAYERS + 1:
        raise WeightsError(f"the model needs 2 to {MAX_HIDDEN_LAYERS + 1} Dense layers, not {len(names)}")
    if kind == "Functional":
        outputs = config["config"].get("output_layers")
        if not (isinstance(outputs, list) and outputs and outputs[0] in (names[-1], [names[-1], 0, 0])):
            raise WeightsError("the model's output is not its last Dense layer")
    if activations[-1] != "softmax":
        raise WeightsError(f"the last layer must use softmax, not {activations[-1]!r}")
    hidden = set(activations[:-1])
    if len(hidden) != 1 or not hidden <= set(ACTIVATIONS):
        raise WeightsError(
            f"hidden layers must all use one of {', '.join(ACTIVATIONS)} (found {', '.join(sorted(hidden))})"
        )
    return names, units, activations[0]


def _check_follows(layer: dict, previous) -> None:
    """In a Functional config, a Dense layer must take exactly the previous layer's output."""
    nodes = layer.get("inbound_nodes")
    try:
        (node,) = nodes
        (arg,) = node["args"]
        source = arg["config"]["keras_history"][0]
    except (TypeError, ValueError, KeyError, IndexError):
        source = object()
    if source != previous or node.get("kwargs"):
        raise WeightsError(f"layer {layer['config'].get('name')!r} does not simply follow {previous!r}")
