"""The `nnviz train|predict|export|bench` commands: terminal front-ends over data, training and core."""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import threading
from pathlib import Path

from visualizer.core.config import answer_text
from visualizer.core.errors import ConfigError, NnvizError, TrainingDiverged, WeightsError
from visualizer.core.interrupts import deferred, exit_code, handled, interrupted_text, signal_name
from visualizer.core.safeio import one_line
from visualizer.core.snapshot import SnapshotEvent
from visualizer.out_checks import check_differs, check_out_path
from visualizer.run_files import (
    CSV_SUFFIX,
    check_record_path,
    export_from_run,
    looks_like_run_file,
    save_recording,
)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def resolve_dataset(spec: str | None, *, validation_split: float = 0.1, seed: int = 0):
    """Load the dataset named on the command line; say loudly when synthetic digits stand in."""
    from visualizer.data.sources import load_dataset, load_dataset_or_synthetic

    if spec is not None:
        return load_dataset(spec, validation_split=validation_split, seed=seed)
    dataset, warning = load_dataset_or_synthetic(None, validation_split=validation_split, seed=seed)
    if warning:
        _err(f"nnviz: warning: {warning}")
        _err(f"nnviz: using {dataset.source} instead of MNIST")
    return dataset


def _metric(metrics: dict, key: str) -> float:
    """A metric for display; NaN (shown as "nan") before the first batch has produced one."""
    value = metrics.get(key)
    return float("nan") if value is None else value


class _Progress:
    """A one-line progress bar on stderr (redrawn in place on a terminal, one line per epoch otherwise)."""

    def __init__(self, stream=sys.stderr, width: int = 28):
        self.stream = stream
        self.width = width
        self.tty = stream.isatty()
        self._last_epoch_reported = -1
        self._marks = "█·"
        try:
            self._marks.encode(getattr(stream, "encoding", None) or "ascii")
        except (UnicodeEncodeError, LookupError):
            self._marks = "#."  # a terminal whose encoding has no block characters

    def update(self, snap) -> None:
        m = snap.metrics
        if self.tty:
            filled = int(self.width * snap.progress)
            bar = self._marks[0] * filled + self._marks[1] * (self.width - filled)
            eta = m.get("eta_seconds")
            eta_text = f" ETA {eta:4.0f}s" if eta is not None and math.isfinite(eta) else ""
            line = (
                f"\repoch {min(snap.epoch + 1, snap.epochs)}/{snap.epochs} {bar} "
                f"{snap.batch:>5}/{snap.batches_per_epoch} loss {_metric(m, 'loss'):.4f} "
                f"acc {_metric(m, 'accuracy'):.3f} {m.get('samples_per_second') or 0:,.0f}/s{eta_text}"
            )
            self.stream.write(line)
            self.stream.flush()
        finished = round(snap.epoch_float)  # epoch_end snapshots sit exactly on an epoch boundary
        if snap.event is SnapshotEvent.EPOCH_END and finished != self._last_epoch_reported:
            self._last_epoch_reported = finished
            va = m.get("val_accuracy")
            val = f" val_loss {m.get('val_loss'):.4f} val_acc {va:.4f}" if va is not None else ""
            prefix = "\r\033[K" if self.tty else ""
            self.stream.write(
                f"{prefix}epoch {finished}/{snap.epochs} loss {_metric(m, 'loss'):.4f} "
                f"acc {_metric(m, 'accuracy'):.4f}{val}\n"
            )
            self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _data_spec(args) -> str | None:
    """The dataset the command will read: --data, else $NNVIZ_DATA (None: Keras' MNIST download)."""
    from visualizer.core.config import DATA_ENV_VAR

    for spec in (args.data, os.environ.get(DATA_ENV_VAR)):
        if spec is not None and spec.strip():
            return spec
    return None


def _train_samples(config, dataset) -> str:
    n = len(dataset.x_train)
    if config.train_subset is None or config.train_subset >= n:
        return f"{n:,}"
    return f"{config.train_subset:,} of {n:,} (--train-subset)"


def _train_summary(args, config, dataset, result, out, recorded) -> None:
    if out:
        weights = out
    elif result.batches == 0:
        weights = "not saved: stopped before the first batch, nothing was trained"
    else:
        weights = "not saved (pass --out FILE to keep them)"
    test_name = "holdout" if dataset.test_is_holdout else "test"
    rows = [
        ("data source", dataset.source + (f" ({dataset.note})" if dataset.note else "")),
        ("task", config.task),
        ("train samples", _train_samples(config, dataset)),
        (f"{test_name} samples", f"{len(dataset.x_test):,}"),
        (f"{test_name} accuracy", f"{result.test_accuracy:.4f}  (loss {result.test_loss:.4f})"),
        (f"{test_name} balanced accuracy", f"{result.test_balanced_accuracy:.4f}  (the mean of the recall on each class)"),
        ("speed", f"{result.samples_per_second:,.0f} samples/s ({result.seconds:.1f} s, {result.batches:,} batches)"),
        ("weights", weights),
    ]
    if args.record:
        rows.append(("run file", recorded.describe() if recorded else "not written: nothing was trained"))
    width = max(len(label) for label, _ in rows) + 3  # colon and at least two spaces
    lines = [f"{label + ':':<{width}}{value}" for label, value in rows]
    if result.stopped:
        lines.insert(0, "stopped early by the user")
    print("\n".join(lines), flush=True)
    if args.json:
        print(json.dumps({
            "data_source": dataset.source,
            "data_kind": dataset.kind,
            "train_samples": int(len(dataset.x_train)),
            "test_samples": int(len(dataset.x_test)),
            "test_is_holdout": bool(dataset.test_is_holdout),
            "test_accuracy": float(result.test_accuracy),
            "test_balanced_accuracy": float(result.test_balanced_accuracy),
            "one_vs_rest": config.one_vs_rest,
            "trained_samples": int(min(len(dataset.x_train), config.train_subset or len(dataset.x_train))),
            "test_loss": float(result.test_loss),
            "samples_per_second": float(result.samples_per_second),
            "seconds": float(result.seconds),
            "batches": int(result.batches),
            "epochs": config.epochs,
            "stopped": bool(result.stopped),
            "config": config.to_dict(),
            "out": out,
            "record": recorded.path if recorded else None,
            "recorded_batches": recorded.batches if recorded else 0,
            "recorded_moments": recorded.moments if recorded else 0,
        }), flush=True)


def cmd_train(args) -> int:
    """Train from the terminal; progress on stderr, summary (and optional JSON) on stdout.

    Ctrl+C, SIGTERM and SIGHUP stop after the current batch; the weights trained so far are
    saved to --out and the recording to --record (nothing is written when no batch ran) and the
    exit code is 128 + the signal's number. Further signals while stopping and saving are noted and do not cut the save short.
    """
    from visualizer.core.config import DEFAULT_LR, TrainingConfig, parse_hidden

    config = TrainingConfig(
        hidden=parse_hidden(args.hidden),
        activation=args.activation,
        optimizer=args.optimizer,
        learning_rate=args.lr if args.lr is not None else DEFAULT_LR[args.optimizer],
        batch_size=args.batch_size,
        epochs=args.epochs,
        seed=args.seed,
        one_vs_rest=args.one_vs_rest,
        train_subset=args.train_subset,
    )
    check_out_path(args.out, data=_data_spec(args))
    check_record_path(args.record, out=args.out, data=_data_spec(args))
    dataset = resolve_dataset(args.data, validation_split=config.validation_split, seed=config.seed)
    _err(f"data: {dataset.describe()}")
    timeline = None
    if args.record:
        from visualizer.core.timeline import Timeline

        timeline = Timeline()
    pace = f", {args.pace:g} batches/s" if args.pace else ""
    stops = _StopSignals()
    # Stop signals are ours from here: one that lands while the line below is printed (or the
    # model is built) means "stop before the first batch", never a bare interruption.
    with handled(stops.received.append):
        _err(f"network: {'-'.join(map(str, config.layer_sizes))} "
             f"{config.activation if config.hidden else 'no hidden layer'} ({config.task}), "
             f"{config.parameter_count:,} parameters; {config.optimizer} lr {config.learning_rate:g}, "
             f"batch {config.batch_size}, {config.epochs} epochs{pace}")
        result, diverged = _train(config, dataset, stops, timeline=timeline, pace=args.pace)
        out = recorded = None
        if args.out and (diverged or result.batches):
            from visualizer.training.export import export_weights

            export_weights(diverged[1] if diverged else result.snapshot, args.out)
            out = str(args.out)
        if timeline is not None:
            recorded = save_recording(args.record, timeline, config, dataset)
        saved = [f for f in (out, recorded and recorded.path) if f]
        if diverged:
            error = diverged[0]
            if saved:
                raise TrainingDiverged(f"{error} (saved to {' and '.join(saved)})") from error
            raise error
        unwritten = [str(f) for f in (args.out, args.record) if f and str(f) not in saved]
        if unwritten:
            _err(f"nnviz: stopped before the first batch: nothing was trained, {' and '.join(unwritten)} not written")
        _train_summary(args, config, dataset, result, out, recorded)
        if stops.received and not stops.told:  # came after the run, while saving or printing
            _err(f"nnviz: {interrupted_text(stops.received[0])}")
    return exit_code(stops.received[0]) if stops.received else 0


class _StopSignals:
    """Stop signals seen during a run; the handler only appends, all else runs in ordinary code."""

    def __init__(self):
        self.received: list[int] = []
        self.told = 0

    def act(self, control, progress) -> None:
        """Called when signals came: stop the run on the first; say once that more do not cut
        the save short."""
        if self.told == 0:
            control.stop()
            first = self.received[0]
            name = "" if first == signal.SIGINT else f"{signal_name(first)}: "
            below_the_bar = "\n" if progress.tty else ""
            _err(f"{below_the_bar}nnviz: {name}stopping after the current batch…")
        if len(self.received) > 1 and self.told < 2:
            _err("nnviz: already stopping; the weights trained so far are saved first")
        self.told = len(self.received)


def _train(config, dataset, stops: _StopSignals, *, timeline=None, pace: float | None = None):
    """Run the trainer in a thread and stop it after the batch in progress on a stop signal.

    ``timeline`` records the run; ``pace`` is batches per second (None: full speed).
    Returns ``(result, None)``, or ``(None, (TrainingDiverged, last good snapshot))``.
    """
    from visualizer.training.tfenv import import_keras

    import_keras()
    from visualizer.training.trainer import Trainer, TrainingControl

    trainer = Trainer(config, dataset, snapshot_interval=0.2, timeline=timeline)
    control = TrainingControl(pace=pace)
    progress = _Progress()
    outcome: dict = {}
    # An Event, not Thread.join: before Python 3.13 a join interrupted by Ctrl+C marks the
    # thread as finished while it still runs (CPython gh-90882), so the result was lost.
    finished = threading.Event()

    def work():
        try:
            outcome["result"] = trainer.run(progress.update, control)
        except BaseException as exc:  # re-raised in the main thread
            outcome["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=work, name="nnviz-train", daemon=True).start()
    while True:
        done = finished.wait(0.2)
        if len(stops.received) > stops.told:
            stops.act(control, progress)
        if done:
            break
    progress.close()
    error = outcome.get("error")
    if isinstance(error, TrainingDiverged):
        return None, (error, trainer.current_snapshot(SnapshotEvent.TRAIN_END))
    if error is not None:
        raise error
    return outcome["result"], None


def network_input(image, path, preprocess: str = "auto"):
    """The 784 inputs for an image, or None when it holds no digit; and whether it was preprocessed.

    ``preprocess``: "auto" feeds a 28x28 MNIST-format image (light ink on black) as it is, as the
    window feeds test digits, and preprocesses anything else like the drawing pad; "always" and
    "never" force one or the other ("never" needs 28x28 pixels).
    """
    from visualizer.core import preprocess as pre
    from visualizer.core.errors import DataError

    if preprocess == "never" or (preprocess == "auto" and pre.is_mnist_format(image)):
        try:
            return pre.as_network_input(image), False
        except ValueError as exc:
            raise DataError(f"{Path(path).name}: {exc} (--preprocess never)") from None
    prepared = pre.preprocess(image)
    return (None if prepared is None else prepared.vector), True


def classify_image(network, path, preprocess: str = "auto"):
    """Run one image file through :func:`network_input` and the numpy forward pass.

    Returns ``(digit or None, probabilities or None, preprocessed)``; None when the image has no
    ink. Raises DataError for an unreadable image, WeightsError when the output is not finite.
    """
    import numpy as np

    from visualizer.data.images import load_image

    vector, preprocessed = network_input(load_image(path), path, preprocess)
    if vector is None:
        return None, None, preprocessed
    with np.errstate(all="ignore"):  # checked just below; numpy's warnings would only add noise
        probs = network.probabilities(vector)
    if not np.isfinite(probs).all():  # finite but enormous weights overflow float32
        raise WeightsError(f"{Path(path).name}: the network's output overflowed (its weights are too large)")
    return int(network.predict(vector)), probs, preprocessed


def _import(args):
    """The network in ``--weights``, its notes on stderr; a file without activations asks for --activation."""
    from visualizer.core.errors import ActivationRequired
    from visualizer.training.export import import_model

    try:
        imported = import_model(args.weights, activation=args.activation)
    except ActivationRequired as exc:
        raise ConfigError(one_line(f"Could not read weights from {Path(exc.path).name}: {exc.reason}; give the "
                                   "hidden layers' activation with --activation (relu, sigmoid, tanh or linear, or "
                                   "one per hidden layer: relu,tanh), or use the model's .keras file")) from None
    for note in imported.notes:
        _err(f"nnviz: note: {note}")
    return imported.network


def cmd_predict(args) -> int:
    """Classify image files; exit 2 if any could not be read (after doing the others)."""
    network = _import(args)
    failed = 0
    for path in args.images:
        try:
            digit, probs, preprocessed = classify_image(network, path, args.preprocess)
        except NnvizError as exc:
            _err(f"nnviz: error: {one_line(exc)}")
            failed += 1
            continue
        if args.json:
            record = {
                "path": str(path),
                "digit": digit,
                "probabilities": None if probs is None else [round(float(p), 6) for p in probs],
                "preprocessed": preprocessed,
            }
            if network.is_binary:
                # One sigmoid output: "digit" is then the answer as a number, 1 (yes) or 0 (no) — NOT
                # the digit seen (kept so older scripts still read it). These say it plainly.
                record.update(question=network.question, answer=None if digit is None else ("yes" if digit else "no"),
                              p_yes=None if probs is None else round(float(probs[0]), 6), task_digit=network.digit)
            print(json.dumps(record), flush=True)
        elif digit is None:
            print(f"{path}: no digit (the image is empty)")
        elif network.is_binary:
            print(f"{path}: {answer_text(float(probs[0]), network.digit)}")
        else:
            runner = sorted(range(10), key=lambda k: -probs[k])[1]
            print(f"{path}: {digit} ({probs[digit]:.1%}; next {runner} {probs[runner]:.1%})")
    return 2 if failed else 0


def cmd_export(args) -> int:
    """Convert a weights file into another format, chosen by the output's extension.

    From a run file: the weights of one moment (``--at``, else the latest) or, to a ``.csv``,
    every batch's metrics. Stop signals wait while the file is written (a moment), so it is
    either the old or the new.
    """
    from visualizer.core.weights_format import detect_format
    from visualizer.training.export import export_weights

    if looks_like_run_file(args.weights):
        return export_from_run(args)
    if args.at is not None:
        raise ConfigError(f"--at picks a moment of a recorded run; {Path(args.weights).name} is a weights file, "
                          "not a run file (nnviz train --record)")
    if Path(args.out).name.lower().endswith(CSV_SUFFIX):
        raise ConfigError(f"--out {Path(args.out).name}: metrics come from a run file (nnviz train --record); "
                          f"{Path(args.weights).name} holds weights only")
    check_out_path(args.out)
    check_differs(args.out, args.weights, "--out must differ from --weights")
    network = _import(args)
    if detect_format(args.out) not in ("npz", "json"):  # the others are written by Keras
        from visualizer.training.tfenv import import_keras

        import_keras()  # seconds long, so not inside the deferred section below
    with deferred():
        export_weights(network, args.out)
        print(f"wrote {args.out} ({network.describe()})", flush=True)
    return 0


def cmd_bench(args) -> int:
    """Measure speed against baselines in the same run and print the figures side by side.

    A stop signal ends the benchmark at once: it writes nothing, and an exception raised inside
    Qt's callbacks (the GUI benchmarks) would only be printed and swallowed by PySide.
    """
    from visualizer.bench.report import run_bench

    if args.hidden:
        return _bench_scale(args)
    if args.long:
        return _bench_long(args)
    with handled(_leave_now):
        dataset = resolve_dataset(args.data)
        report = run_bench(dataset, epochs=args.epochs, gui=args.gui, log=_err)
    if args.json:
        print(json.dumps(report), flush=True)
    else:
        from visualizer.bench.report import format_report

        print(format_report(report), flush=True)
    return 0


def _bench_scale(args) -> int:
    """``nnviz bench --gui --hidden 16,16 --hidden 1024,1024,1024``: one scale-table row per network."""
    from visualizer.bench.report import format_scale, run_scale_bench
    from visualizer.core.config import TrainingConfig, parse_hidden

    if not args.gui:
        raise ConfigError("--hidden measures the window: add --gui")
    networks = [TrainingConfig(hidden=parse_hidden(h)).hidden for h in args.hidden]  # checked as Start would
    with handled(_leave_now):
        dataset = resolve_dataset(args.data)
        rows = run_scale_bench(dataset, networks, log=_err)
    print(json.dumps({"scale": rows}) if args.json else format_scale(rows), flush=True)
    return 0


def _bench_long(args) -> int:
    """``nnviz bench --long``: the long and large runs of visualizer/bench/memory.py."""
    from visualizer.bench.memory import format_long, long_runs

    if args.gui:
        raise ConfigError("--long measures the trainer and its recording, not the window: drop --gui")
    with handled(_leave_now):
        dataset = resolve_dataset(args.data)
        report = long_runs(dataset, log=_err)
    print(json.dumps({"long": report}) if args.json else format_long(report), flush=True)
    return 0


def _leave_now(signum: int) -> None:
    # os.write, not print: this may run while the main thread is inside a print to stderr.
    os.write(2, f"nnviz: {interrupted_text(signum)}\n".encode("ascii", "backslashreplace"))
    os._exit(exit_code(signum))
