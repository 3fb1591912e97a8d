"""Run files on the command line: `train --record`, `export` of one moment or of the metrics, and checking a file before the window opens it.

The file format itself is :mod:`visualizer.core.runfile`; this module adds what the terminal
needs around it: the up-front checks of an output path, the one-line messages and the words that
say which moment was taken.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from visualizer.core.errors import ConfigError, RunFileError
from visualizer.core.runfile import SUFFIX, is_run_file, load_run
from visualizer.core.safeio import one_line
from visualizer.out_checks import check_differs, check_out_path

CSV_SUFFIX = ".csv"


def looks_like_run_file(path: str | os.PathLike) -> bool:
    """True for a file that starts like a run file, or one named ``*.nnvizrun`` (which load_run then judges)."""
    return Path(path).name.lower().endswith(SUFFIX) or is_run_file(path)


def check_record_path(record: str | None, *, out: str | None, data: str | None) -> None:
    """Fail before training when ``--record FILE`` cannot be written or would clash with ``--out`` or the data.

    Raises ConfigError with one line naming the problem.
    """
    if record is None:
        return
    from visualizer.core.weights_format import FORMATS

    name = Path(record).name.lower()
    if name.endswith(CSV_SUFFIX) or any(name.endswith(ext) and len(name) > len(ext) for ext in FORMATS):
        raise ConfigError(f"--record {one_line(record)}: a run file is not a weights or CSV file; "
                          f"name it e.g. run{SUFFIX} (use --out for the weights)")
    check_out_path(record, data=data, option="--record", weights=False)
    if out is not None:
        check_differs(record, out, "--record and --out must be different files")


@dataclass(frozen=True)
class Recorded:
    """What ``train --record`` wrote: the path, and the batches and moments in it."""

    path: str
    batches: int
    moments: int

    def describe(self) -> str:
        return f"{self.path} ({self.batches:,} batches, {self.moments:,} moments with weights)"


def save_recording(path: str, timeline, config, dataset) -> Recorded | None:
    """Write the recorded run to ``path``; None (nothing written) when no batch was recorded.

    Raises RunFileError when the file cannot be written (an existing file is left as it was).
    """
    from visualizer.core.runfile import save_run

    if timeline.batch_count == 0:
        return None
    save_run(path, timeline, config, dataset_name=dataset.source, dataset_description=dataset.describe())
    return Recorded(str(path), timeline.batch_count, len(timeline))


def check_run_to_open(path: str) -> str:
    """Read the run file the window is asked to open, so that a bad one is one line before any window.

    Returns the path; raises RunFileError (missing, not a regular file, foreign, damaged, truncated,
    another version).
    """
    target = Path(path).expanduser()
    load_run(target)
    return str(target)


def export_from_run(args) -> int:
    """`nnviz export --weights RUNFILE [--at EPOCH|bN] --out FILE`: one moment's weights, or every batch's metrics as CSV."""
    from visualizer.core.interrupts import deferred
    from visualizer.core.runfile import find_moment, write_metrics_csv

    to_csv = Path(args.out).name.lower().endswith(CSV_SUFFIX)
    if to_csv and args.at is not None:
        raise ConfigError("--at picks the weights of one moment; the CSV holds every batch (leave --at out)")
    check_out_path(args.out, weights=not to_csv)
    check_differs(args.out, args.weights, "--out must differ from --weights")
    run = load_run(Path(args.weights).expanduser())
    timeline = run.timeline
    if to_csv:
        with deferred():
            write_metrics_csv(args.out, timeline)
            print(f"wrote {args.out} ({timeline.batch_count:,} batches, "
                  f"{len(timeline.metrics().val_step):,} validations)", flush=True)
        return 0
    try:
        moment = find_moment(timeline, args.at) if args.at is not None else timeline.latest
    except RunFileError as exc:
        raise RunFileError(f"--at {one_line(args.at)}: {exc}") from None
    network = moment.network
    from visualizer.core.snapshot import TrainingSnapshot
    from visualizer.core.weights_format import detect_format
    from visualizer.training.export import export_weights

    if detect_format(args.out) not in ("npz", "json"):  # the others are written by Keras
        from visualizer.training.tfenv import import_keras

        import_keras()  # seconds long, so not inside the deferred section below
    with deferred():
        export_weights(TrainingSnapshot.of_network(network), args.out)
        print(f"wrote {args.out} ({network.describe()}) from {describe_moment(moment, args.at)}", flush=True)
    return 0


def describe_moment(moment, at: str | None) -> str:
    """Which moment was taken, in words: "batch 1,204 (epoch 2.57)", and why when it is not the one asked for."""
    text = f"batch {moment.step:,} (epoch {moment.epoch_float:.2f}"
    if moment.batch == 0:
        text += ", the start"
    elif moment.is_epoch_end:
        text += f", end of epoch {moment.epoch + 1}"
    text += ")"
    if at is None:
        return text + ", the latest moment"
    asked = str(at).strip().lower()
    if asked.startswith("b") and asked[1:].isdigit() and int(asked[1:]) != moment.step:
        text += f", the nearest recorded moment before batch {int(asked[1:]):,}"
    return text
