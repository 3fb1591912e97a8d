"""Run files: a recorded run (settings, dataset, every moment's weights and every batch's metrics) saved and opened safely.

A run file is a zip of ``.npy`` arrays (what ``numpy.savez`` writes, stored uncompressed): a JSON
header as a uint8 array (format name, version, settings, dataset, timeline state, counts), the
per-batch and validation columns, and ``weights.npy`` with one flat float32 row per moment.
Writing streams the rows into a temporary file that replaces the target atomically; reading
refuses anything but a regular file, checks every member's size and dtype against the header
before reading it (nothing is unpickled or evaluated, allocations are bounded first), and lets
the zip's CRC catch damaged bytes. Any problem is one RunFileError naming the file.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import visualizer
from visualizer.core.atomic import atomic_write
from visualizer.core.config import TrainingConfig
from visualizer.core.errors import NnvizError, RunFileError
from visualizer.core.safeio import check_allocation, one_line, open_regular_file
from visualizer.core.safezip import open_zip
from visualizer.core.timeline import Moment, Timeline

FORMAT = "nnviz-run"
VERSION = 1
SUFFIX = ".nnvizrun"
_HEADER = "header.npy"
_WEIGHTS = "weights.npy"
_MAX_HEADER_BYTES = 1 << 20
# Per-batch and validation columns: name -> (dtype, which count gives their length).
_COLUMNS = {
    "epoch": ("<i4", "batches"), "batch": ("<i4", "batches"), "epoch_float": ("<f8", "batches"),
    "loss": ("<f4", "batches"), "accuracy": ("<f4", "batches"), "is_epoch_end": ("|b1", "batches"),
    "val_step": ("<i8", "validations"), "val_loss": ("<f4", "validations"),
    "val_accuracy": ("<f4", "validations"), "moment_steps": ("<i8", "moments"),
}


@dataclass(frozen=True)
class Run:
    """What a run file holds."""

    config: TrainingConfig
    dataset_name: str
    dataset_description: str
    timeline: Timeline
    written_by: str = ""


def save_run(path: str | os.PathLike, timeline: Timeline, config: TrainingConfig, *,
             dataset_name: str, dataset_description: str = "") -> Path:
    """Write ``timeline`` with its settings and dataset to ``path`` atomically; return the path.

    Recording may go on meanwhile: the file holds the timeline as it was when saving began.
    Raises RunFileError when the file cannot be written (an existing file is left as it was).
    """
    target = Path(path)
    try:
        with timeline.export() as (state, arrays, rows):
            header = {
                "format": FORMAT,
                "version": VERSION,
                "written_by": f"nnviz {visualizer.__version__}",
                "config": config.to_dict(),
                "dataset": {"name": str(dataset_name), "description": str(dataset_description)},
                "timeline": state,
                "counts": {"batches": len(arrays["loss"]), "validations": len(arrays["val_step"]),
                           "moments": len(rows), "parameters": int(rows[0].size)},
            }
            atomic_write(target, lambda tmp: _write(tmp, header, arrays, rows))
    except ValueError as exc:  # an empty timeline
        raise RunFileError(f"cannot save the run: {exc}") from None
    except OSError as exc:
        raise RunFileError(f"cannot write run file {target.name}: {exc.strerror or exc}") from None
    return target


def _write(tmp: Path, header: dict, arrays: dict[str, np.ndarray], rows: list[np.ndarray]) -> None:
    text = json.dumps(header, allow_nan=False).encode("utf-8")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        with zf.open(_HEADER, "w") as f:
            np.lib.format.write_array(f, np.frombuffer(text, dtype=np.uint8), allow_pickle=False)
        for name, (dtype, _) in _COLUMNS.items():
            with zf.open(f"{name}.npy", "w") as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arrays[name], dtype=dtype), allow_pickle=False)
        size = len(rows) * rows[0].nbytes
        with zf.open(_WEIGHTS, "w", force_zip64=size > (1 << 31)) as f:
            # Streamed row by row: the moments never need one big array in memory.
            np.lib.format.write_array_header_2_0(
                f, {"descr": "<f4", "fortran_order": False, "shape": (len(rows), rows[0].size)}
            )
            for row in rows:
                f.write(memoryview(np.ascontiguousarray(row, dtype="<f4")).cast("B"))


def load_run(path: str | os.PathLike) -> Run:
    """Open a run file; raise RunFileError (one line naming the file) if it is not a good one."""
    p = Path(path)
    name = one_line(p.name)
    with open_regular_file(p, "run file", RunFileError) as fh:
        size = os.fstat(fh.fileno()).st_size
        check_allocation(size, f"run file {name}", RunFileError)
        if fh.read(4) != b"PK\x03\x04":
            raise RunFileError(f"run file {name} is not an nnviz run file")
        try:
            # open_zip bounds the central directory before zipfile parses it (a run file has 12 members).
            with open_zip(fh, max_members=len(_COLUMNS) + 2) as zf:
                return _read(zf, name, size)
        except RunFileError:
            raise
        except zipfile.BadZipFile as exc:
            raise RunFileError(f"run file {name} is damaged or truncated ({one_line(exc)})") from None
        except (OSError, EOFError) as exc:
            raise RunFileError(f"run file {name} could not be read ({one_line(exc)})") from None
        except NnvizError as exc:
            raise RunFileError(f"run file {name}: {one_line(exc)}") from None
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
            raise RunFileError(f"run file {name} is damaged: {one_line(exc)}") from None


def is_run_file(path: str | os.PathLike) -> bool:
    """True when ``path`` is a regular file that starts like a run file (a zip whose first member is the header)."""
    try:
        with open_regular_file(path, "run file", RunFileError) as fh:
            head = fh.read(30 + len(_HEADER))
    except (RunFileError, OSError):
        return False
    return head[:4] == b"PK\x03\x04" and head[30:] == _HEADER.encode()


def _read(zf: zipfile.ZipFile, name: str, size: int) -> Run:
    header = _read_header(zf, name)
    counts = header["counts"]
    n, nv, k, params = (int(counts[key]) for key in ("batches", "validations", "moments", "parameters"))
    if min(n, nv, k) < 0 or not 0 < params or k < 1:
        raise RunFileError(f"run file {name} is damaged: impossible counts in its header")
    lengths = {"batches": n, "validations": nv, "moments": k}
    expected = k * params * 4 + sum(np.dtype(dt).itemsize * lengths[c] for dt, c in _COLUMNS.values())
    if expected > size:
        raise RunFileError(f"run file {name} is truncated: its header promises more data than the file holds")
    check_allocation(expected, f"run file {name}", RunFileError)
    arrays = {col: _read_array(zf, f"{col}.npy", dtype, (lengths[count],), name)
              for col, (dtype, count) in _COLUMNS.items()}
    config = TrainingConfig(**header["config"])
    dataset = header["dataset"]
    timeline = Timeline.from_state(header["timeline"], arrays, _rows(zf, name, k, params))
    if timeline.layer_sizes != tuple(config.layer_sizes) or timeline.digit != config.one_vs_rest:
        raise RunFileError(f"run file {name} is damaged: its settings and its weights describe different networks")
    return Run(config, str(dataset["name"]), str(dataset["description"]), timeline, str(header.get("written_by", "")))


def _read_header(zf: zipfile.ZipFile, name: str) -> dict:
    try:
        info = zf.getinfo(_HEADER)
    except KeyError:
        raise RunFileError(f"run file {name} is not an nnviz run file") from None
    if info.file_size > _MAX_HEADER_BYTES:
        raise RunFileError(f"run file {name} is not an nnviz run file (its header is too large)")
    raw = _read_array(zf, _HEADER, "|u1", None, name)
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RunFileError(f"run file {name} is not an nnviz run file (its header is not JSON)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise RunFileError(f"run file {name} is not an nnviz run file")
    version = header.get("version")
    if version != VERSION:
        newer = isinstance(version, int) and version > VERSION
        raise RunFileError(
            f"run file {name} has format version {one_line(version)}; this nnviz reads version {VERSION}"
            + (" (it was written by a newer nnviz)" if newer else "")
        )
    return header


def _open_member(zf: zipfile.ZipFile, member: str, name: str):
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise RunFileError(f"run file {name} is damaged: {member} is missing") from None
    if info.compress_type != zipfile.ZIP_STORED:
        raise RunFileError(f"run file {name} is not an nnviz run file ({member} is compressed)")
    f = zf.open(info)
    try:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(f)
    except BaseException:
        f.close()
        raise
    if fortran:
        f.close()
        raise RunFileError(f"run file {name} is damaged: {member} is not in C order")
    return f, info, shape, dtype


def _read_array(zf: zipfile.ZipFile, member: str, dtype: str, shape: tuple | None, name: str) -> np.ndarray:
    """Read a small member after checking that its dtype and shape are the expected ones."""
    f, info, got_shape, got_dtype = _open_member(zf, member, name)
    with f:
        if got_dtype != np.dtype(dtype) or (shape is not None and tuple(got_shape) != shape) or len(got_shape) != 1:
            raise RunFileError(f"run file {name} is damaged: {member} holds {got_dtype} {tuple(got_shape)}")
        nbytes = got_shape[0] * got_dtype.itemsize
        if nbytes > info.file_size:
            raise RunFileError(f"run file {name} is damaged: {member} is shorter than it says")
        out = np.empty(got_shape, dtype=got_dtype)
        if f.readinto(memoryview(out).cast("B")) != nbytes or f.read(1):
            raise RunFileError(f"run file {name} is damaged: {member} has the wrong length")
    return out


def _rows(zf: zipfile.ZipFile, name: str, moments: int, params: int):
    """The moments' weights, one reused buffer at a time (the timeline copies each in)."""
    f, info, shape, dtype = _open_member(zf, _WEIGHTS, name)
    with f:
        if dtype != np.dtype("<f4") or tuple(shape) != (moments, params):
            raise RunFileError(f"run file {name} is damaged: its weights are {dtype} {tuple(shape)}, "
                               f"expected float32 {(moments, params)}")
        row = np.empty(params, dtype=np.float32)
        view = memoryview(row).cast("B")
        for _ in range(moments):
            if f.readinto(view) != row.nbytes:
                raise RunFileError(f"run file {name} is truncated: its weights end early")
            yield row
        if f.read(1):
            raise RunFileError(f"run file {name} is damaged: there is data after its weights")


# --- one moment, metrics --------------------------------------------------------------------------
def find_moment(timeline: Timeline, at: str) -> Moment:
    """The moment ``at`` names: ``"2"`` the end of epoch 2 (``"0"`` the start), ``"b1204"`` batch 1204.

    A batch that was thinned away gives the nearest recorded moment before it (``Moment.step``
    says which). Raises RunFileError for text that names no moment of this run.
    """
    text = str(at).strip().lower()
    if text.startswith("b") and text[1:].isdigit():
        step = int(text[1:])
        last = timeline.last_step
        if last is None or not timeline.start_step <= step <= last:
            raise RunFileError(f"the run has batches {timeline.start_step} to {last}, not {step}")
        return timeline.moment_at(step)
    if text.isdigit():
        epoch = int(text)
        if epoch == 0:
            return timeline.moment_at(timeline.start_step)
        ends = timeline.epoch_end_steps()
        if epoch > len(ends):
            raise RunFileError(f"the run has {len(ends)} epoch{'s' if len(ends) != 1 else ''}, so there is no epoch {epoch}")
        return timeline.moment_at(int(ends[epoch - 1]))
    raise RunFileError(f"a moment is an epoch number (e.g. 2) or a batch as bN (e.g. b1204), not {one_line(at)!r}")


def metrics_csv(timeline: Timeline) -> str:
    """Every batch's figures as CSV: step, epoch, batch, epoch_float, loss, accuracy, val_loss, val_accuracy.

    The validation columns are filled at epoch ends only. Floats are written with 9 significant
    digits, so float32 values read back exactly.
    """
    m = timeline.metrics()
    val = {int(s): (float(lo), float(ac)) for s, lo, ac in zip(m.val_step, m.val_loss, m.val_accuracy, strict=True)}
    lines = ["step,epoch,batch,epoch_float,loss,accuracy,val_loss,val_accuracy"]
    for step, epoch, batch, x, loss, acc in zip(m.step.tolist(), m.epoch.tolist(), m.batch.tolist(),
                                                 m.epoch_float.tolist(), m.loss.tolist(), m.accuracy.tolist(),
                                                 strict=True):
        v = val.get(step)
        tail = f"{v[0]:.9g},{v[1]:.9g}" if v else ","
        lines.append(f"{step},{epoch},{batch},{x:.17g},{loss:.9g},{acc:.9g},{tail}")
    return "\n".join(lines) + "\n"


def write_metrics_csv(path: str | os.PathLike, timeline: Timeline) -> Path:
    """Write :func:`metrics_csv` to ``path`` atomically; RunFileError when it cannot be written."""
    from visualizer.core.atomic import atomic_write_bytes

    target = Path(path)
    try:
        return atomic_write_bytes(target, metrics_csv(timeline).encode("utf-8"))
    except OSError as exc:
        raise RunFileError(f"cannot write {target.name}: {exc.strerror or exc}") from None
