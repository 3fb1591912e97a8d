"""Recorder: the trainer's two capture buffers and the thread that copies each graph call's batches into the timeline.

Why two buffers and a thread: recording every batch means copying every batch's network (52 KB
for 784-16-16-10, ~3,000 batches a second at full speed). The graph writes each call's networks
into one buffer (a tf.Variable per kernel and bias: each variable is copied once, where a single
flat buffer needed their concatenation first, a second copy of every network); the rows are read
from it without a copy (NumPy views of the variables' memory) and copied once, into the timeline's
slabs, each part into its columns. That copy -- cold memory to cold
memory, tens of megabytes a second -- ran on the training thread between graph calls and cost
as much as the in-graph capture itself; here it runs on the recorder's thread while the next
call trains into the other buffer (NumPy releases the GIL while it copies).

A buffer is written again only after its copy is done and every reference to its memory is gone
(TensorFlow would otherwise copy the whole buffer before the first write, so it would still be
correct, only slow). Timeline writes keep their order: everything goes through one queue, and
:meth:`Recorder.flush` waits until it is empty (the trainer flushes before every snapshot but
those of a full-speed run, so a paused or stepped run's timeline always holds its snapshot).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

import numpy as np

from visualizer.core.slabs import RowParts
from visualizer.core.timeline import Batches, Timeline, kept_by_plan

__all__ = ["BRANCHLESS_BYTES", "CAPTURE_BYTES", "Recorder", "batches_fitting", "capture_rows"]

# Each of the two capture buffers; bounds the batches per call. 16 MB holds 322 networks of the
# default 13,002 parameters, more than a full-speed call runs here (one snapshot interval, 1/30 s:
# ~280 batches): at 8 MB (161) recorded calls were half as long as plain ones, twice as many, and
# recording on/off measured 0.74 against 0.86 at 16 MB in the same alternating runs.
CAPTURE_BYTES = 16 << 20
BRANCHLESS_BYTES = 256 << 10  # networks up to this size are written every batch (no tf.cond): see Trainer


class Recorder:
    """Two capture buffers and a copying thread for ``timeline``.

    A buffer is one ``(rows, *shape)`` float32 variable per kernel and bias.

    Parameters
    ----------
    tf
        The TensorFlow module (the recorder is built in the training thread).
    timeline
        Where the batches go.
    rows, shapes
        Networks each buffer holds (at least 1) and the shape of each kernel and bias, in the
        order of a recorded row.
    spare
        Give each buffer one more row, where the graph writes networks that are not recorded.
    """

    def __init__(self, tf, timeline: Timeline, rows: int, shapes, *, spare: bool = False):
        self.timeline = timeline
        self.rows = max(1, int(rows))
        self.spare = bool(spare)
        height = self.rows + self.spare
        self._buffers = [[tf.Variable(tf.zeros((height, *map(int, shape)), tf.float32), trainable=False)
                          for shape in shapes] for _ in range(2)]
        self._idle = [threading.Event(), threading.Event()]
        for event in self._idle:
            event.set()
        self._next = 0
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def buffers(self) -> list[list]:
        """The two capture buffers, each a list of variables (the trainer traces one graph for each)."""
        return [list(b) for b in self._buffers]

    def next_buffer(self) -> int:
        """The buffer the next recording call writes into, once its previous copy is done."""
        index = self._next
        self._idle[index].wait()
        self._raise_error()
        return index

    def hand_over(self, index: int, buffer, rows: int, metrics,
                  block: Callable[[RowParts, np.ndarray], Batches]) -> None:
        """Append ``block(row_parts, metrics)`` to the timeline on the recorder's thread.

        ``buffer`` is the call's read of buffer ``index`` (one tensor per variable, the variables'
        own memory) and ``rows`` the rows it wrote; ``row_parts`` views their first ``rows`` rows;
        ``metrics`` the call's (batches, 2) losses and hits. The caller must drop its own
        references to ``buffer``; the recorder drops its own once copied.
        """
        self._idle[index].clear()
        self._next = 1 - index
        self._start()
        self._queue.put((index, (buffer, int(rows), metrics, block)))

    def call(self, fn: Callable, *args) -> None:
        """Run ``fn(*args)`` on the recorder's thread after everything handed over before."""
        self._start()
        self._queue.put((None, (fn, args)))

    def flush(self) -> None:
        """Wait until everything handed over is in the timeline; re-raise a failure of the copy."""
        if self._thread is not None:
            done = threading.Event()
            self._queue.put((None, (done.set, ())))
            done.wait()
        self._raise_error()

    def close(self) -> None:
        """Finish the queue and end the thread (the recorder can start again later)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._raise_error()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="nnviz-recorder", daemon=True)
            self._thread.start()

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            index, job = item
            del item
            try:
                self._do(index, job)
            except BaseException as exc:  # handed to the training thread at its next wait
                self._error = exc
            finally:
                del job  # no reference to the buffer's memory outlives its copy
                if index is not None:
                    self._idle[index].set()

    def _do(self, index: int | None, job: tuple) -> None:
        if index is None:
            fn, args = job
            fn(*args)
            return
        buffer, rows, metrics, block = job
        # No copy: views of the variables' memory.
        view = RowParts([np.asarray(part)[:rows].reshape(rows, -1) for part in buffer])
        self.timeline.append(block(view, np.asarray(metrics)))  # the one copy, into the slabs


def _captured(step: int, batches: int, stride: int, keep_until: int) -> int:
    """How many of the steps after ``step`` .. ``step + batches`` are captured (at most ``keep_until``, or on the stride)."""
    end = step + batches
    early = max(0, min(end, keep_until) - step)
    late = max(0, end // stride - max(step, keep_until) // stride)
    return early + late


def _rows_needed(step: int, batches: int, stride: int, keep_until: int) -> int:
    """Capture rows a call of ``batches`` batches after ``step`` writes: the kept ones, plus its last if not kept."""
    end = step + batches
    last_kept = batches == 0 or end <= keep_until or end % stride == 0
    return _captured(step, batches, stride, keep_until) + (0 if last_kept else 1)


def batches_fitting(step: int, stride: int, keep_until: int, rows: int, limit: int) -> int:
    """The most batches (up to ``limit``, at least 1) whose captures fit in ``rows`` capture rows.

    The rows needed never decrease with the batches (a kept batch replaces the extra last row),
    so a bisection finds it; one batch always fits (its network is one row).
    """
    if _rows_needed(step, limit, stride, keep_until) <= rows:
        return limit
    lo, hi = min(1, limit), limit  # rows_needed(lo) fits, rows_needed(hi) does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _rows_needed(step, mid, stride, keep_until) <= rows else (lo, mid)
    return lo


def capture_rows(step: int, batches: int, stride: int, keep_until: int, spare: int) -> np.ndarray:
    """The capture row each of ``batches`` batches after ``step`` writes its network into (int32).

    Each goes to the row after the kept ones before it (so an unkept one is overwritten by the
    next batch, and the call's last network is always in the row after the kept ones), at most
    ``spare`` (the extra row, only reached by unkept networks once the others are full).
    """
    steps = np.arange(step + 1, step + batches + 1, dtype=np.int64)
    kept = kept_by_plan(steps, stride, keep_until)
    before = np.cumsum(kept) - kept  # kept batches before each one
    return np.minimum(before, spare).astype(np.int32)
