"""Read the Dense layers of an untrusted Keras HDF5 weights file in a child process with time and memory limits.

HDF5 is a large C library: one changed byte can make it spin forever while holding the GIL (so
neither Ctrl+C nor the window responds) or crash the process. So nnviz never parses a foreign
``.weights.h5``/``.h5`` (or the ``model.weights.h5`` inside a ``.keras``) itself. A child
process started for each file limits its own address space and CPU time, imports only h5py
and numpy (no TensorFlow: it starts in about 0.15 s), walks the file with the checks below and
hands back plain arrays through a pipe in a fixed layout: a magic line, a JSON header of layer
names and shapes, then raw little-endian float32 bytes. The parent checks that reply before it
trusts a byte (nothing is unpickled), kills the child when the time is up or the caller is
interrupted, and turns every failure into one sentence.
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
_DENSE_GROUP = re.compile(r"dense(?:_(\d+))?")
_INPUT_GROUP = re.compile(r"input_layer(?:_\d+)?")

Layer = tuple[str | None, np.ndarray, np.ndarray]


# --------------------------------------------------------------------------------- the parent


def read_dense_layers(
    f: BinaryIO,
    *,
    member: str | None = None,
    max_bytes: int,
    max_values: int,
    max_layers: int,
    timeout: float | None = None,
) -> list[Layer]:
    """(stored layer name, kernel, bias) of every Dense layer of a Keras 3 weights file, in order.

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


def _decode(reply: bytes, max_values: int, max_layers: int) -> list[Layer]:
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
    entries = header.get("layers")
    if not isinstance(entries, list) or len(entries) > max_layers:
        raise malformed
    shapes, total = [], 0
    for entry in entries:
        if not isinstance(entry, dict):
            raise malformed
        name, kernel, bias = entry.get("name"), _shape(entry.get("kernel"), 2), _shape(entry.get("bias"), 1)
        if not (name is None or isinstance(name, str)) or kernel is None or bias is None:
            raise malformed
        shapes.append((name, kernel, bias))
        total += math.prod(kernel) + math.prod(bias)
    offset = start + size
    if total > max_values or len(reply) != offset + 4 * total:
        raise malformed
    layers = []
    for name, *array_shapes in shapes:
        arrays = []
        for shape in array_shapes:
            count = math.prod(shape)
            arrays.append(np.frombuffer(reply, "<f4", count, offset).reshape(shape))
            offset += 4 * count
        layers.append((name, *arrays))
    return layers


# ---------------------------------------------------------------------------------- the child


def child_main(argv: list[str]) -> int:
    """Entry point of the child: parse the file on the inherited descriptor, write one reply to stdout."""
    fd, member, max_bytes, max_values, max_layers, memory, cpu = argv
    _limit_resources(int(memory), int(cpu))
    reply_to = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to stderr, never into the reply
    try:
        layers = _read(int(fd), member or None, int(max_bytes), int(max_values), int(max_layers))
        reply = _encode({"layers": [{"name": n, "kernel": k.shape, "bias": b.shape} for n, k, b in layers]},
                        [a for _, k, b in layers for a in (k, b)])
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


def _read(fd: int, member: str | None, max_bytes: int, max_values: int, max_layers: int) -> list[Layer]:
    with os.fdopen(fd, "rb") as f:
        f.seek(0)
        if member is None:
            data = f.read(max_bytes + 1)
        else:
            with zipfile.ZipFile(f) as archive, archive.open(member) as m:
                data = m.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise WeightsError("its weights are larger than any supported network")
    return _dense_layers(io.BytesIO(data), max_values, max_layers)


def _hard_child(group, name: str, h5py):
    """``group[name]`` only through a hard link: soft/external links are never followed."""
    link = group.get(name, getlink=True)
    if link is None:
        raise WeightsError(f"the weights file has no '{group.name.rstrip('/')}/{name}'")
    if not isinstance(link, h5py.HardLink):
        raise WeightsError(f"'{name}' in the weights file is a link, which is never followed")
    return group[name]


def _numeric(vars_group, key: str, ndim: int, max_values: int, h5py) -> np.ndarray:
    ds = _hard_child(vars_group, key, h5py)
    if not isinstance(ds, h5py.Dataset) or ds.dtype.kind != "f" or ds.ndim != ndim:
        raise WeightsError(f"'{ds.name}' is not a {ndim}-D array of floating-point numbers")
    if ds.size > max_values or ds.external or ds.is_virtual:
        raise WeightsError(f"'{ds.name}' is too large or stored outside the file")
    with np.errstate(over="ignore"):  # beyond float32 range becomes inf, which validation refuses
        return np.asarray(ds[()]).astype(np.float32)


def _dense_layers(source, max_values: int, max_layers: int) -> list[Layer]:
    import h5py  # only here, under the limits

    with h5py.File(source, "r") as f:
        if "model_weights" in f or "model_config" in f.attrs:
            raise WeightsError("it is a legacy Keras 2 HDF5 model; re-save it as .keras")
        layers = _hard_child(f, "layers", h5py)
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
        if not 2 <= len(found) <= max_layers or sorted(found) != list(range(len(found))):
            raise WeightsError(f"it must hold 2 to {max_layers} numbered Dense layers")
        result = []
        for i in range(len(found)):
            group = _hard_child(layers, found[i], h5py)
            variables = _hard_child(group, "vars", h5py)
            if set(group) != {"vars"} or set(variables) != {"0", "1"}:
                raise WeightsError(f"layer {found[i]!r} is not a plain Dense layer with a kernel and a bias")
            name = variables.attrs.get("name")
            name = name.decode("utf-8", "replace") if isinstance(name, bytes) else name
            result.append(
                (
                    name if isinstance(name, str) else None,
                    _numeric(variables, "0", 2, max_values, h5py),
                    _numeric(variables, "1", 1, max_values, h5py),
                )
            )
    return result
