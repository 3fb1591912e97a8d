"""Speed benchmark: nnviz's Trainer (snapshots on) against the tutorial's plain ``model.fit``."""

from __future__ import annotations

import time

import numpy as np

from visualizer.core.config import TrainingConfig
from visualizer.core.snapshot import TrainingSnapshot
from visualizer.data.dataset import Dataset
from visualizer.training.model import build_model, make_optimizer
from visualizer.training.tfenv import import_keras
from visualizer.training.trainer import Trainer


def fit_baseline(config: TrainingConfig, dataset: Dataset) -> dict:
    """The tutorial: compile, ``fit(x, y, batch_size, epochs)``, evaluate -- same initial weights."""
    keras = import_keras()
    keras.utils.set_random_seed(config.seed)
    model = build_model(config)
    model.compile(optimizer=make_optimizer(config), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = dataset.x_train, dataset.y_train
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=config.batch_size, epochs=config.epochs, verbose=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    loss, accuracy = model.evaluate(dataset.x_test, dataset.y_test, batch_size=1024, verbose=0)
    return {
        "fit_seconds": seconds,
        "fit_samples_per_second": len(x) * config.epochs / seconds,
        "fit_cpu_seconds": cpu,
        "fit_test_loss": float(loss),
        "fit_test_accuracy": float(accuracy),
    }


def _trainer_run(config: TrainingConfig, dataset: Dataset) -> tuple[dict, TrainingSnapshot]:
    """The Trainer as the GUI uses it: snapshots at 30 Hz, the consumer keeps only the latest."""
    latest: list = [None]
    count = [0]

    def on_snapshot(snapshot):
        latest[0] = snapshot
        count[0] += 1

    start, cpu = time.perf_counter(), time.process_time()
    trainer = Trainer(config, dataset, snapshot_interval=1 / 30)
    result = trainer.run(on_snapshot)
    # Everything counts: model build, graph tracing, per-epoch validation, snapshots.
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "trainer_seconds": seconds,
        "trainer_samples_per_second": len(dataset.x_train) * config.epochs / seconds,
        "trainer_loop_samples_per_second": result.samples_per_second,  # training loop only
        "trainer_cpu_seconds": cpu,
        "trainer_test_loss": result.test_loss,
        "trainer_test_accuracy": result.test_accuracy,
        "trainer_snapshots": float(count[0]),
    }, result.snapshot


def forward_latency(snapshot: TrainingSnapshot, *, calls: int = 2000) -> dict:
    """Median and 99th-percentile microseconds of the numpy forward pass on one input."""
    net = snapshot.network
    x = np.random.default_rng(0).random(784, dtype=np.float32)
    for _ in range(50):  # warm caches
        net.forward(x)
    times = np.empty(calls)
    clock = time.perf_counter
    for i in range(calls):
        t = clock()
        net.forward(x)
        times[i] = clock() - t
    return {
        "forward_median_us": float(np.median(times) * 1e6),
        "forward_p99_us": float(np.percentile(times, 99) * 1e6),
    }


def run_training_bench(dataset: Dataset, *, epochs: int = 2, batch_size: int = 32, seed: int = 0) -> dict:
    """Measure plain ``model.fit`` and the Trainer on the same data and hyperparameters.

    Both use Adam (lr 1e-3), ``batch_size``, ``epochs``, reshuffling every epoch, and start from
    the same seeded initial weights. Returns plain floats: samples/second and test accuracy of
    each, ``speedup`` (Trainer / fit in wall-clock samples/s, the Trainer timed end to end
    including model build, graph tracing and per-epoch validation), ``speedup_cpu`` (the same
    ratio in process CPU seconds, steadier on a busy machine) and the numpy forward-pass latency
    on one input.
    """
    keras = import_keras()
    config = TrainingConfig(optimizer="adam", learning_rate=1e-3, batch_size=batch_size, epochs=epochs, seed=seed)
    # Warm the TensorFlow runtime so neither side pays its one-off start-up.
    keras.ops.convert_to_numpy(keras.ops.matmul(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32)))
    out: dict = {
        "epochs": float(epochs),
        "batch_size": float(batch_size),
        "train_samples": float(len(dataset.x_train)),
        "test_samples": float(len(dataset.x_test)),
    }
    out.update(fit_baseline(config, dataset))
    trainer_figures, snapshot = _trainer_run(config, dataset)
    out.update(trainer_figures)
    out["speedup"] = out["trainer_samples_per_second"] / out["fit_samples_per_second"]
    # CPU seconds of this process: the fairer ratio when other programs compete for the cores.
    out["speedup_cpu"] = out["fit_cpu_seconds"] / out["trainer_cpu_seconds"]
    out["accuracy_difference"] = out["trainer_test_accuracy"] - out["fit_test_accuracy"]
    out.update(forward_latency(snapshot))
    return out


if __name__ == "__main__":
    import argparse
    import json
    from pathlib import Path

    default = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"
    parser = argparse.ArgumentParser(description="Trainer vs model.fit on real data (default ../shared/data/mnist)")
    parser.add_argument("data", nargs="?", type=Path, default=default)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from visualizer.data.sources import load_dataset

    data = load_dataset(args.data)
    print(data.describe())
    figures = run_training_bench(data, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    print(json.dumps(figures, indent=2))
