"""Export the network to .keras/.weights.h5/.npz/.json/.tflite; import it back without trusting the file.

Safe loading: no importer deserializes objects. ``.npz`` is read with ``allow_pickle=False``,
``.json`` with :mod:`json`, and ``.keras`` is opened as a zip: its ``config.json`` is parsed as
plain JSON and checked to be a stack of Dense layers *before* any weights are read, then the
kernels and biases are read as named numeric datasets from ``model.weights.h5`` with h5py
(links to other files, external or virtual storage are refused). Keras' own ``load_model`` is
never called, so no layer class, Lambda or custom object from a file is ever instantiated.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from visualizer.core.atomic import atomic_write, atomic_write_bytes
from visualizer.core.config import ACTIVATIONS, TrainingConfig
from visualizer.core.errors import WeightsError
from visualizer.core.snapshot import TrainingSnapshot
from visualizer.core.weights_format import (
    MAX_BINARY_BYTES,
    MAX_HIDDEN_LAYERS,
    MAX_PARAMETERS,
    NetworkWeights,
    check_readable_file,
    detect_format,
    load_error,
    load_json,
    load_npz,
    save_json,
    save_npz,
)
from visualizer.training.model import build_model

MAX_CONFIG_BYTES = 4 << 20  # config.json of a Dense stack is a few kB
_DENSE_GROUP = re.compile(r"dense(?:_(\d+))?")
_INPUT_GROUP = re.compile(r"input_layer(?:_\d+)?")


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


def export_weights(source: TrainingSnapshot | NetworkWeights, path: str | os.PathLike) -> Path:
    """Write the network to ``path`` in the format its extension names; return the path.

    ``.keras``: the full model (architecture + weights), loadable by Keras or :func:`import_weights`.
    ``.weights.h5`` (or plain ``.h5``): Keras ``save_weights`` output, no activation stored.
    ``.npz`` / ``.json``: numpy-only formats of :mod:`visualizer.core.weights_format` (these two
    never touch TensorFlow, so they are safe to call while training runs). ``.tflite``: a
    TensorFlow Lite flatbuffer for inference (export only). Every write is atomic: a failure
    leaves an existing file untouched and no temporary file behind.

    Raises
    ------
    WeightsError
        With one sentence naming the file, for an unsupported extension, an invalid network
        (e.g. NaN weights) or any write/conversion failure.
    """
    target = Path(path)
    try:
        kind = detect_format(target)
        net = _as_network(source)
        if kind == "npz":
            save_npz(net, target)
        elif kind == "json":
            save_json(net, target)
        else:
            model = keras_model_from(net)
            # Keras checks extensions case-sensitively, and save_weights insists on ".weights.h5":
            # the temp file gets the canonical suffix whatever the target's spelling (".H5", ".KERAS").
            if kind == "keras":
                atomic_write(target, model.save, suffix=".keras")
            elif kind == "weights.h5":
                atomic_write(target, model.save_weights, suffix=".weights.h5")
            else:
                atomic_write_bytes(target, _tflite_bytes(model))
    except WeightsError as exc:
        if target.name in str(exc):
            raise
        raise WeightsError(f"Could not export to {target.name}: {exc}") from exc.__cause__
    except OSError as exc:
        raise WeightsError(f"Could not export to {target.name}: {exc.strerror or exc}") from exc
    except Exception as exc:  # Keras/TF raise many types; the user needs one sentence
        raise WeightsError(f"Could not export to {target.name}: {type(exc).__name__}: {exc}") from exc
    return target


# ------------------------------------------------------------------------------------ import


def import_weights(path: str | os.PathLike, *, activation: str = "relu") -> NetworkWeights:
    """Read a network from ``.keras``, ``.weights.h5``/``.h5``, ``.npz`` or ``.json`` and validate it.

    Returns a new :class:`NetworkWeights`; nothing the caller holds is modified. ``activation``
    is used only for ``.weights.h5``/``.h5`` files, which store weights but not the hidden
    activation (default "relu"); the other formats carry their own. ``.tflite`` is export-only.

    Raises
    ------
    WeightsError
        With one sentence naming the file, for any missing, damaged, unsafe or unsupported file.
    """
    path = Path(path)
    kind = detect_format(path)
    if kind == "npz":
        return load_npz(path)
    if kind == "json":
        return load_json(path)
    if kind == "tflite":
        raise WeightsError(
            f"Cannot import {path.name}: .tflite is export-only; import a .keras, .npz or .json file"
        )
    check_readable_file(path, MAX_BINARY_BYTES + MAX_CONFIG_BYTES)
    try:
        if kind == "keras":
            return _load_keras(path)
        return _network_from_h5(path, activation)
    except WeightsError as exc:
        raise load_error(path, str(exc)) from exc.__cause__
    except zipfile.BadZipFile as exc:
        raise load_error(path, "it is not a .keras archive (not a zip file)") from exc
    except json.JSONDecodeError as exc:
        raise load_error(path, f"its config.json is not valid JSON ({exc.msg})") from exc
    except Exception as exc:  # h5py/zipfile/OS errors: one readable sentence, cause kept for logs
        raise load_error(path, f"it is damaged or unreadable ({type(exc).__name__}: {exc})") from exc


def _load_keras(path: Path) -> NetworkWeights:
    with zipfile.ZipFile(path) as archive:
        config = json.loads(_read_member(archive, "config.json", MAX_CONFIG_BYTES).decode("utf-8"))
        names, units, activation = _dense_stack_from_config(config)  # validated before any weights
        weights_file = io.BytesIO(_read_member(archive, "model.weights.h5", MAX_BINARY_BYTES))
    layers = _read_dense_layers(weights_file)
    if len(layers) != len(names):
        raise WeightsError(f"config.json lists {len(names)} Dense layers but the weights hold {len(layers)}")
    for name, n, (stored_name, kernel, _) in zip(names, units, layers, strict=True):
        if stored_name is not None and stored_name != name:
            raise WeightsError(f"the weights of layer {stored_name!r} are stored where {name!r} belongs")
        if kernel.shape[1] != n:
            raise WeightsError(
                f"layer {name!r} has {n} units in config.json but {kernel.shape[1]} in its weights"
            )
    return NetworkWeights.from_arrays([k for _, k, _ in layers], [b for _, _, b in layers], activation)


def _network_from_h5(path: Path, activation: str) -> NetworkWeights:
    layers = _read_dense_layers(path)
    return NetworkWeights.from_arrays([k for _, k, _ in layers], [b for _, _, b in layers], activation)


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise WeightsError(f"the archive has no {name}, so it is not a Keras 3 model file") from None
    if info.file_size > limit:
        raise WeightsError(f"its {name} is larger than any supported network")
    with archive.open(info) as f:
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


def _child(group, name: str, h5py):
    """``group[name]`` only through a hard link: soft/external links are never followed."""
    link = group.get(name, getlink=True)
    if link is None:
        raise WeightsError(f"the weights file has no '{group.name.rstrip('/')}/{name}'")
    if not isinstance(link, h5py.HardLink):
        raise WeightsError(f"'{name}' in the weights file is a link, which is never followed")
    return group[name]


def _numeric(vars_group, key: str, ndim: int, h5py) -> np.ndarray:
    ds = _child(vars_group, key, h5py)
    if not isinstance(ds, h5py.Dataset) or ds.dtype.kind != "f" or ds.ndim != ndim:
        raise WeightsError(f"'{ds.name}' is not a {ndim}-D array of floating-point numbers")
    if ds.size > MAX_PARAMETERS or ds.external or ds.is_virtual:
        raise WeightsError(f"'{ds.name}' is too large or stored outside the file")
    return np.asarray(ds[()])


def _read_dense_layers(source) -> list[tuple[str | None, np.ndarray, np.ndarray]]:
    """(stored layer name, kernel, bias) of every Dense layer in a Keras 3 weights file, in order."""
    import h5py

    with h5py.File(source, "r") as f:
        if "model_weights" in f or "model_config" in f.attrs:
            raise WeightsError("it is a legacy Keras 2 HDF5 model; re-save it as .keras")
        layers = _child(f, "layers", h5py)
        if not isinstance(layers, h5py.Group):
            raise WeightsError("it has no group of layers, so it is not a Keras 3 weights file")
        found = {}
        for key in layers:
            match = _DENSE_GROUP.fullmatch(key)
            if _INPUT_GROUP.fullmatch(key):
                continue  # Functional models store an empty group for their input
            if match is None:
                raise WeightsError(f"it contains a {key!r} layer; only Dense layers can be imported")
            found[int(match.group(1) or 0)] = key
        if not 2 <= len(found) <= MAX_HIDDEN_LAYERS + 1 or sorted(found) != list(range(len(found))):
            raise WeightsError(f"it must hold 2 to {MAX_HIDDEN_LAYERS + 1} numbered Dense layers")
        result = []
        for i in range(len(found)):
            group = _child(layers, found[i], h5py)
            variables = _child(group, "vars", h5py)
            if set(group) != {"vars"} or set(variables) != {"0", "1"}:
                raise WeightsError(f"layer {found[i]!r} is not a plain Dense layer with a kernel and a bias")
            name = variables.attrs.get("name")
            name = name.decode("utf-8", "replace") if isinstance(name, bytes) else name
            result.append(
                (
                    name if isinstance(name, str) else None,
                    _numeric(variables, "0", 2, h5py),
                    _numeric(variables, "1", 1, h5py),
                )
            )
    return result
