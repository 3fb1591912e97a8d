"""BatchLog: every recorded batch's position and figures, and the validation points at epoch ends.

Columns grow by doubling; rows already written are never written again (truncation copies into
fresh arrays), so views of the first ``n`` rows stay valid for readers in other threads. Not
thread-safe on its own: the timeline calls it with its lock held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COLUMNS = {"epoch": np.int32, "batch": np.int32, "epoch_float": np.float64, "loss": np.float32,
           "accuracy": np.float32, "is_epoch_end": np.bool_}
VALIDATION = {"val_step": np.int64, "val_loss": np.float32, "val_accuracy": np.float32}
_MIN_ROWS = 1024


@dataclass(frozen=True)
class Metrics:
    """Per-batch figures of every batch recorded so far (read-only arrays, one row per batch).

    ``step[i]`` is the global step after the batch; ``val_*`` hold one row per validated epoch end.
    """

    step: np.ndarray  # int64
    epoch: np.ndarray  # int32
    batch: np.ndarray  # int32
    epoch_float: np.ndarray  # float64
    loss: np.ndarray  # float32
    accuracy: np.ndarray  # float32
    is_epoch_end: np.ndarray  # bool
    val_step: np.ndarray  # int64
    val_epoch_float: np.ndarray  # float64
    val_loss: np.ndarray  # float32
    val_accuracy: np.ndarray  # float32


class BatchLog:
    """Rows for the batches after ``start_step`` (row ``i`` is step ``start_step + i + 1``)."""

    def __init__(self, start_step: int = 0, start_x: float = 0.0):
        self.start_step = int(start_step)
        self.start_x = float(start_x)  # epoch_float of the start
        self.n = 0
        self.nv = 0
        self._c = {name: np.empty(0, dtype) for name, dtype in COLUMNS.items()}
        self._v = {name: np.empty(0, dtype) for name, dtype in VALIDATION.items()}

    # --- writing ---------------------------------------------------------------------------
    def append(self, *, epoch: int, first_batch: int, batches_per_epoch: int, loss, accuracy,
               epoch_end: bool, x_offset: float) -> None:
        """``len(loss)`` batches of epoch ``epoch``, positions ``first_batch``.. (1-based) of ``batches_per_epoch``.

        ``epoch`` is already the timeline's; ``x_offset`` is where the run's epoch 0 starts on the
        epoch_float axis.
        """
        n = len(loss)
        end = self.n + n
        if end > len(self._c["loss"]):
            self._c = {name: _grown(a, end) for name, a in self._c.items()}
        rows = slice(self.n, end)
        pos = np.arange(first_batch, first_batch + n)
        self._c["epoch"][rows] = epoch
        self._c["batch"][rows] = pos
        self._c["epoch_float"][rows] = x_offset + pos / batches_per_epoch
        self._c["loss"][rows] = loss
        self._c["accuracy"][rows] = accuracy
        self._c["is_epoch_end"][rows] = False
        if epoch_end:
            self._c["is_epoch_end"][end - 1] = True
        self.n = end

    def add_validation(self, step: int, loss: float, accuracy: float) -> None:
        if self.nv == len(self._v["val_step"]):
            self._v = {name: _grown(a, self.nv + 1) for name, a in self._v.items()}
        for name, value in zip(VALIDATION, (step, loss, accuracy), strict=True):
            self._v[name][self.nv] = value
        self.nv += 1

    def truncate(self, step: int) -> None:
        """Keep the batches up to ``step`` (and their validation points), in fresh arrays."""
        self.n = max(0, min(self.n, int(step) - self.start_step))
        self._c = {name: a[: max(self.n, _MIN_ROWS)].copy() for name, a in self._c.items()}
        self.nv = int(np.searchsorted(self._v["val_step"][: self.nv], step, side="right"))
        self._v = {name: a.copy() for name, a in self._v.items()}

    # --- reading ---------------------------------------------------------------------------
    def position(self, step: int) -> tuple[int, int, float, bool]:
        """``(epoch, batch, epoch_float, is_epoch_end)`` after the batch that made ``step`` (the start: zeros)."""
        i = step - self.start_step - 1
        if i < 0:
            return 0, 0, self.start_x, False
        c = self._c
        return int(c["epoch"][i]), int(c["batch"][i]), float(c["epoch_float"][i]), bool(c["is_epoch_end"][i])

    def is_epoch_end(self, step: int) -> bool:
        i = step - self.start_step - 1
        return 0 <= i < self.n and bool(self._c["is_epoch_end"][i])

    def epoch_number(self, step: int) -> int:
        """1-based number of the epoch the batch at ``step`` belongs to."""
        return int(self._c["epoch"][step - self.start_step - 1]) + 1

    def figures(self, step: int) -> tuple[float, float, float | None, float | None]:
        """``(loss, accuracy, val_loss, val_accuracy)`` at ``step``: NaN at the start, validation at epoch ends."""
        i = step - self.start_step - 1
        if i < 0:
            return float("nan"), float("nan"), None, None
        loss, acc = float(self._c["loss"][i]), float(self._c["accuracy"][i])
        steps = self._v["val_step"][: self.nv]
        k = int(np.searchsorted(steps, step))
        if k < self.nv and steps[k] == step:
            return loss, acc, float(self._v["val_loss"][k]), float(self._v["val_accuracy"][k])
        return loss, acc, None, None

    def epoch_end_steps(self) -> np.ndarray:
        return np.flatnonzero(self._c["is_epoch_end"][: self.n]).astype(np.int64) + self.start_step + 1

    def view(self) -> Metrics:
        """Read-only views of the rows written so far (never written again)."""
        n, nv = self.n, self.nv
        v_step = self._v["val_step"][:nv]
        v_x = self._c["epoch_float"][v_step - self.start_step - 1] if nv else np.empty(0)
        step = np.arange(self.start_step + 1, self.start_step + n + 1, dtype=np.int64)
        columns = {name: _readonly(a[:n]) for name, a in self._c.items()}
        return Metrics(step=_readonly(step), **columns, val_step=_readonly(v_step), val_epoch_float=_readonly(v_x),
                       val_loss=_readonly(self._v["val_loss"][:nv]), val_accuracy=_readonly(self._v["val_accuracy"][:nv]))

    def columns(self) -> dict[str, np.ndarray]:
        """Copies of every column (per-batch and validation), for saving."""
        out = {name: a[: self.n].copy() for name, a in self._c.items()}
        out.update({name: a[: self.nv].copy() for name, a in self._v.items()})
        return out

    @classmethod
    def from_columns(cls, arrays: dict[str, np.ndarray], start_step: int, start_x: float) -> BatchLog:
        """A log from :meth:`columns` (from an untrusted file: raises ValueError unless they fit together)."""
        log = cls(start_step, start_x)
        n = len(arrays["loss"])
        for name, dtype in COLUMNS.items():
            if arrays[name].dtype != dtype or arrays[name].shape != (n,):
                raise ValueError(f"the per-batch column {name!r} is not {n} values of {np.dtype(dtype)}")
        nv = len(arrays["val_step"])
        for name, dtype in VALIDATION.items():
            if arrays[name].dtype != dtype or arrays[name].shape != (nv,):
                raise ValueError(f"the validation column {name!r} is not {nv} values of {np.dtype(dtype)}")
        x = arrays["epoch_float"]
        if not np.all(np.isfinite(x)) or np.any(np.diff(x) < 0):
            raise ValueError("the epoch positions are not finite and ascending")
        ends = np.flatnonzero(arrays["is_epoch_end"]) + start_step + 1
        val = arrays["val_step"]
        if nv and (np.any(np.diff(val) <= 0) or not np.all(np.isin(val, ends))):
            raise ValueError("a validation point is not at an epoch end")
        log.n, log.nv = n, nv
        log._c = {name: _grown(np.ascontiguousarray(arrays[name]), n) for name in COLUMNS}
        log._v = {name: _grown(np.ascontiguousarray(arrays[name]), nv) for name in VALIDATION}
        return log


def _grown(a: np.ndarray, n: int) -> np.ndarray:
    out = np.empty(max(n, 2 * len(a), _MIN_ROWS), dtype=a.dtype)
    out[: len(a)] = a
    return out


def _readonly(a: np.ndarray) -> np.ndarray:
    view = a.view()
    view.flags.writeable = False
    return view
