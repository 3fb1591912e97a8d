"""The training loop: mini-batch training in compiled chunks, with pause/step/stop/pace, live snapshots and a recording.

Why not ``model.fit``: for a 13k-parameter network, Keras' per-batch Python work costs several
times more than the arithmetic. Here one ``tf.function`` call runs a whole chunk of batches in a
graph loop (data held as tensors, batches gathered from a per-epoch shuffled index table). A chunk
ends when the next snapshot is due, when the epoch ends, when the recording buffer is full, or
when the in-graph halt flag is set by ``TrainingControl.pause()``/``stop()`` -- the flag is read
before every batch, so pause and stop take effect after the batch that is running (an optimizer
step is never cut in half).

Recording: with a :class:`~visualizer.core.timeline.Timeline`, the graph loop also writes every
batch's loss and accuracy and, at the timeline's stride, the network into a bounded capture
buffer (16 MB, a variable per kernel and bias), and after the loop the network after the call's
last batch, so the latest moment and every epoch end are always recorded. The buffers alternate
between calls and a :class:`~visualizer.training.recorder.Recorder` thread copies each call's rows
into the timeline while the next call trains (the only copy of the recorded weights outside the
graph).

Pace: ``TrainingControl.set_pace`` runs fewer batches per call (one at up to 30 batches/s, each
followed by a snapshot) and waits between calls on the control's wake event, so pause, stop, step
and a new pace interrupt a wait at once (see :mod:`visualizer.training.pace`).

The algorithm is the tutorial's: shuffle every epoch, batches of ``batch_size`` (the last one
smaller), loss = mean sparse categorical cross-entropy, one optimizer step per batch. For "one
digit vs the rest" (``config.one_vs_rest``) the labels are 1 for that digit and 0 for the rest,
the one sigmoid neuron's loss is binary cross-entropy and a hit is "above 0.5" matching the label.
With ``config.train_subset`` only the first that many training images are used.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from visualizer.core.config import TrainingConfig
from visualizer.core.confusion import evaluate as evaluate_set
from visualizer.core.errors import ConfigError, DataError, TrainingDiverged
from visualizer.core.history import MetricHistory
from visualizer.core.network import Network
from visualizer.core.snapshot import SnapshotEvent, TrainingSnapshot
from visualizer.core.timeline import Batches, Timeline, kept_by_plan
from visualizer.data.dataset import Dataset
from visualizer.training.control import PAUSE, RUN, STOP, TrainingControl
from visualizer.training.model import build_model, make_optimizer
from visualizer.training.pace import Pacer
from visualizer.training.pixels import as_pixels, pixel_tensor
from visualizer.training.recorder import BRANCHLESS_BYTES, CAPTURE_BYTES, Recorder, batches_fitting, capture_rows
from visualizer.training.update import fused_update
from visualizer.training.tfenv import import_keras, import_tf

__all__ = ["TrainResult", "Trainer", "TrainingControl"]

_MAX_CALL_SECONDS = 0.25  # upper bound on one graph call when no snapshot is due sooner
STOP_TEST_SECONDS = 0.25  # Stop skips the final test pass when it would take longer than this (Stop stays prompt)
_TEST_FLOPS = 1e11  # multiply-adds x 2 per second a test pass reaches here, until one was timed (2 cores: ~1e11)
# The copies of every weight that each graph call makes (the snapshot's, the divergence backup's
# and, recording, the capture row's and the recorder's into the timeline) may take at most this
# share of training time; at 2.9M parameters they took 15-25% of it at 30 calls a second.
COPY_SHARE = 0.1


@dataclass(frozen=True)
class TrainResult:
    """What a finished (or stopped) run leaves behind."""

    snapshot: TrainingSnapshot  # final weights (the last good ones on divergence)
    test_loss: float
    test_accuracy: float
    test_balanced_accuracy: float  # the mean of the recall on each class (for one digit vs the rest: the digit and the rest)
    samples_per_second: float
    seconds: float
    batches: int
    stopped: bool  # True when stopped by the user before the last epoch ended


class Trainer:
    """Train ``build_model(config)`` on ``dataset``, reporting throttled snapshots.

    Construct and run it in the training thread: building the model already uses TensorFlow.

    Parameters
    ----------
    config, dataset
        What to train and on what. ``dataset.x_test``/``y_test`` give the per-epoch validation.
    initial
        Continue from these weights (same layer sizes and activation, else ConfigError) with a
        fresh optimizer; the global step counter continues from ``initial.step``.
    run_id
        Copied into every snapshot so the GUI can drop snapshots of an older run.
    snapshot_interval
        Minimum seconds between "batch" snapshots (start, epoch ends, steps and the end always
        get one; so does every call of a paced run). Big networks get them less often: see
        :meth:`effective_interval`.
    start_paused
        Pause before the first batch (after the "start" snapshot); ``control.step(n)`` then
        runs exactly ``n`` batches.
    timeline
        Record the run into it: :meth:`run` calls ``timeline.extend`` with the starting weights
        (so a timeline that already holds a run is continued, and must end at this run's first
        step), then appends every batch.
    clock, sleep
        Time source (seconds) and, for tests, a replacement for waiting between paced calls:
        ``sleep(seconds)`` instead of waiting on the control's wake event.
    gradient_stats
        Measure, in the graph loop, the gradient size ‖∂L/∂W‖ and update-to-weight ratio
        ‖ΔW‖/‖W‖ per layer of the first batch of every graph call (a call lasts at most one
        snapshot interval; a paced call or a step(1) is one batch, so there every batch); snapshots
        carry the latest as ``metrics["grad_norms"]`` and ``metrics["update_ratios"]`` (tuples,
        one float per layer). False only to measure what they cost (``nnviz bench``).
    """

    def __init__(
        self,
        config: TrainingConfig,
        dataset: Dataset,
        *,
        initial: TrainingSnapshot | None = None,
        run_id: int = 0,
        snapshot_interval: float = 1 / 30,
        start_paused: bool = False,
        timeline: Timeline | None = None,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] | None = None,
        gradient_stats: bool = True,
    ):
        keras = import_keras()
        tf = import_tf()
        self.config = config
        self.dataset = dataset
        self.run_id = int(run_id)
        self.snapshot_interval = max(0.0, float(snapshot_interval))
        self.start_paused = bool(start_paused)
        self.timeline = timeline
        self._clock = clock
        self._sleep = sleep
        self.gradient_stats = bool(gradient_stats)
        n = len(dataset.x_train)
        if n == 0 or len(dataset.y_train) != n:
            raise DataError("the training set is empty or its images and labels differ in number")
        if config.train_subset is not None:
            n = min(n, config.train_subset)
        if initial is not None and (
            tuple(initial.layer_sizes) != tuple(config.layer_sizes)
            or initial.network.hidden_activations != (config.activation,) * len(config.hidden)
            or initial.network.digit != config.one_vs_rest
        ):
            raise ConfigError(
                f"cannot continue from a {initial.network.describe()} network "
                f"with a {'-'.join(map(str, config.layer_sizes))} {config.activation} configuration"
            )

        keras.utils.set_random_seed(config.seed)
        self.model = build_model(config)
        self._vars = [v for layer in self.model.layers for v in (layer.kernel, layer.bias)]
        if initial is not None:
            for v, a in zip(self._vars, _interleave(initial.weights, initial.biases), strict=True):
                v.assign(np.asarray(a, dtype=np.float32))
        self._optimizer = make_optimizer(config)  # the source of the hyperparameters
        self._apply = fused_update(import_tf(), self._optimizer, [v.value for v in self._vars])

        self._n = n
        self._batch = min(int(config.batch_size), n)  # a batch never needs more rows than the data
        self._batches_per_epoch = math.ceil(n / self._batch)
        self._last_batch = n - (self._batches_per_epoch - 1) * self._batch  # the epoch's last batch is short
        self._rng = np.random.default_rng(config.seed)
        self._step = int(initial.step) if initial is not None else 0
        self._epoch = 0
        self._pos = 0  # batches done in the current epoch
        self._history = MetricHistory()
        self._train_metrics: tuple[float | None, float | None] = (None, None)
        self._grad_stats: tuple[tuple[float, ...], tuple[float, ...]] | None = None  # (norms, ratios) of the last call
        self._order_rows: np.ndarray | None = None  # the epoch's shuffle, as loaded into self._order
        self._val: tuple[float | None, float | None] = (None, None)
        self._speed = 0.0
        self._eta: float | None = None
        self._ran = False
        self._copy_seconds = 0.0  # what the last snapshot's copy of the weights cost
        self._test_seconds: float | None = None  # what the last test-set pass took
        self._prepared = False
        self.prepare_seconds: float | None = None
        self._released = False

        self._x = pixel_tensor(tf, dataset.x_train[:n])
        self._y = tf.convert_to_tensor(self._task_labels(dataset.y_train[:n]))
        n_test = len(dataset.x_test)
        # The test set stays float32: it is evaluated whole at every epoch end, where converting
        # 10,000 images from 8-bit levels made the pass 41 ms instead of 14 ms (23.5 MB saved).
        self._x_test = tf.convert_to_tensor(np.asarray(dataset.x_test, dtype=np.float32).reshape(n_test, -1))
        self._y_test = tf.convert_to_tensor(self._task_labels(dataset.y_test))
        self._order = tf.Variable(tf.zeros((self._batches_per_epoch, self._batch), tf.int32), trainable=False)
        self._counts = tf.Variable(tf.zeros((self._batches_per_epoch,), tf.int32), trainable=False)
        self._flag = tf.Variable(RUN, dtype=tf.int32, trainable=False)
        self._backup = [tf.Variable(v, trainable=False) for v in self._vars]
        params = config.parameter_count
        # Room for the networks of one call; a call never spans epochs, so more rows are never needed.
        rows = min(max(1, CAPTURE_BYTES // (4 * params)), self._batches_per_epoch + 1)
        spare = 4 * params <= BRANCHLESS_BYTES
        shapes = [tuple(v.shape) for v in self._vars]
        self._recorder = Recorder(tf, timeline, rows, shapes, spare=spare) if timeline is not None else None
        # Each batch's loss and accuracy (a call never spans epochs, so one row per batch of one).
        self._batch_metrics = tf.Variable(tf.zeros((self._batches_per_epoch if timeline is not None else 1, 2)),
                                          trainable=False)
        # One graph per capture buffer: a buffer passed in as an argument could be any variable, so
        # TensorFlow would order its writes against every other variable's (~25% slower batches).
        buffers = self._recorder.buffers if self._recorder is not None else [None]
        self._chunks = [self._make_chunk(tf, keras, b) for b in buffers]
        self._eval = self._make_eval(tf, keras)

    # --- compiled pieces ------------------------------------------------------------------
    def _task_labels(self, y) -> np.ndarray:
        """The labels the network learns: digits, or 1 for ``one_vs_rest``'s digit and 0 for the rest."""
        y = np.asarray(y, dtype=np.int32)
        digit = self.config.one_vs_rest
        return y if digit is None else (y == digit).astype(np.int32)

    def _loss_and_hits(self, tf, keras):
        """Per-sample loss and hit (1.0 right, 0.0 wrong) of predictions ``p`` for labels ``y``."""
        if self.config.one_vs_rest is None:
            def loss_and_hits(y, p):
                hits = tf.equal(tf.argmax(p, axis=1, output_type=tf.int32), y)
                return keras.losses.sparse_categorical_crossentropy(y, p), tf.cast(hits, tf.float32)
        else:
            # Each class weighs half of the loss (the digit is ~10% of the images): without this the
            # neuron learns to say "no" too often, and its 0.5 threshold no longer balances the
            # recall on the digit and on the rest. The weights come from the training labels only.
            yes = float(np.mean(self._y.numpy())) if self._n else 0.5
            w_yes, w_no = (0.5 / yes if yes > 0 else 1.0), (0.5 / (1 - yes) if yes < 1 else 1.0)

            def loss_and_hits(y, p):
                yf = tf.cast(y, tf.float32)
                weights = yf * w_yes + (1 - yf) * w_no
                hits = tf.equal(tf.cast(p[:, 0] > 0.5, tf.int32), y)
                loss = keras.losses.binary_crossentropy(tf.expand_dims(yf, 1), p) * weights
                return loss, tf.cast(hits, tf.float32)
        return loss_and_hits

    def _make_chunk(self, tf, keras, capture_parts):
        model, apply, variables = self.model, self._apply, self._vars
        order, counts, flag, backup = self._order, self._counts, self._flag, self._backup
        batch_metrics = self._batch_metrics
        recording = self.timeline is not None  # decided when traced: no cost for a run not recorded
        stats = self.gradient_stats
        kernels = variables[0::2]
        width = self._batch
        loss_and_hits = self._loss_and_hits(tf, keras)

        def measure(grads):
            """The first batch's ‖∂L/∂W‖ and ‖ΔW‖/‖W‖ per layer (``backup`` holds the weights before it)."""
            grad = tf.sqrt(2.0 * tf.stack([tf.nn.l2_loss(g) for g in grads[0::2]]))  # l2_loss: half the sum of squares
            before = backup[0::2]
            moved = tf.stack([tf.nn.l2_loss(k - b) for k, b in zip(kernels, before, strict=True)])
            size = tf.stack([tf.nn.l2_loss(b) for b in before])
            return grad, tf.sqrt(moved / tf.maximum(size, 1e-30))

        def train_batch(x, y, idx, count, measured: bool, capture=None):
            """One optimizer step on the rows ``idx`` (the first ``count`` of them are real).

            Each weight and bias is read once, before the step, and the model computes with those
            reads (a stateless call); ``capture(values)`` may write them (the network before this
            batch) and returns its ops, which run before the update. Reading the variables again
            to capture them after the step cost six graph nodes a batch, and with one TensorFlow
            thread every node counts (a recorded batch ran 133 nodes against 116 plain, now 126).
            """
            xb, yb = as_pixels(tf, tf.gather(x, idx)), tf.gather(y, idx)
            mask = tf.cast(tf.range(width) < count, tf.float32)  # the epoch's last batch is short
            nf = tf.cast(count, tf.float32)
            values = [tf.convert_to_tensor(v) for v in variables]
            with tf.GradientTape() as tape:
                tape.watch(values)
                with keras.StatelessScope(state_mapping=list(zip(variables, values, strict=True))):
                    p = model(xb, training=True)
                losses, hits = loss_and_hits(yb, p)
                loss = tf.reduce_sum(losses * mask) / nf
            grads = tape.gradient(loss, values)
            # The capture first: a read still held when the update runs makes it copy the variable.
            with tf.control_dependencies(capture(values) if capture is not None else []):
                apply(grads)
            # Only the call's first batch is measured (measuring every batch cost ~15% of the
            # throughput: a copy of every kernel and a dozen small ops per batch), and that batch
            # is traced on its own before the loop, so the loop's batches carry no op for it.
            g_norm, ratio = measure(grads) if measured else (None, None)
            return loss, tf.reduce_sum(hits * mask), nf, g_norm, ratio

        scalar = tf.TensorSpec([], tf.int32)
        signature = [scalar, scalar, scalar, tf.TensorSpec([], tf.float64),
                     tf.TensorSpec([], tf.int64), tf.TensorSpec([], tf.int64), tf.TensorSpec([], tf.int64),
                     tf.TensorSpec([], tf.bool), tf.TensorSpec([None, None], self._x.dtype), tf.TensorSpec([None], tf.int32),
                     tf.TensorSpec([None], tf.int32)]

        def write_row(row, values=None):
            """The network (``values``, else the variables read now) into row ``row`` of the capture buffer.

            Each kernel and bias goes into its own variable: one copy of each (a scalar row needs
            no reshape). A single flat buffer needed the variables' concatenation first, a second
            copy of the network (callgrind: a recorded batch ran 1,262k instructions with it,
            1,218k without, 1,076k not recorded), and a strided-slice assign per variable into it
            cost four times the scatter. Returns the writes.
            """
            values = [tf.convert_to_tensor(v) for v in variables] if values is None else values
            return [tf.raw_ops.ResourceScatterUpdate(resource=part.handle, indices=row, updates=value)
                    for part, value in zip(capture_parts, values, strict=True)]

        # Small networks are written every batch (to a spare row when not due), big ones only when due.
        branchless = recording and self._recorder.spare

        @tf.function(input_signature=signature)
        def chunk(start, max_batches, threshold, deadline, step, stride, keep_until, record, x, y, rows):
            """Train up to ``max_batches`` batches from position ``start``; ``step`` is the global step before.

            With ``record`` (and a timeline), each batch's loss and hits are kept, and the
            network after each batch whose global step is at most ``keep_until`` or a multiple of
            ``stride`` goes to the next row of the capture buffer (``capture_parts``), then the
            network after the last batch if it was not among them (the caller bounds
            ``max_batches`` so the rows suffice). ``x``, ``y``: the training set (arguments, not
            captured, so a released Trainer's data goes at once). ``rows``: for small networks,
            the capture row of each network: ``rows[i]`` takes the one before batch ``i`` (which
            that batch reads anyway) and ``rows[n]`` the one after the last of ``n`` batches
            (computed by :func:`capture_rows`: the next free row, which the next network
            overwrites unless this one is kept; a dozen graph ops a batch less than counting here,
            ~7% of a batch). Returns the loss and hit sums,
            the batches run, whether every loss was finite, each batch's (loss, hits), the
            capture rows written, the capture buffer's variables themselves (not copies) and, with gradient
            statistics, each layer's ‖∂L/∂W‖ and ‖ΔW‖/‖W‖ in the call's first batch (zeros if none ran; empty without).
            """
            for b, v in zip(backup, variables, strict=True):
                b.assign(v)

            def kept(s):  # is the network after global step ``s`` recorded (see the capture plan)
                return tf.logical_or(s <= keep_until, s % stride == 0)

            t0 = tf.timestamp()
            loss_sum = tf.constant(0.0, tf.float64)
            hits = tf.constant(0.0, tf.float64)
            ok = tf.constant(True)
            i = tf.constant(0)
            row = tf.constant(0)
            layers = len(kernels) if stats else 0
            grad_norms, ratios = tf.zeros([layers]), tf.zeros([layers])  # the first batch's
            first = step + 1  # one add per use below: grappler's rewrite of a + b + c breaks in loops

            def one_batch(i, loss_sum, hits, row, measured: bool):
                """Batch ``i`` of the call: the sums, its finiteness, the capture row and (``measured``) its statistics."""
                # Every network goes to the next free row, which is kept (the index moves on) only
                # when due: a copy of a small network costs less than a tf.cond. The batch writes
                # the network before it (the reads its step computes with); the row count is
                # worked out after the loop.
                capture = (lambda values: write_row(tf.gather(rows, i), values)) if branchless else None
                loss, h, nf, g_norm, ratio = train_batch(x, y, order[start + i], counts[start + i], measured,
                                                         capture)
                loss_sum += tf.cast(loss * nf, tf.float64)
                hits += tf.cast(h, tf.float64)
                if recording:
                    # Scatters, not TensorArrays: a TensorArray written in a loop costs more than the
                    # batch. The hits, not the accuracy: the caller divides (a graph node less).
                    tf.raw_ops.ResourceScatterUpdate(  # a scalar index: no reshape
                        resource=batch_metrics.handle, indices=i, updates=tf.stack([loss, h]))
                    if not branchless and tf.logical_and(record, kept(first + tf.cast(i, tf.int64))):
                        write_row(row)
                        row += 1
                return loss_sum, hits, tf.math.is_finite(loss), row, g_norm, ratio

            # The flag and the clock are read before every batch (both are stateful reads, which
            # the graph optimizer keeps inside the loop; tests check that pause lands mid-call).
            if stats:
                if tf.logical_and(i < max_batches, flag < threshold):  # the measured first batch
                    loss_sum, hits, ok, row, grad_norms, ratios = one_batch(i, loss_sum, hits, row, True)
                    i += 1
            while tf.logical_and(
                tf.logical_and(i < max_batches, ok),
                tf.logical_and(flag < threshold, tf.logical_or(i == 0, tf.timestamp() - t0 < deadline)),
            ):
                loss_sum, hits, ok, row, _, _ = one_batch(i, loss_sum, hits, row, False)
                i += 1
            if branchless:
                # The network after the last batch, the latest; the rows before it hold the kept
                # ones. Not carried through the loop: a loop variable costs its own ops every batch.
                if i > 0:
                    row = tf.gather(rows, i)
                    write_row(row)
                    row += 1
            elif recording:
                # The network after the last batch (the latest moment is always recorded), unless kept above.
                missing = tf.logical_and(tf.logical_and(record, i > 0), tf.logical_not(kept(step + tf.cast(i, tf.int64))))
                if missing:
                    write_row(row)
                    row += 1
            # The scatter put the buffer in copy-on-read mode, where every read copies all of it;
            # with that off, the read below is the buffer itself (the caller copies the rows out,
            # and drops it before the next call, whose first write would otherwise copy it all).
            captured = []
            for part in capture_parts if recording else []:
                tf.raw_ops.DisableCopyOnRead(resource=part.handle)
                captured.append(tf.raw_ops.ReadVariableOp(resource=part.handle, dtype=tf.float32))
            ran = tf.range(i if recording else 0)
            metrics = tf.raw_ops.ResourceGather(resource=batch_metrics.handle, indices=ran, dtype=tf.float32)
            return loss_sum, hits, i, ok, metrics, row, tuple(captured), grad_norms, ratios

        return chunk

    def _make_eval(self, tf, keras):
        model = self.model
        loss_and_hits = self._loss_and_hits(tf, keras)

        @tf.function(reduce_retracing=True)
        def evaluate(x, y):
            p = model(as_pixels(tf, x), training=False)
            losses, hits = loss_and_hits(y, p)
            return tf.reduce_mean(losses), tf.reduce_mean(hits)

        return evaluate

    def _call_chunk(self, start: int, max_batches: int, threshold: int, deadline: float, record: bool):
        """One graph call; returns its outputs, the capture plan and the capture buffer's index (None: no recording)."""
        stride, keep_until = self.timeline.capture_plan() if record else (1, 0)
        index, rows = None, None
        if record:
            index = self._recorder.next_buffer()  # waits until the copy of its previous call is done
            max_batches = batches_fitting(self._step, stride, keep_until, self._recorder.rows, max_batches)
            if self._recorder.spare:
                rows = capture_rows(self._step, max_batches, stride, keep_until, self._recorder.rows)
                rows = np.concatenate([[self._recorder.rows], rows]).astype(np.int32)  # see chunk()
        out = self._chunks[index or 0](*self._graph_args(start, max_batches, threshold, deadline, stride, keep_until,
                                                         record, rows))
        return out, (stride, keep_until), index

    def _graph_args(self, start, max_batches, threshold, deadline, stride, keep_until, record, rows=None) -> tuple:
        tf = import_tf()
        rows = np.zeros(max_batches + 1, np.int32) if rows is None else rows  # not recorded: all into row 0
        return (tf.constant(start, tf.int32), tf.constant(max_batches, tf.int32), tf.constant(threshold, tf.int32),
                tf.constant(deadline, tf.float64), tf.constant(self._step, tf.int64), tf.constant(stride, tf.int64),
                tf.constant(keep_until, tf.int64), tf.constant(record), self._x, self._y, tf.constant(rows, tf.int32))

    # --- public ---------------------------------------------------------------------------
    def prepare(self) -> float:
        """Trace and warm the compiled training loop and the evaluation, training nothing; return seconds.

        The first graph call of a Trainer spends a few seconds tracing; call this (in the thread
        that will run the trainer, e.g. while the window waits for Start) so the first batch
        comes at once. :meth:`run` calls it when it was not called before.
        """
        if self._prepared:
            return 0.0
        t0 = self._clock()
        if self.timeline is not None:  # touch the recording's memory now rather than batch by batch
            self.timeline.reserve(self.config.epochs * self._batches_per_epoch + 1, self.config.parameter_count)
        for chunk in self._chunks:  # zero batches: traced, optimized, no weight changes
            chunk(*self._graph_args(0, 0, STOP, 0.0, 1, 0, False))
        if len(self.dataset.x_test):
            self._eval.get_concrete_function(self._x_test, self._y_test)
        self._prepared = True
        self.prepare_seconds = self._clock() - t0
        return self.prepare_seconds

    def time_loops(self, batches: int, calls: int) -> dict[bool, list[float]]:
        """Seconds per batch of the training loop with and without gradient statistics, on this Trainer (a benchmark).

        Traces a second loop with the other ``gradient_stats`` setting and alternates ``calls``
        graph calls of ``batches`` batches each (at most an epoch) between the two, training for
        real from the start of a fresh shuffle; returns ``{True: [...], False: [...]}``. One
        Trainer for both: two Trainers built alike differ by 10-20% in time per batch (where
        their memory lies), which swamped the statistics' cost. Not recorded; leaves the Trainer
        to be released, not run.
        """
        tf, keras = import_tf(), import_keras()
        loops = {}
        saved, recording, self.timeline = self.gradient_stats, self.timeline, None
        try:
            for stats in (True, False):
                self.gradient_stats = stats
                loops[stats] = self._make_chunk(tf, keras, None)
        finally:
            self.gradient_stats, self.timeline = saved, recording
        self._load_epoch_order()
        batches = max(1, min(int(batches), self._batches_per_epoch))
        args = self._graph_args(0, batches, STOP, 3600.0, 1, 0, False)
        for loop in loops.values():  # traced and warm before anything is timed
            loop(*args)[2].numpy()
        seconds: dict[bool, list[float]] = {True: [], False: []}
        for i in range(int(calls)):
            for stats in ((True, False) if i % 2 == 0 else (False, True)):
                t0 = time.perf_counter()
                ran = int(loops[stats](*args)[2])
                seconds[stats].append((time.perf_counter() - t0) / max(ran, 1))
        return seconds

    @property
    def prepared(self) -> bool:
        """True once :meth:`prepare` ran (the first batch no longer waits for tracing)."""
        return self._prepared

    def evaluate(self) -> tuple[float, float]:
        """Loss and accuracy of the current weights on ``dataset.x_test``/``y_test``."""
        if len(self.dataset.x_test) == 0:
            return float("nan"), float("nan")
        t0 = time.perf_counter()
        loss, acc = self._eval(self._x_test, self._y_test)
        self._test_seconds = time.perf_counter() - t0
        return float(loss), float(acc)

    def test_pass_seconds(self) -> float:
        """How long a test-set pass takes: as last timed, else estimated from the network's size."""
        if self._test_seconds is not None:
            return self._test_seconds
        return 2.0 * len(self.dataset.x_test) * self.config.parameter_count / _TEST_FLOPS

    def balanced_accuracy(self) -> float:
        """The mean of the recall on each class of ``dataset.x_test`` (the digit and the rest for one vs the rest)."""
        if len(self.dataset.x_test) == 0:
            return float("nan")
        net = self.current_network()
        result = evaluate_set(net, np.asarray(self.dataset.x_test), self.dataset.y_test, digit=self.config.one_vs_rest)
        return result.balanced_accuracy

    def release(self) -> None:
        """Free what the Trainer holds now: its tensors of the data, the weights, the optimizer's and the recording's buffers.

        Call it once the run is over (the window's worker does). TensorFlow's graphs and Keras'
        layers refer to each other in cycles, so without this a finished Trainer's memory (the
        training and test sets as float32 tensors, ~110 MB for 24k MNIST images; 4-6 copies of
        every weight) waits for a full garbage collection. Afterwards the Trainer can neither
        train nor report (its variables are emptied); snapshots and the TrainResult it gave
        out are private copies and stay valid. Calling it again does nothing.
        """
        if self._released:
            return
        self._released = True
        tf = import_tf()
        variables = [v.value for v in self._vars] + [*self._backup, *getattr(self._apply, "slots", []), self._order,
                                                      self._counts, self._batch_metrics]
        if self._recorder is not None:
            self._recorder.close()
            variables += [part for buffer in self._recorder.buffers for part in buffer]
        for v in variables:
            # An eager variable's resource lives as long as any handle (graphs keep theirs): an
            # empty value in its place frees the memory now (the raw op does not check shapes).
            tf.raw_ops.AssignVariableOp(resource=v.handle, value=tf.zeros([0], v.dtype))
        self._x = self._y = self._x_test = self._y_test = None
        self._chunks, self._eval, self._apply = [], None, None

    def current_network(self) -> Network:
        """The current weights as a :class:`Network` (private copies)."""
        arrays = [np.array(v.numpy(), dtype=np.float32, copy=True) for v in self._vars]
        return Network.from_arrays(arrays[0::2], arrays[1::2], self.config.activation, digit=self.config.one_vs_rest,
                                   copy=False)

    def effective_interval(self) -> float:
        """Seconds between batch snapshots: ``snapshot_interval``, or longer when the copies of
        every weight made per graph call would take more than COPY_SHARE of the time (2.9M
        parameters: ~12 MB a copy, four copies a call when recording). An interval of 0 stays 0:
        a snapshot after every call, as asked."""
        if self.snapshot_interval <= 0:
            return 0.0
        copies = 4 if self.timeline is not None else 2
        return max(self.snapshot_interval, copies * self._copy_seconds / COPY_SHARE)

    def current_snapshot(self, event: SnapshotEvent = SnapshotEvent.BATCH, *, batch_indices=None,
                         next_batch_indices=None) -> TrainingSnapshot:
        """A snapshot of the weights and metrics right now (private copies); the batches' rows as given."""
        # .numpy() is already a private copy of the variable; the Network takes it as is.
        t0 = time.thread_time()
        arrays = [np.asarray(v.numpy(), dtype=np.float32) for v in self._vars]
        # This thread's CPU time, whatever clock the run uses: wall time also counted the waits for
        # the GIL while the GUI thread drew, which stretched the interval of a small network 3-10x.
        self._copy_seconds = time.thread_time() - t0
        loss, acc = self._train_metrics
        val_loss, val_acc = self._val
        return TrainingSnapshot(
            run_id=self.run_id,
            step=self._step,
            epoch=self._epoch,
            epochs=self.config.epochs,
            batch=self._pos,
            batches_per_epoch=self._batches_per_epoch,
            network=Network.from_arrays(arrays[0::2], arrays[1::2], self.config.activation, digit=self.config.one_vs_rest,
                                   copy=False),
            metrics={
                "loss": loss,
                "accuracy": acc,
                "val_loss": val_loss,
                "val_accuracy": val_acc,
                "samples_per_second": self._speed,
                "eta_seconds": self._eta,
                **self._grad_metrics(),
            },
            history=self._history.view(),
            event=event,
            batch_indices=batch_indices,
            next_batch_indices=next_batch_indices,
        )

    def _grad_metrics(self) -> dict:
        if self._grad_stats is None:
            return {}
        norms, ratios = self._grad_stats
        return {"grad_norms": norms, "update_ratios": ratios}

    def batch_rows(self, position: int) -> np.ndarray | None:
        """Training-set rows of batch ``position`` (0-based) of the current epoch's shuffle, read-only;
        None outside the epoch or before the first shuffle."""
        if self._order_rows is None or not 0 <= position < self._batches_per_epoch:
            return None
        width = self._last_batch if position == self._batches_per_epoch - 1 else self._batch
        rows = self._order_rows[position, :width].copy()
        rows.flags.writeable = False
        return rows

    def run(
        self, on_snapshot: Callable[[TrainingSnapshot], None], control: TrainingControl | None = None
    ) -> TrainResult:
        """Train all epochs (or until stopped) and return the result.

        ``on_snapshot`` is called in this thread and must be cheap (store the latest, nothing
        more). Raises TrainingDiverged, after restoring the weights from before the failing
        chunk and sending them as a "train_end" snapshot, when the loss becomes NaN or infinite.
        """
        if self._ran:
            raise RuntimeError("a Trainer runs once; make a new one (initial=...) to continue")
        self._ran = True
        control = control if control is not None else TrainingControl()
        if self.start_paused:
            control._update(paused=True, keep_steps=True)  # step() calls made before the start count
        if self.timeline is not None:
            self.timeline.extend(self.current_network(), self._step)
        control._attach(self._flag)
        try:
            return self._run(on_snapshot, control)
        finally:
            control._detach()
            if self._recorder is not None:
                self._recorder.close()

    # --- the loop -------------------------------------------------------------------------
    def _run(self, on_snapshot, control: TrainingControl) -> TrainResult:
        cfg, nb = self.config, self._batches_per_epoch
        total = cfg.epochs * nb
        clock = self._clock
        last_emit = clock()
        last_step_emitted = -1

        def emit(event: SnapshotEvent, batch=None, upcoming: bool = False, settle: bool = True) -> None:
            # ``upcoming``: also say which batch runs next (start, pause, step: never at full speed).
            # ``settle``: the timeline holds this moment before the snapshot goes (all but full speed).
            nonlocal last_emit, last_step_emitted
            if settle and self._recorder is not None:
                self._recorder.flush()
            following = self.batch_rows(self._pos) if upcoming else None
            on_snapshot(self.current_snapshot(event, batch_indices=batch, next_batch_indices=following))
            last_emit, last_step_emitted = clock(), self._step

        self._load_epoch_order()  # epoch 1's shuffle, so the start snapshot can say which batch comes first
        emit(SnapshotEvent.START, upcoming=True)
        self.prepare()
        started = clock()
        waited = 0.0
        done_batches = 0
        samples = 0
        budget = 0  # batches still owed to step() requests
        pacer: Pacer | None = None
        pace_key = None
        stepped = None  # rows of the last batch a step() request ran
        for epoch in range(cfg.epochs):
            self._epoch, self._pos = epoch, 0
            if epoch:
                self._load_epoch_order()
            loss_sum = hits = 0.0
            seen = 0
            while self._pos < nb:
                if control.stop_requested:
                    break
                if budget == 0:
                    if not control._has_work():
                        if last_step_emitted != self._step:
                            emit(SnapshotEvent.BATCH, upcoming=True)  # show exactly where it paused
                        t = clock()
                        action, budget = control._next()
                        waited += clock() - t
                        pacer = None  # a paced schedule starts afresh after a pause
                    else:
                        action, budget = control._next()
                    if action == "stop":
                        break
                pace, key = control._pace_state()
                paced = pace is not None and not budget
                if budget:
                    max_n, threshold, deadline = min(budget, nb - self._pos), STOP, 3600.0
                elif paced:
                    if pacer is None or key != pace_key:
                        pacer, pace_key = Pacer(pace, clock()), key
                    due, wait = pacer.plan(clock())
                    if not due:
                        t = clock()
                        if self._sleep is not None:
                            self._sleep(wait)
                        else:
                            control._wait(wait, key)
                        waited += clock() - t
                        continue  # look at the requests again before training
                    max_n, threshold, deadline = min(due, nb - self._pos), PAUSE, 3600.0
                else:
                    pacer = None
                    due = self.effective_interval() - (clock() - last_emit)
                    max_n, threshold, deadline = nb - self._pos, PAUSE, min(max(due, 0.0), _MAX_CALL_SECONDS)
                before = (self._step, self._pos)
                record = self.timeline is not None
                (ls, hs, n_done, ok, metrics, rows, buffer, g_norms, ratios), plan, index = self._call_chunk(
                    self._pos, max_n, threshold, deadline, record
                )
                n_done = int(n_done)
                if not bool(ok):
                    del buffer
                    self._diverged(before, n_done, float(ls), on_snapshot)
                if record and n_done:
                    self._record(epoch, n_done, metrics, index, buffer, int(rows), plan)
                del buffer  # see chunk(): holding it would make the next call copy the whole buffer
                if self.gradient_stats and n_done:
                    self._grad_stats = (tuple(np.asarray(g_norms, np.float64).tolist()),
                                        tuple(np.asarray(ratios, np.float64).tolist()))
                if paced:
                    pacer.ran(n_done)
                batch_samples = self._samples_in(self._pos, n_done)
                self._pos += n_done
                self._step += n_done
                done_batches += n_done
                samples += batch_samples
                seen += batch_samples
                loss_sum += float(ls)
                hits += float(hs)
                if seen:
                    self._train_metrics = (loss_sum / seen, hits / seen)
                    self._history.add_train(epoch + self._pos / nb, *self._train_metrics)
                active = max(clock() - started - waited, 1e-9)
                self._speed = samples / active
                left = total - (epoch * nb + self._pos)
                if pace is not None:
                    self._eta = left / pace
                else:
                    self._eta = left * self._batch / self._speed if self._speed else None
                if budget:
                    budget -= n_done
                    if n_done:
                        stepped = self.batch_rows(self._pos - 1)
                    if budget == 0 or control.stop_requested:
                        budget = 0
                        emit(SnapshotEvent.BATCH, stepped, upcoming=True)  # after every step() request
                        stepped = None
                elif paced or clock() - last_emit >= self.effective_interval():
                    # paced: every call, so every batch at up to 30 batches/s
                    emit(SnapshotEvent.BATCH, settle=paced)
            if self._pos < nb:  # stopped
                break
            self._val = self.evaluate()
            self._history.add_validation(epoch + 1.0, *self._val)
            if self._recorder is not None:
                self._recorder.call(self.timeline.set_validation, self._step, *self._val)  # after the epoch's batches
            if epoch == cfg.epochs - 1:
                self._epoch = cfg.epochs
                self._pos = 0
            emit(SnapshotEvent.EPOCH_END)

        stopped = self._epoch < cfg.epochs
        seconds = clock() - started - waited
        # An abandoned run (the window closing) keeps the last validation: a test-set pass of a
        # 3M-parameter network takes longer than the rest of the stop.
        # A big network's test pass (0.6 s at 2.9M parameters) would hold Stop up: it keeps the last
        # validation instead (NaN before the first epoch end), like an abandoned run.
        skip_test = control.abandoned or (stopped and self.test_pass_seconds() > STOP_TEST_SECONDS)
        if skip_test:
            test_loss, test_acc = (float("nan") if v is None else v for v in self._val)
        else:
            test_loss, test_acc = self.evaluate()
        self._val = (test_loss, test_acc)
        self._eta = 0.0 if not stopped else self._eta
        final = self.current_snapshot(SnapshotEvent.TRAIN_END)
        on_snapshot(final)
        return TrainResult(
            snapshot=final,
            test_loss=test_loss,
            test_accuracy=test_acc,
            test_balanced_accuracy=float("nan") if skip_test else self.balanced_accuracy(),
            samples_per_second=samples / seconds if seconds > 0 else 0.0,
            seconds=seconds,
            batches=done_batches,
            stopped=stopped,
        )

    def _record(self, epoch: int, n_done: int, metrics, index: int, buffer, rows: int, plan: tuple[int, int]) -> None:
        """Hand one call's batches to the recorder (before ``self._step``/``_pos`` move on).

        ``buffer``: the call's capture buffer (the variable's memory), whose first ``rows`` rows
        are the networks captured in order; ``metrics``: each batch's (loss, hits).
        """
        stride, keep_until = plan
        steps = np.arange(self._step + 1, self._step + n_done + 1)
        captured = steps[kept_by_plan(steps, stride, keep_until)].tolist()
        if not captured or captured[-1] != steps[-1]:
            captured.append(int(steps[-1]))  # the graph wrote the network after the call's last batch too
        if len(captured) != rows:
            raise RuntimeError(f"the graph captured {rows} networks where {len(captured)} were due")
        fields = dict(first_step=int(steps[0]), epoch=epoch, first_batch=self._pos + 1,
                      batches_per_epoch=self._batches_per_epoch, weight_steps=captured,
                      epoch_end=self._pos + n_done == self._batches_per_epoch)
        sizes = np.full(n_done, self._batch, np.float32)  # samples per batch: the epoch's last is short
        if fields["epoch_end"]:
            sizes[-1] = self._last_batch

        def block(view: np.ndarray, figures: np.ndarray) -> Batches:
            return Batches(loss=figures[:, 0], accuracy=figures[:, 1] / sizes, weights=[view], **fields)

        self._recorder.hand_over(index, buffer, rows, metrics, block)

    def _load_epoch_order(self) -> None:
        """A fresh shuffle of the training set, cut into batches (the last one padded)."""
        nb, width = self._batches_per_epoch, self._batch
        perm = np.zeros(nb * width, dtype=np.int32)
        perm[: self._n] = self._rng.permutation(self._n)
        counts = np.full(nb, width, dtype=np.int32)
        counts[-1] = self._last_batch
        self._order_rows = perm.reshape(nb, width)
        self._order.assign(self._order_rows)
        self._counts.assign(counts)

    def _samples_in(self, pos: int, n_batches: int) -> int:
        end = pos + n_batches
        full = n_batches - (1 if end == self._batches_per_epoch and n_batches else 0)
        return full * self._batch + (self._last_batch if end == self._batches_per_epoch and n_batches else 0)

    def _diverged(self, before: tuple[int, int], n_done: int, loss_sum: float, on_snapshot) -> None:
        if self._recorder is not None:
            self._recorder.flush()  # the timeline ends at the last good call
        for v, b in zip(self._vars, self._backup, strict=True):
            v.assign(b)
        bad_batch = before[1] + n_done  # 1-based index of the batch whose loss was not finite
        epoch = self._epoch + 1
        self._step, self._pos = before
        what = "nan" if math.isnan(loss_sum) else "inf"
        on_snapshot(self.current_snapshot(SnapshotEvent.TRAIN_END))
        raise TrainingDiverged(
            f"training diverged at epoch {epoch}, batch {bad_batch} (loss is {what}); "
            "the last good weights were kept — try a lower learning rate"
        )


def _interleave(weights, biases) -> list:
    return [a for pair in zip(weights, biases, strict=True) for a in pair]
