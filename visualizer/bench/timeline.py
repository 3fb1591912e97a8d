"""Benchmarks for watching a run: recording on vs off, pace accuracy, tracing time, run file save/open.

Figures are ratios and medians of repeated runs (the machine may be shared), never pass/fail.
:func:`run_timeline_bench` runs them all for ``nnviz bench``, with the memory check of
:mod:`visualizer.bench.memory`.
"""

from __future__ import annotations

import gc
import math
import statistics
import tempfile
import threading
import time
from pathlib import Path

from visualizer.core.config import TrainingConfig
from visualizer.core.runfile import load_run, save_run
from visualizer.core.snapshot import SnapshotEvent
from visualizer.core.timeline import Timeline
from visualizer.data.dataset import Dataset
from visualizer.training.control import TrainingControl
from visualizer.training.trainer import Trainer

# Pairs of runs for the recording ratio: the pairs of one run spread from 0.63 to 0.99 here, too
# wide for the median of five to tell 0.85 from 0.9.
RECORDING_PAIRS = 9


def recording_ratio(dataset: Dataset, *, epochs: int = 2, pairs: int = RECORDING_PAIRS,
                    config: TrainingConfig | None = None, min_seconds: float = 1.0) -> dict:
    """Training-loop throughput with a Timeline over without, at full speed on the same run.

    Runs ``pairs`` pairs (order alternating, each trainer prepared first so tracing is not
    timed) and returns the median of the per-pair ratios of samples/second, plus the medians.
    Each run gets more than ``epochs`` epochs when needed to last about ``min_seconds`` without
    recording (judged from one warm epoch): two epochs of the default network take 0.2 s here,
    where the start and end of a run and the machine's noise swung the pairs from 0.66 to 0.99.
    Two Trainers built alike differ by 10-20% per batch: hence :data:`RECORDING_PAIRS` pairs.
    """
    config = (config or TrainingConfig()).with_changes(epochs=epochs)
    if min_seconds > 0:
        trial = Trainer(config.with_changes(epochs=1), dataset)
        trial.prepare()
        rate = trial.run(lambda s: None).samples_per_second
        trial.release()
        epoch_seconds = len(dataset.x_train) / max(rate, 1.0)
        config = config.with_changes(epochs=max(epochs, math.ceil(min_seconds / epoch_seconds)))
    ratios, on, off = [], [], []
    for i in range(pairs):
        speeds = {}
        for recording in ((False, True) if i % 2 == 0 else (True, False)):
            trainer = Trainer(config, dataset, timeline=Timeline() if recording else None)
            trainer.prepare()
            gc.collect()  # the previous pair's garbage is not collected during this run
            speeds[recording] = trainer.run(lambda s: None).samples_per_second
            trainer.release()
        ratios.append(speeds[True] / speeds[False])
        on.append(speeds[True])
        off.append(speeds[False])
    return {
        "recording_pairs": float(pairs),
        "recording_epochs": float(config.epochs),
        "recording_ratio": statistics.median(ratios),
        "recording_ratio_min": min(ratios),
        "recording_ratio_max": max(ratios),
        "recording_samples_per_second": statistics.median(on),
        "plain_samples_per_second": statistics.median(off),
    }


def pace_accuracy(dataset: Dataset, paces=(1, 10, 100, 1000), *, seconds: float = 4.0, min_batches: int = 10) -> dict:
    """Achieved batches/second at each pace, measured from snapshot arrival over about ``seconds``.

    Each pace is measured over at least ``min_batches`` batches (10 s at 1 batch/s).
    """
    out = {}
    for pace in paces:
        control = TrainingControl(pace=pace)
        trainer = Trainer(TrainingConfig(epochs=1000), dataset)
        trainer.prepare()
        arrivals: list[tuple[float, int]] = []
        wanted = max(min_batches, int(pace * seconds))

        def on_snapshot(snapshot, arrivals=arrivals, wanted=wanted, control=control):
            if snapshot.event is SnapshotEvent.BATCH:
                arrivals.append((time.perf_counter(), snapshot.step))
                if snapshot.step - arrivals[0][1] >= wanted:
                    control.stop()

        thread = threading.Thread(target=trainer.run, args=(on_snapshot, control), daemon=True)
        thread.start()
        thread.join(timeout=seconds * 4 + 30)
        control.stop()
        (t0, s0), (t1, s1) = arrivals[0], arrivals[-1]
        out[f"pace_{pace}_achieved"] = (s1 - s0) / (t1 - t0)
        out[f"pace_{pace}_ratio"] = out[f"pace_{pace}_achieved"] / pace
    return out


def prepare_seconds(dataset: Dataset, config: TrainingConfig | None = None) -> dict:
    """Seconds ``Trainer.prepare()`` takes (tracing the graph), and the first graph call after it."""
    config = (config or TrainingConfig()).with_changes(epochs=1)
    trainer = Trainer(config, dataset, timeline=Timeline())
    seconds = trainer.prepare()
    first: list[float] = []
    start = time.perf_counter()

    def on_snapshot(snapshot):
        if snapshot.step > 0 and not first:
            first.append(time.perf_counter() - start)

    trainer.run(on_snapshot)
    return {"prepare_seconds": seconds, "first_batch_after_prepare_seconds": first[0]}


def runfile_seconds(dataset: Dataset, *, epochs: int = 5, config: TrainingConfig | None = None) -> dict:
    """Seconds to save and to open the run file of an ``epochs``-epoch default run (median of 3)."""
    config = (config or TrainingConfig()).with_changes(epochs=epochs)
    timeline = Timeline()
    trainer = Trainer(config, dataset, timeline=timeline)
    trainer.run(lambda s: None)
    saves, opens = [], []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.nnvizrun"
        for _ in range(3):
            t = time.perf_counter()
            save_run(path, timeline, config, dataset_name=dataset.source, dataset_description=dataset.describe())
            saves.append(time.perf_counter() - t)
            t = time.perf_counter()
            load_run(path)
            opens.append(time.perf_counter() - t)
        size = path.stat().st_size
    return {
        "runfile_epochs": float(epochs),
        "runfile_moments": float(len(timeline)),
        "runfile_megabytes": size / 2**20,
        "runfile_save_seconds": statistics.median(saves),
        "runfile_open_seconds": statistics.median(opens),
    }


def run_timeline_bench(dataset: Dataset, *, pairs: int = RECORDING_PAIRS, epochs: int = 2,
                       runfile_epochs: int = 5, paces=(1, 10, 100, 1000), pace_seconds: float = 3.0,
                       memory_epochs: int = 50, log=print) -> dict:
    """Every benchmark of this module plus the simulated long recording, as one dict of figures.

    Paces are measured over ``pace_seconds`` each and at least 5 batches (5 s at 1 batch/s);
    the memory check appends ``memory_epochs`` epochs of synthetic batches of this dataset's
    size at batch size 32 (see :func:`visualizer.bench.memory.recording_memory`).
    """
    from visualizer.bench.memory import recording_memory

    figures: dict = {}
    # First, so that its RSS figures are not those of the trainers below (TensorFlow's reference
    # cycles keep a finished Trainer until the garbage collector runs).
    log(f"bench: memory of a {memory_epochs}-epoch recording (simulated)…")
    batches_per_epoch = -(-len(dataset.x_train) // TrainingConfig().batch_size)
    gc.collect()
    figures.update(recording_memory(epochs=memory_epochs, batches_per_epoch=batches_per_epoch))
    log("bench: tracing the training graph (prepare)…")
    figures.update(prepare_seconds(dataset))
    log(f"bench: recording on vs off, {pairs} pairs of {epochs}-epoch runs at full speed…")
    figures.update(recording_ratio(dataset, epochs=epochs, pairs=pairs))
    log(f"bench: run file of a {runfile_epochs}-epoch run, save and open…")
    figures.update(runfile_seconds(dataset, epochs=runfile_epochs))
    log(f"bench: pace at {', '.join(map(str, paces))} batches/s…")
    figures.update(pace_accuracy(dataset, paces, seconds=pace_seconds, min_batches=5))
    figures["paces"] = list(paces)
    return figures


if __name__ == "__main__":
    import argparse
    import json

    from visualizer.data.sources import load_dataset

    default = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"
    parser = argparse.ArgumentParser(description="recording, pace and run file benchmarks (default ../shared/data/mnist)")
    parser.add_argument("data", nargs="?", type=Path, default=default)
    parser.add_argument("--pairs", type=int, default=RECORDING_PAIRS)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--only", choices=["recording", "pace", "prepare", "runfile", "memory"])
    args = parser.parse_args()
    data = load_dataset(args.data)
    print(data.describe())
    figures: dict = {}
    if args.only in (None, "prepare"):
        figures.update(prepare_seconds(data))
    if args.only in (None, "recording"):
        figures.update(recording_ratio(data, epochs=args.epochs, pairs=args.pairs))
    if args.only in (None, "runfile"):
        figures.update(runfile_seconds(data))
    if args.only in (None, "pace"):
        figures.update(pace_accuracy(data))
    if args.only in (None, "memory"):
        from visualizer.bench.memory import recording_memory

        figures.update(recording_memory())
    print(json.dumps(figures, indent=2))
