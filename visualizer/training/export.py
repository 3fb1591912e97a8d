"""Export the network to .keras/.weights.h5/.h5/.npz/.json/.tflite; import Keras models back without trusting the file.

Safe loading: no importer deserializes objects. ``.npz`` is read with ``allow_pickle=False``,
``.json`` with :mod:`json`, and ``.keras`` is opened as a zip: its ``config.json`` is parsed as
plain JSON and checked by :mod:`visualizer.core.keras_config` to be a dense network at inference
*before* any weights are read, then the variables are read as named numeric datasets from
``model.weights.h5`` and folded into a :class:`Network`. HDF5 (that member, and every
``.weights.h5``/``.h5``) is only ever parsed in a child process with a time and memory limit
(:mod:`visualizer.training.h5child`): a file that makes the C library spin or crash costs one
error message, not the app. Keras' own ``load_model`` is never called, so no layer class,
Lambda or custom object from a file is ever instantiated.

Activations are never guessed: nnviz's files store them (the ``.weights.h5`` in an attribute
Keras ignores); a foreign weights file without them raises :class:`ActivationRequired` unless
the caller says which they are.

Safe writing: every format's bytes are built in memory (Keras and TensorFlow write into a
buffer; the temporary folders they insist on live in a private scratch folder removed
afterwards), then written by :func:`visualizer.core.atomic.atomic_write_bytes`. So a full disk
is one ``OSError`` rather than a crash inside h5py, and Ctrl+C while a library writes is held
until it has finished (h5py turns an interrupt inside its write callbacks into a bogus error).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from visualizer.core.atomic import atomic_write_bytes, private_tempdir
from visualizer.core.errors import ActivationRequired, WeightsError
from visualizer.core.keras_config import ModelPlan, Step, fold_network, model_name, plan_model
from visualizer.core.network import HIDDEN_ACTIVATIONS, MAX_HIDDEN_LAYERS, Network
from visualizer.core.safeio import one_line
from visualizer.core.safezip import open_zip
from visualizer.core.snapshot import TrainingSnapshot
from visualizer.core.weights_format import (
    MAX_BINARY_BYTES,
    MAX_PARAMETERS,
    ImportedNetwork,
    detect_format,
    load_error,
    load_json,
    load_npz,
    open_weights_file,
    save_json,
    save_npz,
    stored_network,
)
from visualizer.core.interrupts import deferred
from visualizer.training.h5child import ACTIVATIONS_ATTR, DIGIT_ATTR, StoredWeights, read_dense_layers
from visualizer.training.model import build_model_for

MAX_CONFIG_BYTES = 4 << 20  # config.json of a Dense stack is a few kB
_MAX_KERAS_MEMBERS = 64  # Keras writes three (metadata, config, weights)
_WEIGHTS_MEMBER = "model.weights.h5"
# Layers whose settings live only in the model's config: a weights file alone cannot say what they do.
_CONFIG_ONLY = re.compile(r"(rescaling|batch_normalization)(_\d+)?")
Activation = str | Sequence[str] | None


def _as_network(source) -> Network:
    if isinstance(source, Network):
        return source
    if isinstance(source, (TrainingSnapshot, ImportedNetwork)):
        return source.network
    raise WeightsError(f"nothing to export: expected a snapshot or a Network, got {type(source).__name__}")


def keras_model_from(net: Network):
    """A new, uncompiled Keras model built in code with ``net``'s layers, activations and weights."""
    model = build_model_for(net.layer_sizes, net.activations, name=model_name(net.digit))
    model.set_weights([a for pair in zip(net.weights, net.biases, strict=True) for a in pair])
    return model


def _compile(model, net: Network):
    """Compile with the loss and metric the network was trained with, so Keras can evaluate it at once."""
    from visualizer.training.tfenv import import_keras

    keras = import_keras()
    loss = "binary_crossentropy" if net.is_binary else "sparse_categorical_crossentropy"
    # Plain SGD keeps no state: the file stays small and Keras loads it without an optimizer warning.
    model.compile(optimizer=keras.optimizers.SGD(), loss=loss, metrics=["accuracy"])
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


class _MemoryPath(_MemoryFile):
    """A :class:`_MemoryFile` Keras' legacy HDF5 writer also takes for a path (it asks for its folder)."""

    def __fspath__(self) -> str:
        return self._name


@contextlib.contextmanager
def _quiet_absl():
    """Keras logs through absl that .h5 is "legacy": true, and no news to someone who asked for it."""
    logger = logging.getLogger("absl")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _keras_bytes(model, net: Network) -> bytes:
    buffer = _MemoryFile("model.keras")
    _compile(model, net).save(buffer)
    return buffer.getvalue()


def _h5_bytes(model, net: Network) -> bytes:
    """Keras' legacy HDF5 model, what Keras 3 writes for a ``.h5`` name and reads back with
    ``load_model`` or ``load_weights``; its config holds the activations."""
    buffer = _MemoryPath("model.h5")
    with _quiet_absl():
        _compile(model, net).save(buffer)
    return buffer.getvalue()


def _weights_h5_bytes(model, net: Network) -> bytes:
    import h5py

    buffer = _MemoryFile("model.weights.h5")
    model.save_weights(buffer)
    # Keras reads only the groups of its layers; the activations ride along in a root attribute.
    with h5py.File(buffer, "r+") as f:
        f.attrs[ACTIVATIONS_ATTR] = json.dumps(list(net.activations))
        if net.digit is not None:
            f.attrs[DIGIT_ATTR] = net.digit
    return buffer.getvalue()


def _tflite_bytes(model, net: Network) -> bytes:
    try:
        import tensorflow as tf

        converter_cls = tf.lite.TFLiteConverter
    except (ImportError, AttributeError) as exc:
        raise WeightsError("TFLite export is not available: this TensorFlow has no TFLite converter") from exc
    # Going through a SavedModel we write ourselves keeps Keras' export quiet (verbose=False).
    with tempfile.TemporaryDirectory(prefix="nnviz-tflite-") as folder:
        model.export(folder, format="tf_saved_model", verbose=False)
        return converter_cls.from_saved_model(folder).convert()


def _keras_side_bytes(kind: str, net: Network) -> bytes:
    writer = {"keras": _keras_bytes, "h5": _h5_bytes, "weights.h5": _weights_h5_bytes, "tflite": _tflite_bytes}[kind]
    with private_tempdir(), deferred():
        return writer(keras_model_from(net), net)


def export_weights(source: TrainingSnapshot | Network | ImportedNetwork, path: str | os.PathLike) -> Path:
    """Write the network to ``path`` in the format its extension names; return the path.

    ``.keras``: the full model (architecture + weights), compiled with its loss and accuracy so
    ``model.evaluate`` works at once; loadable by Keras or :func:`import_weights`.
    ``.weights.h5``: Keras ``save_weights`` output plus the activations in an attribute Keras
    ignores. ``.h5``: Keras' legacy HDF5 model (what Keras 3 writes for that name), compiled too.
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


def import_weights(path: str | os.PathLike, *, activation: Activation = None) -> Network:
    """The network in ``path`` (see :func:`import_model`), without the notes."""
    return import_model(path, activation=activation).network


def import_model(path: str | os.PathLike, *, activation: Activation = None) -> ImportedNetwork:
    """Read a network from ``.keras``, ``.weights.h5``, ``.h5``, ``.npz`` or ``.json`` and validate it.

    Returns a new network and notes on what was folded or applied (a logits output gets softmax,
    a Rescaling or BatchNormalization is folded into the Dense weights); nothing the caller holds
    is modified. ``.tflite`` is export-only. HDF5 is parsed in a child process (see
    :mod:`visualizer.training.h5child`).

    Parameters
    ----------
    activation
        The hidden activation (one name, or one per hidden layer) for a weights file that does
        not store its activations (a Keras ``.weights.h5``, a Keras 2 ``save_weights`` ``.h5``).
        Files that store them are checked against it; None asks for nothing.

    Raises
    ------
    ActivationRequired
        For a weights file without activations when ``activation`` is None.
    WeightsError
        With one line naming the file, for any missing, damaged, unsafe or unsupported file,
        including one whose HDF5 could not be parsed in time.
    """
    path = Path(path)
    kind = detect_format(path)
    if kind in ("npz", "json"):
        net = load_npz(path) if kind == "npz" else load_json(path)
        try:
            _check_given(net, activation)
        except WeightsError as exc:
            raise load_error(path, str(exc)) from None
        return ImportedNetwork(net)
    if kind == "tflite":
        raise load_error(path, ".tflite is export-only; import a .keras, .npz or .json file")
    with open_weights_file(path, MAX_BINARY_BYTES + MAX_CONFIG_BYTES) as f:
        try:
            if kind == "keras":
                return _load_keras(f, activation)
            return _load_hdf5(f, path, activation)
        except ActivationRequired:
            raise
        except WeightsError as exc:
            raise load_error(path, str(exc)) from exc.__cause__
        except zipfile.BadZipFile as exc:
            raise load_error(path, "it is not a .keras archive (not a zip file)") from exc
        except json.JSONDecodeError as exc:
            raise load_error(path, f"its model config is not valid JSON ({exc.msg})") from exc
        except (UnicodeDecodeError, RecursionError) as exc:
            raise load_error(path, f"its model config is not plain JSON text ({type(exc).__name__})") from exc
        except Exception as exc:  # zipfile/OS errors: one readable sentence, cause kept for logs
            raise load_error(path, f"it is damaged or unreadable ({type(exc).__name__}: {exc})") from exc


def _read_hdf5(f, member: str | None = None) -> StoredWeights:
    return read_dense_layers(
        f, member=member, max_bytes=MAX_BINARY_BYTES, max_values=MAX_PARAMETERS, max_layers=MAX_HIDDEN_LAYERS + 1
    )


def _given_hidden(given: Activation, count: int) -> tuple[str, ...]:
    if isinstance(given, str):
        return (given,) * count
    hidden = tuple(given)
    if len(hidden) != count:
        raise WeightsError(f"{len(hidden)} activations were given for its {count} hidden layers")
    return hidden


def _check_given(net: Network, given: Activation) -> None:
    """A file that stores its activations is read with them; an activation given that differs is an error."""
    if given is not None and _given_hidden(given, len(net.hidden)) != net.hidden_activations:
        raise WeightsError(f"it stores the activations {', '.join(net.activations)}; the activation given "
                           f"({given if isinstance(given, str) else ', '.join(given)}) differs")


def _load_keras(f, given: Activation) -> ImportedNetwork:
    with open_zip(f, _MAX_KERAS_MEMBERS) as archive:
        config = json.loads(_read_member(archive, "config.json", MAX_CONFIG_BYTES).decode("utf-8"))
        plan = plan_model(config)  # the whole structure, before any weights are read
        _member(archive, _WEIGHTS_MEMBER, MAX_BINARY_BYTES)
    return _fold(plan, _read_hdf5(f, _WEIGHTS_MEMBER), given)


def _load_hdf5(f, path: Path, given: Activation) -> ImportedNetwork:
    stored = _read_hdf5(f)
    if stored.model_config is not None:  # a legacy model file: its config says what the layers do
        return _fold(plan_model(json.loads(stored.model_config)), stored, given)
    return _weights_only(stored, path, given)


def _fold(plan: ModelPlan, stored: StoredWeights, given: Activation) -> ImportedNetwork:
    """The planned model with the stored variables; refuses weights that do not belong to the plan."""
    # Keras 3 files keep a layer's variables under its class-based group, legacy ones under its name.
    key = (lambda step: step.name) if stored.legacy else (lambda step: step.group)
    dense = dict(zip(stored.groups, stored, strict=True))
    planned = plan.dense
    if len(stored) != len(planned):
        raise WeightsError(f"the config lists {len(planned)} Dense layers but the weights hold {len(stored)}")
    norms = {g for g, vectors in stored.others.items() if vectors}
    if {key(s) for s in plan.batchnorms} != norms or any(key(s) not in dense for s in planned):
        raise WeightsError("the layers in its weights are not the ones its config lists")

    def arrays(step: Step):
        if step.kind == "batchnorm":
            return stored.others[key(step)]
        stored_name, kernel, bias = dense[key(step)]
        if not stored.legacy and stored_name is not None and stored_name != step.name:
            raise WeightsError(f"the weights of layer {stored_name!r} are stored where {step.name!r} belongs")
        return kernel, bias

    imported = fold_network(plan, arrays)
    _check_given(imported.network, given)
    return imported


def _weights_only(stored: StoredWeights, path: Path, given: Activation) -> ImportedNetwork:
    """A weights file without a config: its Dense layers, with the activations it stores or ``given``."""
    for group, vectors in stored.others.items():
        if vectors or (not stored.legacy and _CONFIG_ONLY.fullmatch(group)):
            raise WeightsError(f"it holds a {group!r} layer whose settings only the model's config has; "
                               "import the .keras file the model was saved as")
    kernels, biases = [k for _, k, _ in stored], [b for _, _, b in stored]
    if stored.activations is not None:
        net = stored_network(kernels, biases, stored.activations, stored.digit)
        _check_given(net, given)
        return ImportedNetwork(net)
    if given is None:
        what = "a Keras 2 style weights file (save_weights to .h5)" if stored.legacy else "a Keras weights file"
        reason = f"{what} stores no activations and nnviz never guesses them"
        raise ActivationRequired(
            one_line(f"Could not read weights from {path.name}: {reason}; say which one its hidden layers use "
                     "(relu, sigmoid, tanh or linear), or import the .keras file the model was saved as"),
            str(path), HIDDEN_ACTIVATIONS, reason)
    hidden = _given_hidden(given, len(kernels) - 1)
    net = Network.from_arrays(kernels, biases, hidden)
    notes = [f"the hidden activations are the ones given ({', '.join(hidden) or 'none'}); the file does not store them"]
    notes.append(f"the last layer gets {net.output} (a weights file does not say whether the model applied it "
                 "or gave logits; the probabilities are the same)")
    return ImportedNetwork(net, tuple(notes))


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
