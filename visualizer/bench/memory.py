"""Memory benchmarks: resident memory, the recording's memory over a simulated 50-epoch run, and real long and large runs.

The 50-epoch run is simulated: trainer-like blocks of :class:`~visualizer.core.timeline.Batches` are
appended to a :class:`~visualizer.core.timeline.Timeline`, without training (50 real epochs would
take minutes). Blocks follow the trainer's rules (they never cross an epoch end, carry the rows
the timeline's capture plan asks for plus the network after the block's last batch, and hand over
views of one reused capture buffer), so the figures are the recording's own: its bytes against
its budget, and whether the process grows once the budget is full.

:func:`long_runs` trains for real (issue 14's long and large runs, shortened by a training subset
and a smaller budget so they take minutes) and measures full-size MNIST's start-up;
``python -m visualizer.bench.memory`` prints it."""

from __future__ import annotations

import os
import resource
import time

import numpy as np

from visualizer.core.config import TrainingConfig
from visualizer.core.network import Network
from visualizer.core.timeline import DEFAULT_BUDGET, Batches, Timeline, kept_by_plan
from visualizer.data.dataset import Dataset

FLAT_MB = 10.0  # RSS growth after the timeline's budget filled that still counts as flat


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return 0.0


def peak_rss_mb() -> float:
    """The most resident memory this process has had (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def recording_memory(*, epochs: int = 50, batches_per_epoch: int = 1875, budget: int = DEFAULT_BUDGET,
                     block: int = 64, config: TrainingConfig | None = None) -> dict:
    """Record a simulated ``epochs``-epoch run of ``config``'s network into a ``budget``-byte timeline.

    ``batches_per_epoch`` defaults to MNIST's 60,000 images at batch size 32; ``block`` is the
    batches per graph call (the trainer's calls at full speed last 1/30 s: 50-100 batches).
    Returns the recorded bytes against the budget (peak over the run and at the end), the RSS
    when the budget first filled and its growth after that (the per-batch metrics, about 25 bytes
    a batch, are the only part meant to grow), and the seconds the simulation took.
    """
    config = config or TrainingConfig()
    rng = np.random.default_rng(0)
    sizes = config.layer_sizes
    network = Network.from_arrays([rng.normal(0, 0.1, (a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)],
                                  [np.zeros(b, np.float32) for b in sizes[1:]], config.activation)
    params = network.parameter_count
    buffer = rng.standard_normal((block + 1, params), dtype=np.float32)  # the trainer's capture buffer
    timeline = Timeline(budget)
    started = time.perf_counter()
    timeline.reserve(epochs * batches_per_epoch + 1, params)  # as Trainer.prepare does
    timeline.extend(network, 0)
    step, peak, full_at, rss_full, rss_after = 0, 0, None, float("nan"), []
    for epoch in range(epochs):
        pos = 0
        while pos < batches_per_epoch:
            n = min(block, batches_per_epoch - pos)
            steps = np.arange(step + 1, step + n + 1)
            stride, keep_until = timeline.capture_plan()
            captured = steps[kept_by_plan(steps, stride, keep_until)]
            weights = [buffer[: len(captured)]] if len(captured) else []
            weight_steps = captured.tolist()
            if not weight_steps or weight_steps[-1] != steps[-1]:
                weights.append(buffer[-1])  # the network after the block, read from the variables
                weight_steps.append(int(steps[-1]))
            losses = np.full(n, 1.0 / (1 + epoch), np.float32)
            timeline.append(Batches(
                first_step=step + 1, epoch=epoch, first_batch=pos + 1, batches_per_epoch=batches_per_epoch,
                loss=losses, accuracy=1 - losses, weight_steps=weight_steps, weights=weights,
                epoch_end=pos + n == batches_per_epoch,
            ))
            step, pos = step + n, pos + n
            peak = max(peak, timeline.nbytes)
            if full_at is None and timeline.stride > 1:
                full_at, rss_full = step, rss_mb()
        timeline.set_validation(step, 1.0 / (1 + epoch), 1 - 1.0 / (2 + epoch))
        if full_at is not None:
            rss_after.append(rss_mb())
    seconds = time.perf_counter() - started
    metrics = timeline.metrics()
    metric_bytes = sum(getattr(metrics, f).nbytes for f in ("epoch", "batch", "epoch_float", "loss", "accuracy",
                                                            "is_epoch_end"))
    return {
        "memory_epochs": float(epochs),
        "memory_batches": float(step),
        "memory_budget_mb": budget / 2**20,
        "memory_peak_ratio": peak / budget,
        "memory_end_ratio": timeline.nbytes / budget,
        "memory_moments": float(len(timeline)),
        "memory_full_at_batch": float(full_at) if full_at is not None else float("nan"),
        "memory_rss_full_mb": rss_full,
        "memory_rss_growth_mb": (max(rss_after) - rss_full) if rss_after else float("nan"),
        "memory_metrics_mb": metric_bytes / 2**20,
        "memory_seconds": seconds,
    }


def full_size_mnist(dataset: Dataset, n_train: int = 60_000, n_test: int = 10_000) -> Dataset:
    """The dataset's images repeated (in memory, nothing written) up to MNIST's full 60,000 + 10,000.

    The shared MNIST files hold fewer training images; repeating them gives the real sizes for
    start-up, memory and throughput (the figures do not depend on the images being distinct).
    """
    def repeat(x, y, n):
        rows = np.arange(n) % len(x)
        return np.ascontiguousarray(x[rows]), np.ascontiguousarray(y[rows])

    x_train, y_train = repeat(dataset.x_train, dataset.y_train, n_train)
    x_test, y_test = repeat(dataset.x_test, dataset.y_test, n_test)
    return Dataset(x_train, y_train, x_test, y_test, source=f"{dataset.source} repeated to {n_train:,} + {n_test:,}",
                   kind=dataset.kind)


def training_memory(dataset: Dataset, config: TrainingConfig, *, budget: int = DEFAULT_BUDGET) -> dict:
    """Train ``config`` at full speed with a ``budget``-byte timeline; RSS at every epoch end.

    Returns the RSS when the timeline's budget first filled (the first epoch end after its
    stride grew) and the most it grew after that, the recorded bytes against the budget, the
    moments kept, the samples per second and the seconds taken. The Trainer is released before
    returning (as the window's worker does), and ``memory_after_release_mb`` says what is left.
    """
    from visualizer.core.snapshot import SnapshotEvent
    from visualizer.training.trainer import Trainer

    timeline = Timeline(budget)
    rss: list[tuple[int, float, bool]] = []  # (step, RSS, budget full)

    def on_snapshot(snapshot):
        if snapshot.event is SnapshotEvent.EPOCH_END:
            rss.append((snapshot.step, rss_mb(), timeline.stride > 1))

    before = rss_mb()
    trainer = Trainer(config, dataset, timeline=timeline)
    result = trainer.run(on_snapshot)
    trainer.release()
    full = [r for _, r, is_full in rss if is_full]
    return {
        "epochs": float(config.epochs),
        "batches": float(result.batches),
        "budget_mb": budget / 2**20,
        "moments": float(len(timeline)),
        "recorded_ratio": timeline.nbytes / budget if budget else float("nan"),
        "rss_before_mb": before,
        "rss_full_mb": full[0] if full else float("nan"),
        "rss_growth_after_full_mb": (max(full) - full[0]) if full else float("nan"),
        "rss_last_mb": rss[-1][1] if rss else float("nan"),
        "memory_after_release_mb": rss_mb(),
        "samples_per_second": result.samples_per_second,
        "seconds": result.seconds,
    }


def startup_line(dataset: Dataset, config: TrainingConfig | None = None) -> dict:
    """Start-up (building the Trainer, tracing), memory and one epoch's throughput on ``dataset``, recording on."""
    import time

    from visualizer.training.tfenv import import_tf
    from visualizer.training.trainer import Trainer

    import_tf()  # TensorFlow's own start-up (seconds) is not the Trainer's
    config = (config or TrainingConfig()).with_changes(epochs=1)
    before = rss_mb()
    t0 = time.perf_counter()
    trainer = Trainer(config, dataset, timeline=Timeline())
    built = time.perf_counter() - t0
    prepared = trainer.prepare()
    ready = rss_mb()
    result = trainer.run(lambda s: None)
    after = rss_mb()
    trainer.release()
    return {
        "train_images": float(len(dataset.x_train)),
        "test_images": float(len(dataset.x_test)),
        "build_seconds": built,
        "prepare_seconds": prepared,
        "rss_before_mb": before,
        "rss_ready_mb": ready,
        "rss_after_epoch_mb": after,
        "rss_after_release_mb": rss_mb(),
        "samples_per_second": result.samples_per_second,
        "test_accuracy": result.test_accuracy,
    }


def long_runs(dataset: Dataset, *, subset: int = 3_200, test_images: int = 2_000, epochs: tuple[int, int] = (200, 50),
              budgets: tuple[int, int] = (32 << 20, 64 << 20), full_size: tuple[int, int] = (60_000, 10_000),
              log=print) -> dict:
    """Issue 14's long and large runs, shortened so they take minutes; each figure says what ran.

    - ``long_default``: ``epochs[0]`` (200) epochs of the default network on the first ``subset``
      training images (100 batches an epoch), a ``budgets[0]`` (32 MB) timeline (fills at batch
      ~650, then thins 5 times);
    - ``long_512``: ``epochs[1]`` (50) epochs at 512,512 on the same subset, a ``budgets[1]``
      (64 MB) timeline (24 moments);
    - ``full_size``: MNIST's full 60,000 + 10,000 (the dataset's images repeated), one epoch.

    The long runs validate on the first ``test_images`` test images (a full test pass at every
    epoch end would take longer than the training).
    """
    small = Dataset(dataset.x_train[:subset], dataset.y_train[:subset], dataset.x_test[:test_images],
                    dataset.y_test[:test_images], source=dataset.source, kind=dataset.kind)
    out: dict = {"subset": float(len(small.x_train)), "test_images": float(len(small.x_test))}
    runs = (("long_default", "16,16", TrainingConfig(epochs=epochs[0])),
            ("long_512", "512,512", TrainingConfig(epochs=epochs[1], hidden=(512, 512))))
    for (key, name, config), budget in zip(runs, budgets, strict=True):
        log(f"bench: {config.epochs} epochs of {name} on {len(small.x_train):,} images, {budget / 2**20:g} MB timeline…")
        out[key] = training_memory(small, config, budget=budget)
    log(f"bench: full-size MNIST ({full_size[0]:,} + {full_size[1]:,} by repetition), one epoch…")
    out["full_size"] = startup_line(full_size_mnist(dataset, *full_size))
    return out


def format_long(report: dict) -> str:
    """``nnviz bench --long`` as text: what ran, the memory once the budget filled, the full-size start-up."""
    lines = [f"long and large runs (training images {report['subset']:,.0f}, validation on {report['test_images']:,.0f})",
             "  run                          moments kept  RSS when full  growth after  samples/s   target"]
    for key, name in (("long_default", "16,16"), ("long_512", "512,512")):
        r = report[key]
        name = f"{r['epochs']:.0f} epochs of {name}"
        flat = r["rss_growth_after_full_mb"] <= FLAT_MB
        label = f"{name} ({r['budget_mb']:.0f} MB)"
        lines.append(f"  {label:<28} {r['moments']:>12,.0f}  {r['rss_full_mb']:>10,.0f} MB"
                     f"  {r['rss_growth_after_full_mb']:>+9.1f} MB  {r['samples_per_second']:>9,.0f}   flat "
                     f"(≤ {FLAT_MB:g} MB) {'met' if flat else 'MISSED'}")
    f = report["full_size"]
    lines += ["  full-size MNIST by repetition "
              f"({f['train_images']:,.0f} + {f['test_images']:,.0f}, one epoch, recording):",
              f"    build {f['build_seconds']:.2f} s, tracing {f['prepare_seconds']:.2f} s; RSS {f['rss_before_mb']:,.0f}"
              f" -> {f['rss_ready_mb']:,.0f} MB ready -> {f['rss_after_epoch_mb']:,.0f} MB after the epoch"
              f" -> {f['rss_after_release_mb']:,.0f} MB released; {f['samples_per_second']:,.0f} samples/s,"
              f" test accuracy {f['test_accuracy']:.4f}"]
    return "\n".join(lines)
