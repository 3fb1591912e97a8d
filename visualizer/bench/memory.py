"""Memory benchmarks: this process's resident memory, and the recording's memory over a simulated 50-epoch run.

The long run is simulated: trainer-like blocks of :class:`~visualizer.core.timeline.Batches` are
appended to a :class:`~visualizer.core.timeline.Timeline`, without training (50 real epochs would
take minutes). Blocks follow the trainer's rules (they never cross an epoch end, carry the rows
the timeline's capture plan asks for plus the network after the block's last batch, and hand over
views of one reused capture buffer), so the figures are the recording's own: its bytes against
its budget, and whether the process grows once the budget is full.
"""

from __future__ import annotations

import os
import resource
import time

import numpy as np

from visualizer.core.config import TrainingConfig
from visualizer.core.network import Network
from visualizer.core.timeline import DEFAULT_BUDGET, Batches, Timeline


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
            captured = steps[(steps <= keep_until) | (steps % stride == 0)]
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
