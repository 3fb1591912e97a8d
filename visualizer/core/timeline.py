"""Timeline: the recording of a run -- every batch's loss and accuracy, the network at every batch within a memory budget.

The training thread appends one block of batches per graph call; the GUI thread reads moments,
metric arrays and recorded steps at any time. One lock guards the bookkeeping. Weights are copied
once into slabs that are reused as the recording thins (core/slabs.py: memory stays within the
budget and is never freshly faulted in on the training thread), so a moment read hands out its
own copy of one row (52 KB for the default network); metric views are not copied at all (they end
at the rows already written, which are never written again; truncation copies into fresh arrays).

Memory: the 784-16-16-10 network has 13,002 parameters, 52,008 bytes of float32 per moment, so
the default 256 MB budget holds 5,161 moments: the start and every one of the first 5,160
batches (2.75 epochs of the 60,000 MNIST images at batch size 32). Past it the recording thins evenly: every
other ordinary moment goes and the recording stride doubles, so the whole run stays covered at
one resolution. The first 200 batches (where learning changes most), every epoch end and the
latest moment are always kept; only when epoch ends alone would fill half the budget (thousands
of one-batch epochs) are they thinned the same way. Per-batch metrics are kept for every batch.
"""

from __future__ import annotations

import bisect
import contextlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from visualizer.core.batchlog import BatchLog, Metrics
from visualizer.core.errors import ConfigError
from visualizer.core.network import Network, task_digit, validate_architecture
from visualizer.core.slabs import RowParts, RowStore

__all__ = ["DEFAULT_BUDGET", "KEEP_FIRST", "Batches", "Metrics", "Moment", "Timeline", "flatten_network"]

DEFAULT_BUDGET = 256 << 20  # bytes of recorded weights
KEEP_FIRST = 200  # batches from the start of the timeline that are never thinned


@dataclass(frozen=True)
class Moment:
    """The network and its figures after one batch (or at the start, ``batch == 0``).

    ``epoch`` is the 0-based epoch the batch belongs to and ``batch`` the batches done in it, so
    an epoch end has ``batch == batches_per_epoch`` and ``epoch_float == epoch + 1`` (for a run
    continued from the middle of an epoch, ``epoch_float`` carries on from where it stopped).
    ``loss``/``accuracy`` are the batch's (NaN at the start); ``val_*`` are set at epoch ends.
    """

    step: int
    epoch: int
    batch: int
    epoch_float: float
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    is_epoch_end: bool
    network: Network


@dataclass(frozen=True)
class Batches:
    """What the trainer hands over after one graph call: consecutive batches of one epoch.

    Parameters
    ----------
    first_step
        Global step after the first batch of the block (the timeline's last step + 1).
    epoch, first_batch, batches_per_epoch
        The run's own 0-based epoch, the position in it after the first batch (1-based) and the
        epoch's length; the timeline adds the offsets of earlier runs.
    loss, accuracy
        One value per batch.
    weight_steps, weights
        The captured networks: steps (ascending, within the block) and, in ``weights``, blocks of
        flat float32 rows, one row per step in order (kernels and biases interleaved, each kernel
        flattened row-major; a 1-D array is one row), or :class:`~visualizer.core.slabs.RowParts`
        (the same rows as column blocks, one per kernel and bias). The block's last step must be among them
        (the latest moment is always kept). The rows kept are copied; the timeline holds on to
        none of these arrays, so they may be views of a buffer that is written again later.
    epoch_end
        True when the block's last batch ends the epoch.
    """

    first_step: int
    epoch: int
    first_batch: int
    batches_per_epoch: int
    loss: np.ndarray
    accuracy: np.ndarray
    weight_steps: Sequence[int]
    weights: Sequence[np.ndarray]  # blocks (rows, values)
    epoch_end: bool = False


def flatten_network(network: Network) -> np.ndarray:
    """The network's kernels and biases as one flat float32 row, the layout of recorded moments."""
    return np.concatenate([a.ravel() for pair in zip(network.weights, network.biases, strict=True) for a in pair])


def kept_by_plan(steps, stride: int, keep_until: int) -> np.ndarray:
    """Which of ``steps`` the capture plan ``(stride, keep_until)`` keeps, as a boolean mask.

    The one rule shared by the timeline, the trainer's capture and its recorder: the first
    batches (up to ``keep_until``) and every ``stride``-th one (see :meth:`Timeline.capture_plan`).
    """
    steps = np.asarray(steps, dtype=np.int64)
    return (steps <= keep_until) | (steps % stride == 0)


class Timeline:
    """The recording of one run (and the runs that continue it), thread-safe.

    Parameters
    ----------
    budget
        Bytes the recorded weights may take (default 256 MB); :attr:`nbytes` never exceeds it
        by more than the protected moments need (the first and latest moment are always kept).
    keep_first
        Batches from the start that are never thinned (fewer when the budget is small: at most a
        quarter of the moments it holds).

    Notes
    -----
    Call :meth:`extend` before appending: it fixes the architecture and records the starting
    network. Then :meth:`append` blocks of batches and :meth:`set_validation` at epoch ends.
    """

    def __init__(self, budget: int = DEFAULT_BUDGET, *, keep_first: int = KEEP_FIRST):
        self._lock = threading.Lock()
        self._budget = int(budget)
        if self._budget < 0:
            raise ConfigError("the recording budget must be zero or more bytes")
        self._keep_first = max(0, int(keep_first))
        self._sizes: tuple[int, ...] | None = None
        self._activations: tuple[str, ...] = ()
        self._digit: int | None = None  # the question of a one-neuron network ("is it a 6?")
        self._row_size = 0
        self._log = BatchLog()  # every batch's position and figures
        self._steps: list[int] = []  # recorded moments, ascending
        self._slots: list[tuple[int, int]] = []  # where their weights are in the store
        self._store: RowStore | None = None
        self._stride = 1
        self._epoch_stride = 1
        self._epoch_offset = 0
        self._x_offset = 0.0
        self.version = 0  # bumped on every change, so a view can tell when to redraw

    # --- state -----------------------------------------------------------------------------
    @property
    def budget(self) -> int:
        """Bytes the recorded weights may take; setting a smaller one thins at once."""
        return self._budget

    @budget.setter
    def budget(self, value: int) -> None:
        value = int(value)
        if value < 0:
            raise ConfigError("the recording budget must be zero or more bytes")
        with self._lock:
            self._budget = value
            self._thin()
            if self._store is not None:
                self._slots = self._store.shrink(self._slots, max(self.capacity, 2))
            self.version += 1

    @property
    def nbytes(self) -> int:
        """Bytes of the recorded weights (exact: moments held x parameters x 4)."""
        with self._lock:
            return self._store.nbytes if self._store else 0

    @property
    def reserved_nbytes(self) -> int:
        """Bytes of memory set aside for weights (at most the budget, but for protected moments)."""
        with self._lock:
            return self._store.reserved_nbytes if self._store else 0

    def reserve(self, moments: int, parameters: int) -> None:
        """Set aside (and touch) memory for ``moments`` moments of a ``parameters``-value network.

        At most what the budget holds. Optional: recording allocates as it goes, but memory
        written for the first time is slow (a page fault every 4 KB), so the trainer reserves what
        a run will need before it starts. Ignored when the timeline records another architecture.
        """
        with self._lock:
            if self._row_size and self._row_size != parameters:
                return
            if self._store is None:
                self._store = RowStore(int(parameters))
            store, target = self._store, min(int(moments), max(self._budget // (4 * int(parameters)), 2))
        # One slab (2 MB) at a time, the lock released between: touching a 256 MB budget's pages
        # takes 0.1-0.4 s, which every reader (the window's timeline bar each frame) would wait out.
        while True:
            with self._lock:
                if self._store is not store or store.capacity >= target:
                    return
                store.reserve(min(target, store.capacity + store.slab_rows))

    @property
    def capacity(self) -> int:
        """How many moments the budget holds (0 before the architecture is known)."""
        return self._budget // (4 * self._row_size) if self._row_size else 0

    @property
    def stride(self) -> int:
        """Ordinary moments are kept at steps that are multiples of this (1 until the budget is full)."""
        return self._stride

    @property
    def keep_until(self) -> int:
        """Moments at steps up to this one are never thinned (the start plus the first batches)."""
        return self._log.start_step + self._protected_first()

    def capture_plan(self) -> tuple[int, int]:
        """``(stride, keep_until)``: which batches a recorder needs to capture to lose nothing kept."""
        with self._lock:
            return self._stride, self.keep_until

    @property
    def layer_sizes(self) -> tuple[int, ...] | None:
        return self._sizes

    @property
    def activations(self) -> tuple[str, ...]:
        return self._activations

    @property
    def digit(self) -> int | None:
        """The digit a recorded one-neuron network answers for (None: ten digits, or unknown)."""
        return self._digit

    @property
    def start_step(self) -> int:
        return self._log.start_step

    @property
    def batch_count(self) -> int:
        """Batches recorded (each has its loss and accuracy)."""
        return self._log.n

    def __len__(self) -> int:
        """Moments whose weights are kept."""
        return len(self._steps)

    @property
    def last_step(self) -> int | None:
        """Step of the latest moment, None while empty."""
        with self._lock:
            return self._steps[-1] if self._steps else None

    # --- writing ---------------------------------------------------------------------------
    def extend(self, network: Network, step: int = 0) -> None:
        """Start the recording with ``network`` at global ``step``, or continue it with another run.

        An empty timeline takes the architecture and records ``network`` as its first moment.
        A timeline with moments continues only from its latest moment (``step`` must equal it;
        see :meth:`truncate_after`) with the same architecture, else ConfigError. The next run's
        epochs count on from the timeline's: after an epoch end its epoch 0 is the next epoch;
        from the middle of an epoch it completes that epoch (its ``epoch_float`` continues from
        the moment, so the curves never go back).
        """
        with self._lock:
            if not self._steps:
                self._sizes = tuple(network.layer_sizes)
                self._activations = tuple(network.activations)
                self._digit = network.digit
                self._row_size = network.parameter_count
                self._log = BatchLog(int(step))
                if self._store is None or self._store.row_size != self._row_size or self._store.used:
                    self._store = RowStore(self._row_size)
                self._steps = [int(step)]
                self._slots = [self._store.put(flatten_network(network), max(self.capacity, 2))]
                self._epoch_offset, self._x_offset = 0, 0.0
            else:
                if (tuple(network.layer_sizes) != self._sizes or tuple(network.activations) != self._activations
                        or network.digit != self._digit):
                    raise ConfigError(
                        f"this recording holds a {'-'.join(map(str, self._sizes))} network; "
                        f"a {network.describe()} network starts a new one"
                    )
                if int(step) != self._steps[-1]:
                    raise ValueError(f"the timeline ends at step {self._steps[-1]}, not {step}: truncate first")
                # A run continued from the middle of an epoch finishes that epoch's count: its
                # first epoch end is that epoch's end, and epoch_float carries on from the moment.
                epoch, _, x, end = self._log.position(self._steps[-1])
                self._epoch_offset, self._x_offset = (epoch + 1 if end else epoch), x
            self.version += 1

    def append(self, block: Batches) -> None:
        """Record one block of batches from the trainer (see :class:`Batches`)."""
        n = len(block.loss)
        if n == 0:
            return
        steps = list(map(int, block.weight_steps))
        last = block.first_step + n - 1
        blocks = [b if isinstance(b, RowParts) else np.asarray(b).reshape(-1, np.shape(b)[-1])
                  for b in block.weights]
        if not steps or steps[-1] != last or len(steps) != sum(len(b) for b in blocks):
            raise ValueError("a block must include the weights after its last batch")
        with self._lock:
            if not self._steps:
                raise ValueError("extend() the timeline before appending")
            expected = self._log.start_step + self._log.n + 1
            if block.first_step != expected:
                raise ValueError(f"block starts at step {block.first_step}, expected {expected}")
            if any(b.shape[1] != self._row_size for b in blocks):
                raise ValueError(f"weight rows must have {self._row_size} values")
            self._log.append(epoch=self._epoch_offset + block.epoch, first_batch=block.first_batch,
                             batches_per_epoch=block.batches_per_epoch, loss=block.loss, accuracy=block.accuracy,
                             epoch_end=block.epoch_end, x_offset=self._x_offset + block.epoch)
            if self._append_fast(steps, blocks):
                self.version += 1
                return
            rows = (row for b in blocks for row in b)
            for s, row in zip(steps, rows, strict=True):
                self._drop_superseded_latest()
                if s == last or self._worth_keeping(s):
                    self._thin(room_for=1)
                    self._steps.append(s)
                    self._slots.append(self._store.put(row, max(self.capacity, 2)))
            self.version += 1

    def _append_fast(self, steps: list[int], blocks: list[np.ndarray]) -> bool:
        """The common case of :meth:`append` (nothing to thin), in bulk; False when it does not apply.

        Only a block's last batch can end an epoch (a graph call never crosses one), so the rows
        before it are kept when they are among the first batches or on the stride.
        """
        if len(blocks) > 2:
            return False
        self._drop_superseded_latest()
        s = np.asarray(steps[:-1], dtype=np.int64)
        keep = kept_by_plan(s, self._stride, self.keep_until)
        if len(self._steps) + int(keep.sum()) + 1 > max(self.capacity, 2):
            return False
        rows = blocks[0]
        last = blocks[-1][-1]
        if len(blocks) == 2:  # the rows captured in the loop, then the network after the call
            kept = rows[keep] if not keep.all() else rows
        else:
            kept = rows[:-1][keep] if not keep.all() else rows[:-1]
        limit = max(self.capacity, 2)
        self._slots += self._store.put_many(kept, limit)
        self._slots.append(self._store.put(last, limit))
        self._steps += [*s[keep].tolist(), steps[-1]]
        return True

    def set_validation(self, step: int, loss: float, accuracy: float) -> None:
        """The validation figures measured after the epoch that ended at ``step``."""
        with self._lock:
            self._log.add_validation(step, loss, accuracy)
            self.version += 1

    def truncate_after(self, step: int) -> Moment:
        """Drop everything after the moment at or before ``step`` ("Continue from here"); return that moment.

        The kept arrays are copied, so views handed out earlier keep showing what they showed.
        """
        with self._lock:
            if not self._steps:
                raise ValueError("the timeline is empty")
            i = max(bisect.bisect_right(self._steps, int(step)) - 1, 0)
            keep = self._steps[i]
            for slot in self._slots[i + 1 :]:
                self._store.release(slot)
            del self._steps[i + 1 :], self._slots[i + 1 :]
            self._log.truncate(keep)
            self.version += 1
            parts = self._moment(i)
        return self._build(parts)

    # --- reading ---------------------------------------------------------------------------
    def moment_at(self, step: int) -> Moment:
        """The recorded moment at ``step`` or the nearest one before it (the first for earlier steps)."""
        with self._lock:
            if not self._steps:
                raise LookupError("nothing is recorded yet")
            parts = self._moment(max(bisect.bisect_right(self._steps, int(step)) - 1, 0))
        return self._build(parts)

    @property
    def latest(self) -> Moment | None:
        """The newest moment (always recorded), None while empty."""
        with self._lock:
            if not self._steps:
                return None
            parts = self._moment(len(self._steps) - 1)
        return self._build(parts)

    @property
    def busy(self) -> bool:
        """True while another thread reads or writes the recording (a reader now would wait).

        The window's once-a-frame readers skip a frame rather than wait for the recorder's copy.
        """
        return self._lock.locked()

    def bounds(self) -> tuple[int, int] | None:
        """(first, last) recorded step without copying the steps; None while empty."""
        with self._lock:
            return (self._steps[0], self._steps[-1]) if self._steps else None

    def recorded_step(self, step: int) -> int:
        """The step of the moment :meth:`moment_at` returns for ``step`` (no copy of the steps)."""
        with self._lock:
            if not self._steps:
                raise LookupError("nothing is recorded yet")
            return self._steps[max(bisect.bisect_right(self._steps, int(step)) - 1, 0)]

    def steps(self) -> np.ndarray:
        """Steps of the recorded moments, ascending (a copy)."""
        with self._lock:
            return np.array(self._steps, dtype=np.int64)

    def epoch_end_steps(self) -> np.ndarray:
        """Steps at which an epoch ended."""
        with self._lock:
            return self._log.epoch_end_steps()

    def metrics(self) -> Metrics:
        """Every batch's figures so far and the validation points, as read-only views."""
        with self._lock:
            return self._log.view()

    # --- saving and restoring (core/runfile.py) --------------------------------------------
    @contextlib.contextmanager
    def export(self) -> Iterator[tuple[dict, dict[str, np.ndarray], list[np.ndarray]]]:
        """``with timeline.export() as (header, arrays, rows):`` everything :meth:`from_state` needs.

        ``header`` is JSON-ready; ``arrays`` are per-batch and validation columns plus the
        moments' steps (copies); ``rows`` are the moments' flat weights as read-only views, valid
        inside the block: recording may go on meanwhile, but the memory they show is not reused
        until the block ends (the recording may grow past its budget by what it records meanwhile).
        """
        with self._lock:
            state = self._state()
            self._store.pin()
        try:
            yield state
        finally:
            with self._lock:
                self._store.unpin()
                # Recording that went on meanwhile may have needed more memory: give it back.
                self._slots = self._store.shrink(self._slots, max(self.capacity, 2))

    def _state(self) -> tuple[dict, dict[str, np.ndarray], list[np.ndarray]]:
        if not self._steps:
            raise ValueError("nothing is recorded yet")
        header = {
            "layer_sizes": list(self._sizes),
            "activations": list(self._activations),
            "digit": self._digit,
            "start_step": self._log.start_step,
            "start_epoch_float": self._log.start_x,
            "budget": self._budget,
            "keep_first": self._keep_first,
            "stride": self._stride,
            "epoch_stride": self._epoch_stride,
            "epoch_offset": self._epoch_offset,
            "epoch_float_offset": self._x_offset,
        }
        arrays = {**self._log.columns(), "moment_steps": np.array(self._steps, dtype=np.int64)}
        return header, arrays, [self._store.view(slot) for slot in self._slots]

    @classmethod
    def from_state(cls, header: dict, arrays: dict[str, np.ndarray], rows: Iterable[np.ndarray]) -> Timeline:
        """Rebuild a timeline from :meth:`export`'s output (from an untrusted file: checked).

        ``rows`` may be an iterator (each row is copied in as it comes, so it can reuse one buffer).

        Raises ValueError (one sentence) when the parts do not fit together; WeightsError for an
        architecture nnviz cannot run.
        """
        validate_architecture(header["layer_sizes"], header["activations"])
        tl = cls(int(header["budget"]), keep_first=int(header["keep_first"]))
        tl._sizes = tuple(int(s) for s in header["layer_sizes"])
        tl._activations = tuple(str(a) for a in header["activations"])
        tl._digit = task_digit(header.get("digit"), tl._activations[-1])  # recordings before tasks: none
        tl._row_size = sum(a * b + b for a, b in zip(tl._sizes[:-1], tl._sizes[1:], strict=True))
        tl._stride, tl._epoch_stride = int(header["stride"]), int(header["epoch_stride"])
        tl._epoch_offset, tl._x_offset = int(header["epoch_offset"]), float(header["epoch_float_offset"])
        if tl._stride < 1 or tl._epoch_stride < 1 or tl._stride & (tl._stride - 1):
            raise ValueError("the recording stride is not a power of two")
        start = int(header["start_step"])
        tl._log = BatchLog.from_columns(arrays, start, float(header["start_epoch_float"]))
        steps = arrays["moment_steps"]
        if steps.dtype != np.int64 or steps.ndim != 1 or not len(steps):
            raise ValueError("the moments' steps are not a list of whole numbers")
        if steps[0] != start or steps[-1] != start + tl._log.n or np.any(np.diff(steps) <= 0):
            raise ValueError("the moments' steps are not ascending from the start to the last batch")
        tl._steps = [int(s) for s in steps]
        tl._store = RowStore(tl._row_size)
        tl._store.reserve(len(steps))
        for row in rows:
            if row.dtype != np.float32 or row.shape != (tl._row_size,):
                raise ValueError(f"a moment's weights are not {tl._row_size} float32 values")
            if not np.isfinite(row).all():
                raise ValueError("a moment's weights contain NaN or infinite values")
            if len(tl._slots) == len(steps):
                raise ValueError("there are more weight rows than moments")
            tl._slots.append(tl._store.put(row, len(steps)))
        if len(tl._slots) != len(steps):
            raise ValueError("the moments' steps and weights differ in number")
        return tl

    # --- internals (called with the lock held) ----------------------------------------------
    def _protected_first(self) -> int:
        cap = self.capacity
        return min(self._keep_first, cap // 4) if self._row_size else self._keep_first

    def _protected(self, step: int) -> bool:
        if step <= self.keep_until:
            return True
        if self._log.is_epoch_end(step):
            return self._log.epoch_number(step) % self._epoch_stride == 0
        return False

    def _worth_keeping(self, step: int) -> bool:
        return self._protected(step) or step % self._stride == 0

    def _drop_superseded_latest(self) -> None:
        # The latest moment is kept whatever its step; once a newer one comes it must earn its place.
        if len(self._steps) > 1 and not self._worth_keeping(self._steps[-1]):
            self._steps.pop()
            self._store.release(self._slots.pop())

    def _thin(self, room_for: int = 0) -> None:
        """Drop moments until ``room_for`` more fit the budget (the latest one stays unless room is asked for)."""
        cap = max(self.capacity, 2)  # the first and the latest moment stay whatever the budget
        while len(self._steps) + room_for > cap:
            end = len(self._steps) if room_for else len(self._steps) - 1
            ordinary = [i for i in range(1, end) if not self._protected(self._steps[i])]
            ends = [i for i in range(1, end) if self._log.is_epoch_end(self._steps[i]) and self._protected(self._steps[i])]
            if len(ends) > (cap - 2) // 2:  # room for the first and the latest moment
                self._epoch_stride *= 2  # thousands of tiny epochs: their ends are thinned too
                drop = {i for i in ends if not self._worth_keeping(self._steps[i])}
            elif ordinary:
                self._stride *= 2
                drop = {i for i in ordinary if self._steps[i] % self._stride}
                if not drop and self._stride > self._steps[-1]:
                    drop = {ordinary[0]}  # a lone survivor of a long halving: give it up
            else:
                break  # only protected moments are left
            for i in drop:
                self._store.release(self._slots[i])
            self._steps = [s for i, s in enumerate(self._steps) if i not in drop]
            self._slots = [s for i, s in enumerate(self._slots) if i not in drop]

    def _moment(self, i: int) -> _MomentParts:
        """What a moment is made of, its weights copied (their memory is reused once thinned)."""
        step = self._steps[i]
        epoch, batch, x, end = self._log.position(step)
        loss, acc, val_loss, val_acc = self._log.figures(step)
        row = self._store.view(self._slots[i]).copy()
        return _MomentParts((step, epoch, batch, x, loss, acc, val_loss, val_acc, end), row)

    def _build(self, parts: _MomentParts) -> Moment:
        """The Moment, its Network made of views of the copied row (outside the lock: it validates)."""
        row = parts.row
        row.flags.writeable = False
        sizes, weights, biases, at = self._sizes, [], [], 0
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            weights.append(row[at : at + a * b].reshape(a, b))
            biases.append(row[at + a * b : at + a * b + b])
            at += a * b + b
        hidden, output = self._activations[:-1], self._activations[-1]
        network = Network.from_arrays(weights, biases, hidden, output=output, digit=self._digit, copy=False)
        return Moment(*parts.fields, network)


@dataclass(frozen=True)
class _MomentParts:
    fields: tuple
    row: np.ndarray
