"""Read the layers of an untrusted Keras HDF5 weights file in a child process with time and memory limits.

HDF5 is a large C library: one changed byte can make it spin forever while holding the GIL (so
neither Ctrl+C nor the window responds) or crash the process. So nnviz never parses a foreign
``.weights.h5``/``.h5`` (or the ``model.weights.h5`` inside a ``.keras``) itself. A child
process started for each file limits its own address space and CPU time, imports only h5py
and numpy (no TensorFlow: it starts in about 0.15 s), walks the file with the checks below and
hands back plain arrays through a pipe in a fixed layout: a magic line, a JSON header of layer
names and shapes, then raw little-endian float32 bytes. The parent checks that reply before it
trusts a byte (nothing is unpickled), kills the child when the time is up or the caller is
interrupted, and turns every failure into one sentence.

Two layouts are read. Keras 3 (``.weights.h5``, the weights inside a ``.keras``): a group per
layer under ``/layers``, named after its class (``dense_1``, ``batch_normalization``), holding
numbered variables. Legacy (Keras 2 ``save_weights``/``save`` to ``.h5``, and Keras 3's ``.h5``):
a group per layer name listed in ``layer_names``, each naming its weights in ``weight_names``,
with the model's config as a JSON attribute when the whole model was saved. Dense kernels and
biases, BatchNormalization vectors and the names of weightless layers come back; anything else
holding weights (a convolution, say) is refused.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from visualizer.core.errors import WeightsError
from visualizer.core.safeio import format_bytes, one_line
from visualizer.core.interrupts import deferred

__all__ = ["CHILD_FLAG", "PARSE_TIMEOUT", "child_main", "read_dense_layers"]

PARSE_TIMEOUT = 20.0  # seconds; a valid file of the largest network takes well under one
CHILD_FLAG = "--nnviz-hdf5-child"  # how a frozen bundle's launcher knows it is the child
_MAGIC = b"nnviz-hdf5-reply 1\n"
_MAX_HEADER = 1 << 20
_BASE_MEMORY = 768 << 20  # Python, numpy and h5py with room to spare, plus a multiple of the file
_CHILD_ENV = {
    # One BLAS thread: fewer threads and a far smaller address space under the memory limit.
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # "::" turns off HDF5's dynamically loaded filter plugins: a file cannot pull in a library.
    "HDF5_PLUGIN_PRELOAD": "::",
}
_GROUP = re.compile(r"([a-z_]+?)(?:_(\d+))?")
# Keras 3 group names (snake_case class names) of the layers a dense network may hold besides
# Dense: BatchNormalization has vectors, the others no variables at all.
_WEIGHTLESS = frozenset({
    "input_layer", "flatten", "reshape", "dropout", "gaussian_noise", "gaussian_dropout", "alpha_dropout",
    "activity_regularization", "identity", "activation", "softmax", "re_lu", "rescaling",
})
_NORM = "batch_normalization"
_MAX_GROUPS = 64  # layers of any kind; a dense network of 7 Dense layers has a few dozen at most
_MAX_TEXT = 512 << 10  # the legacy model config; a dense stack's is a few kB
ACTIVATIONS_ATTR = "nnviz_activations"  # nnviz's own attribute: one activation per layer, as JSON
DIGIT_ATTR = "nnviz_digit"  # nnviz's own attribute: the digit a one-neuron network answers for

Layer = tuple[str | None, np.ndarray, np.ndarray]


class StoredWeights(list):
    """The Dense layers of a weights file as ``(stored name, kernel, bias)``, in order, plus the rest.

    Attributes
    ----------
    groups
        Where each Dense layer was stored, in the same order (Keras 3: ``dense_1``; legacy: its name).
    others
        Every other layer's group (or legacy name) -> its vectors: BatchNormalization's, or none.
    activations
        The activations nnviz stored in the file's attribute, or None (every other writer).
    model_config
        A legacy file's model config (JSON text), or None.
    legacy
        True for the legacy (Keras 2 style) layout.
    digit
        The digit nnviz stored for a one-neuron network ("is it a 6?"), or None.
    """

    def __init__(self, layers=(), groups=(), others=None, activations=None, model_config=None, legacy=False,
                 digit=None):
        super().__init__(layers)
        self.groups = list(groups) or [None] * len(self)
        self.others: dict[str, tuple[np.ndarray, ...]] = dict(others or {})
        self.activations: tuple[str, ...] | None = activations
        self.model_config: str | None = model_config
        self.legacy = legacy
        self.digit: int | None = digit


# --------------------------------------------------------------------------------- the parent


def read_dense_layers(
    f: BinaryIO,
    *,
    member: str | None = None,
    max_bytes: int,
    max_values: int,
    max_layers: int,
    timeout: float | None = None,
) -> StoredWeights:
    """(stored layer name, kernel, bias) of every Dense layer of a Keras weights file, in order, and
    what else it holds (see :class:`StoredWeights`).

    ``f`` is an open regular file: the HDF5 file itself, or (with ``member``) a zip archive
    holding it. It is parsed in a child process given ``timeout`` seconds (default
    :data:`PARSE_TIMEOUT`) and an address-space limit; the arrays come back float32.

    Raises
    ------
    WeightsError
        One sentence without the file name: what is wrong with the file, or that it could not be
        parsed in time (the child is killed). KeyboardInterrupt also kills the child.
    """
    timeout = PARSE_TIMEOUT if timeout is None else timeout
    fd = f.fileno()
    memory = _BASE_MEMORY + 8 * os.fstat(fd).st_size
    args = [str(fd), member or "", str(max_bytes), str(max_values), str(max_layers), str(memory),
            str(math.ceil(timeout) + 1)]
    proc = None
    try:
        with deferred():  # an interrupt inside Popen would leave the child running unseen
            proc = _start(args, fd)
        reply, errors = _collect(proc, time.monotonic() + timeout, _MAX_HEADER + 4 * max_values + 64)
    except TimeoutError:
        raise WeightsError(f"it could not be parsed within {timeout:g} s; the file is probably corrupt") from None
    finally:
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()
    _check_exit(proc.returncode, errors)
    return _decode(reply, max_values, max_layers)


def _start(args: list[str], fd: int) -> subprocess.Popen:
    try:
        return subprocess.Popen(
            _command(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(fd,),
            start_new_session=True,  # a terminal's Ctrl+C reaches the parent, which kills the child
            env={**os.environ, **_CHILD_ENV},
        )
    except OSError as exc:
        raise WeightsError(f"the HDF5 reader could not be started ({exc.strerror or exc})") from exc


def _command(args: list[str]) -> list[str]:
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: its launcher dispatches on CHILD_FLAG
        return [sys.executable, CHILD_FLAG, *args]
    root = str(Path(__file__).resolve().parents[2])
    # sys.path[0] would be the current folder; the child must import this nnviz and nothing there.
    code = (
        "import sys; sys.path[0] = sys.argv.pop(1); "
        "from visualizer.training.h5child import child_main; sys.exit(child_main(sys.argv[1:]))"
    )
    return [sys.executable, "-c", code, root, *args]


def _collect(proc: subprocess.Popen, deadline: float, cap: int) -> tuple[bytes, bytes]:
    """The child's stdout (at most ``cap`` bytes) and the tail of its stderr; TimeoutError at ``deadline``."""
    out, err = bytearray(), bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ, out)
        selector.register(proc.stderr, selectors.EVENT_READ, err)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, 1 << 20)
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.data is out:
                    out += chunk
                    if len(out) > cap:
                        raise WeightsError("the HDF5 reader's answer is larger than any supported network")
                else:
                    err += chunk
                    del err[:-4096]
    try:
        proc.wait(max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        raise TimeoutError from None
    return bytes(out), bytes(err)


def _check_exit(code: int, errors: bytes) -> None:
    if code == 0:
        return
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if name == "SIGXCPU":
            raise WeightsError("it could not be parsed within the CPU time allowed; the file is probably corrupt")
        raise WeightsError(f"the HDF5 reader crashed on it ({name}); the file is probably corrupt")
    lines = errors.decode("utf-8", "replace").strip().splitlines()
    detail = f": {one_line(lines[-1])[:300]}" if lines else ""
    raise WeightsError(f"the HDF5 reader failed (exit code {code}{detail})")


def _shape(value, ndim: int) -> tuple[int, ...] | None:
    if isinstance(value, list) and len(value) == ndim and all(type(v) is int and v >= 0 for v in value):
        return tuple(value)
    return None


def _optional_text(value, limit: int) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= limit)


def _decode(reply: bytes, max_values: int, max_layers: int) -> StoredWeights:
    """The layers in a reply, checked field by field: the child may have been subverted by the file."""
    malformed = WeightsError("the HDF5 reader gave a malformed answer; the file is probably corrupt")
    start = len(_MAGIC) + 8
    if not reply.startswith(_MAGIC) or len(reply) < start:
        raise malformed
    size = int.from_bytes(reply[len(_MAGIC) : start], "little")
    try:
        header = json.loads(reply[start : start + size]) if size <= _MAX_HEADER else None
    except (ValueError, UnicodeDecodeError):
        header = None
    if not isinstance(header, dict):
        raise malformed
    if isinstance(header.get("error"), str):
        raise WeightsError(one_line(header["error"])[:1000])
    entries, others = header.get("layers"), header.get("others", [])
    activations, config = header.get("activations"), header.get("config")
    if (not isinstance(entries, list) or len(entries) > max_layers or not isinstance(others, list)
            or len(others) > _MAX_GROUPS or not _optional_text(config, _MAX_TEXT)):
        raise malformed
    if activations is not None and not (isinstance(activations, list) and len(activations) <= max_layers
                                        and all(_optional_text(a, 32) and a for a in activations)):
        raise malformed
    shapes, groups, total = [], [], 0
    for entry in entries:
        if not isinstance(entry, dict):
            raise malformed
        name, kernel, bias = entry.get("name"), _shape(entry.get("kernel"), 2), _shape(entry.get("bias"), 1)
        if not _optional_text(name, 1000) or not _optional_text(entry.get("group"), 1000) or None in (kernel, bias):
            raise malformed
        shapes.append((name, kernel, bias))
        groups.append(entry.get("group"))
        total += math.prod(kernel) + math.prod(bias)
    vectors = []
    for entry in others:
        found = entry.get("vectors") if isinstance(entry, dict) else None
        if not isinstance(found, list) or len(found) > 4 or not isinstance(entry.get("group"), str):
            raise malformed
        found = [_shape(v, 1) for v in found]
        if None in found or len(entry["group"]) > 1000:
            raise malformed
        vectors.append((entry["group"], found))
        total += sum(math.prod(v) for v in found)
    offset = start + size
    if total > max_values or len(reply) != offset + 4 * total:
        raise malformed

    def take(shape):
        nonlocal offset
        count = math.prod(shape)
        array = np.frombuffer(reply, "<f4", count, offset).reshape(shape)
        offset += 4 * count
        return array

    layers = [(name, take(kernel), take(bias)) for name, kernel, bias in shapes]
    rest = {group: tuple(take(v) for v in found) for group, found in vectors}
    digit = header.get("digit")
    if digit is not None and (type(digit) is not int or not 0 <= digit <= 9):
        raise malformed
    return StoredWeights(layers, groups, rest, None if activations is None else tuple(activations), config,
                         header.get("legacy") is True, digit)


# ---------------------------------------------------------------------------------- the child


def child_main(argv: list[str]) -> int:
    """Entry point of the child: parse the file on the inherited descriptor, write one reply to stdout."""
    fd, member, max_bytes, max_values, max_layers, memory, cpu = argv
    _limit_resources(int(memory), int(cpu))
    reply_to = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to stderr, never into the reply
    try:
        stored = _read(int(fd), member or None, int(max_bytes), int(max_values), int(max_layers))
        header = {
            "layers": [{"name": n, "group": g, "kernel": k.shape, "bias": b.shape}
                       for (n, k, b), g in zip(stored, stored.groups, strict=True)],
            "others": [{"group": g, "vectors": [v.shape for v in vs]} for g, vs in stored.others.items()],
            "activations": stored.activations,
            "config": stored.model_config,
            "legacy": stored.legacy,
            "digit": stored.digit,
        }
        arrays = [a for _, k, b in stored for a in (k, b)] + [v for vs in stored.others.values() for v in vs]
        reply = _encode(header, arrays)
    except WeightsError as exc:
        reply = _encode({"error": str(exc)})
    except MemoryError:
        reply = _encode({"error": f"reading it needed more than the {format_bytes(int(memory))} of memory "
                                  "the HDF5 reader may use; the file is probably corrupt"})
    except Exception as exc:  # h5py/zipfile errors of a damaged file: one sentence for the parent
        reply = _encode({"error": f"it is damaged or unreadable ({type(exc).__name__}: {exc})"})
    reply_to.write(reply)
    reply_to.flush()
    return 0


def _limit_resources(memory: int, cpu_seconds: int) -> None:
    try:
        import resource
    except ImportError:  # not on Windows; the parent's timeout still applies
        return
    for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu_seconds), (resource.RLIMIT_CORE, 0)):
        try:
            _, hard = resource.getrlimit(limit)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            # CPU: the soft limit sends SIGXCPU, so a child orphaned by a killed parent still ends.
            resource.setrlimit(limit, (value, hard))
        except (ValueError, OSError):
            pass


def _encode(header: dict, arrays=()) -> bytes:
    text = json.dumps(header).encode("utf-8")
    return b"".join([_MAGIC, len(text).to_bytes(8, "little"), text, *(a.astype("<f4").tobytes() for a in arrays)])


def _read(fd: int, member: str | None, max_bytes: int, max_values: int, max_layers: int) -> StoredWeights:
    with os.fdopen(fd, "rb") as f:
        f.seek(0)
        if member is None:
            data = f.read(max_bytes + 1)
        else:
            with zipfile.ZipFile(f) as archive, archive.open(member) as m:
                data = m.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise WeightsError("its weights are larger than any supported network")
    return _layers(io.BytesIO(data), max_values, max_layers)


def _hard_child(group, name: str, h5py):
    """``group[name]`` only through a hard link: soft/external links are never followed."""
    link = group.get(name, getlink=True)
    if link is None:
        raise WeightsError(f"the weights file has no '{group.name.rstrip('/')}/{name}'")
    if not isinstance(link, h5py.HardLink):
        raise WeightsError(f"'{name}' in the weights file is a link, which is never followed")
    return group[name]


def _hard_path(group, path: str, h5py):
    """``group[path]`` through hard links only, one component at a time."""
    for part in path.split("/"):
        group = _hard_child(group, part, h5py)
    return group


def _numeric(vars_group, key: str, ndim: int, max_values: int, h5py) -> np.ndarray:
    ds = _hard_path(vars_group, key, h5py)
    if not isinstance(ds, h5py.Dataset) or ds.dtype.kind != "f" or ds.ndim != ndim:
        raise WeightsError(f"'{ds.name}' is not a {ndim}-D array of floating-point numbers")
    if ds.size > max_values or ds.external or ds.is_virtual:
        raise WeightsError(f"'{ds.name}' is too large or stored outside the file")
    with np.errstate(over="ignore"):  # beyond float32 range becomes inf, which validation refuses
        return np.asarray(ds[()]).astype(np.float32)


def _text(value) -> str | None:
    """An HDF5 string attribute as str (h5py gives bytes or str); None for anything else."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def _names(value, what: str) -> list[str]:
    """A legacy attribute listing names (an array of bytes or str)."""
    if isinstance(value, np.ndarray) and value.size == 0:
        return []
    items = [_text(v) for v in np.atleast_1d(np.asarray(value, dtype=object))] if value is not None else [None]
    if None in items or len(items) > _MAX_GROUPS:
        raise WeightsError(f"its {what} attribute is not a list of names")
    return items


def _layers(source, max_values: int, max_layers: int) -> StoredWeights:
    import h5py  # only here, under the limits

    with h5py.File(source, "r") as f:
        if "model_config" in f.attrs or "model_weights" in f or ("layer_names" in f.attrs and "layers" not in f):
            return _legacy_layers(f, max_values, max_layers, h5py)
        stored = _keras3_layers(f, max_values, max_layers, h5py)
        text = _text(f.attrs.get(ACTIVATIONS_ATTR))
        if text is not None:
            try:
                names = json.loads(text)
            except ValueError:
                names = None
            if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
                raise WeightsError(f"its '{ACTIVATIONS_ATTR}' attribute is not a list of activation names")
            stored.activations = tuple(names)
        digit = f.attrs.get(DIGIT_ATTR)
        if digit is not None:
            if np.ndim(digit) != 0 or np.asarray(digit).dtype.kind not in "iu" or not 0 <= int(digit) <= 9:
                raise WeightsError(f"its '{DIGIT_ATTR}' attribute is not a digit 0-9")
            stored.digit = int(digit)
        return stored


def _keras3_layers(f, max_values: int, max_layers: int, h5py) -> StoredWeights:
    layers = f.get("layers", getlink=True)
    if layers is None:
        raise WeightsError("it has no '/layers' group of a Keras 3 weights file, and no 'layer_names' of a "
                           "Keras 2 one, so it is not a Keras weights file")
    layers = _hard_child(f, "layers", h5py)
    if not isinstance(layers, h5py.Group):
        raise WeightsError("it has no group of layers, so it is not a Keras 3 weights file")
    if len(layers) > _MAX_GROUPS:
        raise WeightsError(f"it holds more than {_MAX_GROUPS} layers")
    dense, others = {}, {}
    for key in layers:
        match = _GROUP.fullmatch(key)
        stem = match.group(1) if match else None
        if stem not in _WEIGHTLESS and stem not in ("dense", _NORM):
            raise WeightsError(f"it contains a {key!r} layer; nnviz reads dense networks "
                               "(Dense, BatchNormalization and layers without weights)")
        group = _hard_child(layers, key, h5py)
        variables = _hard_child(group, "vars", h5py)
        if set(group) != {"vars"}:
            raise WeightsError(f"layer {key!r} holds more than its variables (a nested model?)")
        count = len(variables)
        if stem == "dense":
            dense[int(match.group(2) or 0)] = key
            if set(variables) != {"0", "1"}:
                raise WeightsError(f"layer {key!r} is not a plain Dense layer with a kernel and a bias")
        elif stem == _NORM:
            if not 2 <= count <= 4 or set(variables) != {str(i) for i in range(count)}:
                raise WeightsError(f"layer {key!r} is not a plain BatchNormalization layer")
            others[key] = tuple(_numeric(variables, str(i), 1, max_values, h5py) for i in range(count))
        elif count:
            raise WeightsError(f"layer {key!r} holds variables, but layers of its kind have none")
        else:
            others[key] = ()
    if not 1 <= len(dense) <= max_layers or sorted(dense) != list(range(len(dense))):
        raise WeightsError(f"it must hold 1 to {max_layers} numbered Dense layers")
    result, groups = [], []
    for i in range(len(dense)):
        variables = _hard_child(_hard_child(layers, dense[i], h5py), "vars", h5py)
        name = _text(variables.attrs.get("name"))
        result.append((name, _numeric(variables, "0", 2, max_values, h5py), _numeric(variables, "1", 1, max_values, h5py)))
        groups.append(dense[i])
    return StoredWeights(result, groups, others)


_LEGACY_KINDS = {"kernel": 0, "bias": 1, "gamma": 0, "beta": 1, "moving_mean": 2, "moving_variance": 3}


def _legacy_layers(f, max_values: int, max_layers: int, h5py) -> StoredWeights:
    """Keras 2 style: ``layer_names`` in order, each group listing its ``weight_names``."""
    config = None
    if "model_config" in f.attrs or "model_weights" in f:
        if "model_weights" not in f:
            raise WeightsError("it is a legacy Keras 2 HDF5 model file without its 'model_weights' group")
        config = _text(f.attrs.get("model_config"))
        if config is not None and len(config) > _MAX_TEXT:
            raise WeightsError("its model config is larger than any dense network's")
        f = _hard_child(f, "model_weights", h5py)
    result, groups, others = [], [], {}
    for layer in _names(f.attrs.get("layer_names"), "layer_names"):
        group = _hard_child(f, layer, h5py)
        weights = _names(group.attrs.get("weight_names", np.array([])), f"{layer!r} weight_names")
        kinds = [w.rsplit("/", 1)[-1].split(":")[0] for w in weights]
        if not weights:
            others[layer] = ()
        elif kinds == ["kernel", "bias"]:
            kernel = _hard_path(group, weights[0], h5py)
            if getattr(kernel, "ndim", 2) != 2:
                raise WeightsError(f"layer {layer!r} holds a {kernel.ndim}-D kernel, so it is not a Dense layer; "
                                   "nnviz reads dense networks (Dense, BatchNormalization and layers without weights)")
            result.append((layer, _numeric(group, weights[0], 2, max_values, h5py),
                           _numeric(group, weights[1], 1, max_values, h5py)))
            groups.append(layer)
        elif set(kinds) <= {"gamma", "beta", "moving_mean", "moving_variance"} and kinds == sorted(
                kinds, key=_LEGACY_KINDS.get) and {"moving_mean", "moving_variance"} <= set(kinds):
            others[layer] = tuple(_numeric(group, w, 1, max_values, h5py) for w in weights)
        else:
            raise WeightsError(f"layer {layer!r} holds {', '.join(kinds)}; nnviz reads dense networks "
                               "(Dense, BatchNormalization and layers without weights)")
    if not 1 <= len(result) <= max_layers:
        raise WeightsError(f"it must hold 1 to {max_layers} Dense layers, not {len(result)}")
    return StoredWeights(result, groups, others, model_config=config, legacy=True)
