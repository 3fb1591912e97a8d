"""The training loop: mini-batch training in compiled chunks, with pause/step/stop and live snapshots.

Why not ``model.fit``: for a 13k-parameter network, Keras' per-batch Python work costs several
times more than the arithmetic. Here one ``tf.function`` call runs a whole chunk of batches in a
graph loop (data held as tensors, batches gathered from a per-epoch shuffled index table). A chunk
ends when the next snapshot is due, when the epoch ends, or when the in-graph halt flag is set by
``TrainingControl.pause()``/``stop()`` -- the flag is read before every batch, so pause and stop
take effect after the batch that is running (an optimizer step is never cut in half).

The algorithm is the tutorial's: shuffle every epoch, batches of ``batch_size`` (the last one
smaller), loss = mean sparse categorical cross-entropy, one optimizer step per batch.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ConfigError, DataError, TrainingDiverged
from visualizer.core.history import MetricHistory
from visualizer.core.network import Network
from visualizer.core.snapshot import SnapshotEvent, TrainingSnapshot
from visualizer.data.dataset import Dataset
from visualizer.training.model import build_model, make_optimizer
from visualizer.training.tfenv import import_keras, import_tf

_RUN, _PAUSE, _STOP = 0, 1, 2  # values of the in-graph halt flag
_MAX_CALL_SECONDS = 0.25  # upper bound on one graph call when no snapshot is due sooner


class TrainingControl:
    """Pause / resume / step / stop requests from the GUI thread to the training thread.

    All methods are thread-safe and return at once. While a Trainer runs, the requests are also
    written to a TensorFlow variable that the compiled loop reads before every batch, so they take
    effect after the batch in progress (well under a millisecond for the default network).
    That variable write (a few microseconds, never blocked by the running graph) is the only
    TensorFlow call ``pause``/``resume``/``stop`` make in the caller's thread.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._paused = False
        self._stop = False
        self._steps = 0
        self._flag = None  # tf.Variable while a Trainer runs

    # --- GUI side -------------------------------------------------------------------------
    def pause(self) -> None:
        """Pause after the batch in progress (steps asked for while running are dropped)."""
        self._update(paused=True)

    def resume(self) -> None:
        """Continue training after a pause."""
        self._update(paused=False)

    def stop(self) -> None:
        """End the run after the batch in progress, paused or not; it cannot be undone."""
        self._update(stop=True)

    def step(self, n: int = 1) -> None:
        """While paused (or before a ``start_paused`` run begins): run exactly ``n`` more batches,
        then stay paused. Requests add up. While running it only adds a snapshot after ``n`` batches."""
        if n < 1:
            return
        with self._lock:
            if not self._stop:
                self._steps += int(n)
                self._wake.set()

    @property
    def paused(self) -> bool:
        """True while a pause is requested."""
        return self._paused

    @property
    def stop_requested(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop

    # --- training side --------------------------------------------------------------------
    def _update(self, *, paused: bool | None = None, stop: bool | None = None, keep_steps: bool = False) -> None:
        with self._lock:
            if paused is not None:
                if paused != self._paused and not keep_steps:
                    self._steps = 0  # steps asked for while running don't run after a pause
                self._paused = paused
            if stop:
                self._stop = True
            self._sync_flag()
            self._wake.set()

    def _sync_flag(self) -> None:
        # Called with the lock held, so the flag and the Python state never disagree for long.
        if self._flag is not None:
            self._flag.assign(_STOP if self._stop else _PAUSE if self._paused else _RUN)

    def _attach(self, flag) -> None:
        with self._lock:
            self._flag = flag
            self._sync_flag()

    def _detach(self) -> None:
        with self._lock:
            self._flag = None

    def _has_work(self) -> bool:
        with self._lock:
            return self._stop or self._steps > 0 or not self._paused

    def _next(self) -> tuple[str, int]:
        """Block while paused; return ("stop", 0), ("step", n) or ("run", 0)."""
        while True:
            with self._lock:
                if self._stop:
                    return "stop", 0
                if self._steps:
                    n, self._steps = self._steps, 0
                    return "step", n
                if not self._paused:
                    return "run", 0
                self._wake.clear()
            self._wake.wait()


@dataclass(frozen=True)
class TrainResult:
    """What a finished (or stopped) run leaves behind."""

    snapshot: TrainingSnapshot  # final weights (the last good ones on divergence)
    test_loss: float
    test_accuracy: float
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
        get one).
    start_paused
        Pause before the first batch (after the "start" snapshot); ``control.step(n)`` then
        runs exactly ``n`` batches.
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
    ):
        keras = import_keras()
        tf = import_tf()
        self.config = config
        self.dataset = dataset
        self.run_id = int(run_id)
        self.snapshot_interval = max(0.0, float(snapshot_interval))
        self.start_paused = bool(start_paused)
        n = len(dataset.x_train)
        if n == 0 or len(dataset.y_train) != n:
            raise DataError("the training set is empty or its images and labels differ in number")
        if initial is not None and (
            tuple(initial.layer_sizes) != tuple(config.layer_sizes) or initial.network.activation != config.activation
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
        self._apply = _fused_update(import_tf(), self._optimizer, [v.value for v in self._vars])

        self._n = n
        self._batch = min(int(config.batch_size), n)  # a batch never needs more rows than the data
        self._batches_per_epoch = math.ceil(n / self._batch)
        self._rng = np.random.default_rng(config.seed)
        self._step = int(initial.step) if initial is not None else 0
        self._epoch = 0
        self._pos = 0  # batches done in the current epoch
        self._history = MetricHistory()
        self._train_metrics: tuple[float | None, float | None] = (None, None)
        self._val: tuple[float | None, float | None] = (None, None)
        self._speed = 0.0
        self._eta: float | None = None
        self._ran = False

        self._x = tf.convert_to_tensor(np.asarray(dataset.x_train, dtype=np.float32).reshape(n, -1))
        self._y = tf.convert_to_tensor(np.asarray(dataset.y_train, dtype=np.int32))
        n_test = len(dataset.x_test)
        self._x_test = tf.convert_to_tensor(np.asarray(dataset.x_test, dtype=np.float32).reshape(n_test, -1))
        self._y_test = tf.convert_to_tensor(np.asarray(dataset.y_test, dtype=np.int32))
        self._order = tf.Variable(tf.zeros((self._batches_per_epoch, self._batch), tf.int32), trainable=False)
        self._counts = tf.Variable(tf.zeros((self._batches_per_epoch,), tf.int32), trainable=False)
        self._flag = tf.Variable(_RUN, dtype=tf.int32, trainable=False)
        self._backup = [tf.Variable(v, trainable=False) for v in self._vars]
        self._chunk = self._make_chunk(tf, keras)
        self._eval = self._make_eval(tf, keras)

    # --- compiled pieces ------------------------------------------------------------------
    def _make_chunk(self, tf, keras):
        model, apply, variables = self.model, self._apply, self._vars
        x, y, order, counts, flag, backup = self._x, self._y, self._order, self._counts, self._flag, self._backup
        width = self._batch

        def train_batch(idx, count):
            xb, yb = tf.gather(x, idx), tf.gather(y, idx)
            mask = tf.cast(tf.range(width) < count, tf.float32)  # the epoch's last batch is short
            nf = tf.cast(count, tf.float32)
            with tf.GradientTape() as tape:
                p = model(xb, training=True)
                loss = tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(yb, p) * mask) / nf
            grads = tape.gradient(loss, variables)
            apply(grads)
            hits = tf.cast(tf.equal(tf.argmax(p, axis=1, output_type=tf.int32), yb), tf.float32)
            return loss, tf.reduce_sum(hits * mask), nf

        @tf.function(reduce_retracing=True)
        def chunk(start, max_batches, threshold, deadline):
            for b, v in zip(backup, variables, strict=True):
                b.assign(v)
            t0 = tf.timestamp()
            loss_sum = tf.constant(0.0, tf.float64)
            hits = tf.constant(0.0, tf.float64)
            ok = tf.constant(True)
            i = tf.constant(0)
            # The flag and the clock are read before every batch (both are stateful reads, which
            # the graph optimizer keeps inside the loop; tests check that pause lands mid-call).
            while tf.logical_and(
                tf.logical_and(i < max_batches, ok),
                tf.logical_and(flag < threshold, tf.logical_or(i == 0, tf.timestamp() - t0 < deadline)),
            ):
                loss, h, nf = train_batch(order[start + i], counts[start + i])
                ok = tf.math.is_finite(loss)
                loss_sum += tf.cast(loss * nf, tf.float64)
                hits += tf.cast(h, tf.float64)
                i += 1
            return loss_sum, hits, i, ok

        return chunk

    def _make_eval(self, tf, keras):
        model = self.model

        @tf.function(reduce_retracing=True)
        def evaluate(x, y):
            p = model(x, training=False)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, p))
            acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(p, axis=1, output_type=tf.int32), y), tf.float32))
            return loss, acc

        return evaluate

    # --- public ---------------------------------------------------------------------------
    def evaluate(self) -> tuple[float, float]:
        """Loss and accuracy of the current weights on ``dataset.x_test``/``y_test``."""
        if len(self.dataset.x_test) == 0:
            return float("nan"), float("nan")
        loss, acc = self._eval(self._x_test, self._y_test)
        return float(loss), float(acc)

    def current_snapshot(self, event: SnapshotEvent = SnapshotEvent.BATCH) -> TrainingSnapshot:
        """A snapshot of the weights and metrics right now (private copies)."""
        # .numpy() is already a private copy of the variable; the Network takes it as is.
        arrays = [np.asarray(v.numpy(), dtype=np.float32) for v in self._vars]
        loss, acc = self._train_metrics
        val_loss, val_acc = self._val
        return TrainingSnapshot(
            run_id=self.run_id,
            step=self._step,
            epoch=self._epoch,
            epochs=self.config.epochs,
            batch=self._pos,
            batches_per_epoch=self._batches_per_epoch,
            network=Network.from_arrays(arrays[0::2], arrays[1::2], self.config.activation, copy=False),
            metrics={
                "loss": loss,
                "accuracy": acc,
                "val_loss": val_loss,
                "val_accuracy": val_acc,
                "samples_per_second": self._speed,
                "eta_seconds": self._eta,
            },
            history=self._history.view(),
            event=event,
        )

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
        control._attach(self._flag)
        try:
            return self._run(on_snapshot, control)
        finally:
            control._detach()

    # --- the loop -------------------------------------------------------------------------
    def _run(self, on_snapshot, control: TrainingControl) -> TrainResult:
        tf = import_tf()
        cfg, nb = self.config, self._batches_per_epoch
        total = cfg.epochs * nb
        clock = time.perf_counter
        started = clock()
        waited = 0.0
        done_batches = 0
        samples = 0
        last_emit = clock()
        last_step_emitted = -1

        def emit(event: SnapshotEvent) -> None:
            nonlocal last_emit, last_step_emitted
            on_snapshot(self.current_snapshot(event))
            last_emit, last_step_emitted = clock(), self._step

        emit(SnapshotEvent.START)
        budget = 0  # batches still owed to step() requests
        for epoch in range(cfg.epochs):
            self._epoch, self._pos = epoch, 0
            self._load_epoch_order()
            loss_sum = hits = 0.0
            seen = 0
            while self._pos < nb:
                if control.stop_requested:
                    break
                if budget == 0:
                    if not control._has_work():
                        if last_step_emitted != self._step:
                            emit(SnapshotEvent.BATCH)  # show exactly where it paused
                        t = clock()
                        action, budget = control._next()
                        waited += clock() - t
                    else:
                        action, budget = control._next()
                    if action == "stop":
                        break
                if budget:
                    max_n, threshold, deadline = min(budget, nb - self._pos), _STOP, 3600.0
                else:
                    due = self.snapshot_interval - (clock() - last_emit)
                    max_n, threshold, deadline = nb - self._pos, _PAUSE, min(max(due, 0.0), _MAX_CALL_SECONDS)
                before = (self._step, self._pos)
                ls, hs, n_done, ok = self._chunk(
                    tf.constant(self._pos, tf.int32),
                    tf.constant(max_n, tf.int32),
                    tf.constant(threshold, tf.int32),
                    tf.constant(deadline, tf.float64),
                )
                n_done = int(n_done)
                if not bool(ok):
                    self._diverged(before, n_done, float(ls), on_snapshot)
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
                self._eta = (total - (epoch * nb + self._pos)) * self._batch / self._speed if self._speed else None
                if budget:
                    budget -= n_done
                    if budget == 0 or control.stop_requested:
                        budget = 0
                        emit(SnapshotEvent.BATCH)  # after every step() request
                elif clock() - last_emit >= self.snapshot_interval:
                    emit(SnapshotEvent.BATCH)
            if self._pos < nb:  # stopped
                break
            self._val = self.evaluate()
            self._history.add_validation(epoch + 1.0, *self._val)
            if epoch == cfg.epochs - 1:
                self._epoch = cfg.epochs
                self._pos = 0
            emit(SnapshotEvent.EPOCH_END)

        stopped = self._epoch < cfg.epochs
        seconds = clock() - started - waited
        test_loss, test_acc = self.evaluate()
        self._val = (test_loss, test_acc)
        self._eta = 0.0 if not stopped else self._eta
        final = self.current_snapshot(SnapshotEvent.TRAIN_END)
        on_snapshot(final)
        return TrainResult(
            snapshot=final,
            test_loss=test_loss,
            test_accuracy=test_acc,
            samples_per_second=samples / seconds if seconds > 0 else 0.0,
            seconds=seconds,
            batches=done_batches,
            stopped=stopped,
        )

    def _load_epoch_order(self) -> None:
        """A fresh shuffle of the training set, cut into batches (the last one padded)."""
        nb, width = self._batches_per_epoch, self._batch
        perm = np.zeros(nb * width, dtype=np.int32)
        perm[: self._n] = self._rng.permutation(self._n)
        counts = np.full(nb, width, dtype=np.int32)
        counts[-1] = self._n - (nb - 1) * width
        self._order.assign(perm.reshape(nb, width))
        self._counts.assign(counts)

    def _samples_in(self, pos: int, n_batches: int) -> int:
        end = pos + n_batches
        last = self._n - (self._batches_per_epoch - 1) * self._batch
        full = n_batches - (1 if end == self._batches_per_epoch and n_batches else 0)
        return full * self._batch + (last if end == self._batches_per_epoch and n_batches else 0)

    def _diverged(self, before: tuple[int, int], n_done: int, loss_sum: float, on_snapshot) -> None:
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


def _fused_update(tf, optimizer, variables):
    """``update(grads)``: the optimizer's rule (Keras Adam / SGD with momentum) in one fused op per variable.

    Keras' own ``apply_gradients`` spends ~40 small ops per variable (it recomputes the bias
    correction for each one); with a 13k-parameter network that dominates the time of a batch.
    TensorFlow's ResourceApplyAdam / ResourceApplyKerasMomentum kernels compute the same update
    (the same formulas as Keras, checked against it in the tests) in one op each.
    """
    slot = lambda v: tf.Variable(tf.zeros_like(v), trainable=False)  # noqa: E731
    lr = tf.constant(float(optimizer.learning_rate), tf.float32)
    if isinstance(optimizer, import_keras().optimizers.Adam):
        if optimizer.amsgrad:
            raise ConfigError("AMSGrad is not supported")
        m, v = [slot(x) for x in variables], [slot(x) for x in variables]
        t = tf.Variable(0.0, trainable=False)
        b1, b2, eps = (tf.constant(float(a), tf.float32) for a in (optimizer.beta_1, optimizer.beta_2, optimizer.epsilon))

        def update(grads):
            t.assign_add(1.0)
            b1p, b2p = tf.pow(b1, t), tf.pow(b2, t)
            for var, mi, vi, g in zip(variables, m, v, grads, strict=True):
                tf.raw_ops.ResourceApplyAdam(
                    var=var.handle, m=mi.handle, v=vi.handle, beta1_power=b1p, beta2_power=b2p,
                    lr=lr, beta1=b1, beta2=b2, epsilon=eps, grad=g,
                )

        return update
    momentum = tf.constant(float(getattr(optimizer, "momentum", 0.0)), tf.float32)
    nesterov = bool(getattr(optimizer, "nesterov", False))
    accum = [slot(x) for x in variables]

    def update(grads):
        for var, a, g in zip(variables, accum, grads, strict=True):
            tf.raw_ops.ResourceApplyKerasMomentum(
                var=var.handle, accum=a.handle, lr=lr, grad=g, momentum=momentum, use_nesterov=nesterov
            )

    return update


def _interleave(weights, biases) -> list:
    return [a for pair in zip(weights, biases, strict=True) for a in pair]
