"""Helpers for tests that feed nnviz untrusted files: a tiny network, seeded mutations, a `predict` child."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HEAD_TAIL = 1024  # headers, zip directories and HDF5 superblocks live near the ends of a file


def tiny_snapshot(seed: int):
    """A random 784-8-10 relu network as a TrainingSnapshot, ready for ``export_weights``."""
    from visualizer.core.snapshot import snapshot_from_arrays

    rng = np.random.default_rng(seed)
    return snapshot_from_arrays(
        [rng.normal(0, 0.1, (784, 8)).astype(np.float32), rng.normal(0, 0.3, (8, 10)).astype(np.float32)],
        [rng.normal(0, 0.1, 8).astype(np.float32), np.zeros(10, np.float32)],
        "relu",
    )


def _position(rng: np.random.Generator, size: int) -> int:
    """A byte offset, half the time near the start or end of the file, where the structure is."""
    if size <= 1:
        return 0
    if rng.random() < 0.5:
        return int(rng.integers(size))
    edge = int(rng.integers(min(HEAD_TAIL, size)))
    return edge if rng.random() < 0.5 else size - 1 - edge


EXTREME_BINARY = (b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x80\x00\x00\x00", b"\x00\x00\x00\x00")
EXTREME_TEXT = (b"1e999", b"NaN", b"-9999999999", b"[[[[", b"null", b"0.5")
JSON_BYTES = b'0123456789-+.eE[]{},:" \ntrue'  # flips that keep JSON text UTF-8 and often valid


def mutate(data: bytes, rng: np.random.Generator, *, text: bool = False) -> tuple[bytes, str]:
    """One random change to ``data``: byte flips, a truncation, a splice or a zeroed range.

    Returns the new bytes and a short description (e.g. "flip 2073=0x02") for failure messages.
    ``text=True`` flips to JSON punctuation and digits, and writes odd numbers and tokens where
    a binary file gets huge or zero length fields.
    """
    out = bytearray(data)
    size = len(out)
    kind = rng.choice(["flip", "flip", "extreme", "truncate", "splice", "zero"])
    if kind == "flip":  # a few random bytes, or single bits
        changes = []
        for _ in range(int(rng.integers(1, 5))):
            at = _position(rng, size)
            if text:
                out[at] = JSON_BYTES[int(rng.integers(len(JSON_BYTES)))]
            else:
                out[at] = int(rng.integers(256)) if rng.random() < 0.5 else out[at] ^ 1 << int(rng.integers(8))
            changes.append(f"{at}=0x{out[at]:02x}")
        return bytes(out), "flip " + ",".join(changes)
    if kind == "extreme":  # a length or count field becoming huge, negative or zero
        values = EXTREME_TEXT if text else EXTREME_BINARY
        value = values[int(rng.integers(len(values)))]
        at = _position(rng, max(size - len(value), 1))
        out[at:at + len(value)] = value
        return bytes(out[:size]), f"extreme {at}={value!r}"
    if kind == "truncate":
        at = int(rng.integers(size))
        return bytes(out[:at]), f"truncate {at}"
    if kind == "splice":  # a copy of another part of the file, overwritten or inserted
        length = int(rng.integers(1, 513))
        src, dst = int(rng.integers(size)), _position(rng, size)
        chunk = bytes(out[src:src + length])
        if rng.random() < 0.5:
            out[dst:dst + len(chunk)] = chunk
            return bytes(out[:size]), f"splice {src}+{len(chunk)} over {dst}"
        return bytes(out[:dst]) + chunk + bytes(out[dst:]), f"splice {src}+{len(chunk)} into {dst}"
    at, length = _position(rng, size), int(rng.integers(1, 1025))
    out[at:at + length] = bytes(len(out[at:at + length]))
    return bytes(out), f"zero {at}+{length}"


def zip_members(data: bytes) -> dict[str, bytes]:
    """The members of the zip archive ``data``, by name, in archive order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The zip archive ``data`` rebuilt with some members replaced, its CRCs matching; dates set to 1980."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(buf, "w") as new:
        for info in old.infolist():
            info.date_time = (1980, 1, 1, 0, 0, 0)
            new.writestr(info, replace.get(info.filename, old.read(info)))
    return buf.getvalue()


def mutate_member(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """``data`` (a zip archive) with one member mutated and the archive rebuilt, its CRCs matching."""
    members = zip_members(data)
    name = list(members)[int(rng.integers(len(members)))]
    changed, how = mutate(members[name], rng, text=name.endswith(".json"))
    return rezip(data, {name: changed}), f"{how} in {name}"


def fix_png_crcs(data: bytes) -> bytes:
    """``data`` with every whole PNG chunk's CRC recomputed, so a mutation gets past the checksum."""
    out = bytearray(data)
    at = 8  # after the signature
    while at + 12 <= len(out):
        (length,) = struct.unpack(">I", out[at:at + 4])
        end = at + 8 + length
        if end + 4 > len(out):
            break
        out[end:end + 4] = struct.pack(">I", zlib.crc32(out[at + 4:end]))
        at = end + 4
    return bytes(out)


@dataclass
class Run:
    """What a child process did: exit code (None after a timeout), stdout and stderr lines."""

    returncode: int | None
    stdout: list[str]
    stderr: list[str]

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def run_predict(weights: Path, images: list[Path], timeout: float) -> Run:
    """Run ``python -m visualizer predict --json --weights W IMAGE...``, killed after ``timeout`` s."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    env.pop("NNVIZ_DEBUG", None)
    argv = [sys.executable, "-m", "visualizer", "predict", "--json", "--weights", str(weights),
            *map(str, images)]
    # A session of its own, so a timeout also ends whatever the child started (a parser child, or
    # the Ghostscript of a regression), not just the child.
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          cwd=weights.parent, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            out, err = proc.communicate()
            return Run(None, _lines(out), _lines(err))
        finally:
            if proc.poll() is None:  # interrupted (Ctrl+C in pytest): leave nothing running
                kill_group(proc)
    return Run(proc.returncode, _lines(out), _lines(err))


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group ``proc`` leads (it was started with ``start_new_session=True``)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _lines(raw: bytes | None) -> list[str]:
    return (raw or b"").decode("utf-8", "replace").splitlines()


def judge(run: Run, timeout: float) -> str | None:
    """Why one file's run breaks the promise (exit 0 or 2, at most one line, no traceback, no hang), or None."""
    if run.timed_out:
        return f"no answer within {timeout:g} s (a hang)"
    text = "\n".join(run.stderr)
    if "Traceback" in text:
        return f"a traceback on stderr:\n{text}"
    if run.returncode not in (0, 2):
        return f"exit code {run.returncode}, stderr: {text!r}"
    if len(run.stderr) > 1:
        return f"{len(run.stderr)} lines on stderr:\n{text}"
    if run.returncode == 2 and not (run.stderr and run.stderr[0].startswith("nnviz: error: ")):
        return f"exit 2 without an 'nnviz: error:' line, stderr: {text!r}"
    if run.returncode == 0 and (run.stderr or len(run.stdout) != 1):
        return f"exit 0 but stdout {run.stdout!r}, stderr {text!r}"
    return None
