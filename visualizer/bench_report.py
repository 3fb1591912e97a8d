"""`nnviz bench`: run every benchmark in one process and print each figure beside its baseline."""

from __future__ import annotations

from typing import Callable

TARGETS = {
    "speedup": 3.0,  # Trainer vs tutorial model.fit, same run
    "gui_speedup": 2.5,  # Trainer with the window attached vs model.fit
    "update_ms": 16.0,
    "pad_ms": 5.0,
}


def run_bench(dataset, *, epochs: int = 2, gui: bool = False, log: Callable[[str], None] = print) -> dict:
    """Run the training, inference and drawing-pad benchmarks (and the window's, with ``gui``).

    Returns a JSON-ready dict: ``{"data": ..., "training": {...}, "pad": {...}, "gui": {...}}``.
    """
    from visualizer.training.bench import run_training_bench

    report: dict = {
        "data": {"source": dataset.source, "train": len(dataset.x_train), "test": len(dataset.x_test)},
    }
    log(f"bench: training {epochs} epoch(s) with model.fit, then with the nnviz trainer…")
    report["training"] = run_training_bench(dataset, epochs=epochs)
    log("bench: drawing pad…")
    report["pad"] = _pad_bench(dataset)
    if gui:
        log("bench: window (offscreen)…")
        from visualizer.ui.bench import run_gui_bench

        report["gui"] = run_gui_bench(dataset, epochs=epochs)
    return report


def _pad_bench(dataset) -> dict:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from visualizer.core.config import TrainingConfig
    from visualizer.training.trainer import Trainer
    from visualizer.ui.bench_pad import run_pad_bench

    # A briefly trained network, so the pad's forward pass sees realistic weights.
    trainer = Trainer(TrainingConfig(epochs=1), dataset)
    return run_pad_bench(trainer.current_snapshot())


def _fmt(value, spec: str = ",.0f") -> str:
    return "n/a" if value is None else format(value, spec)


def format_report(report: dict) -> str:
    """Human-readable table: each figure side by side with its baseline and target."""
    d, t = report["data"], report["training"]
    lines = [
        f"data: {d['source']} — {d['train']:,} train / {d['test']:,} test images, "
        f"{int(t['epochs'])} epochs, batch {int(t['batch_size'])}, Adam lr 0.001",
        "",
        "training throughput (same data, hyperparameters and run)   samples/s   test accuracy",
        f"  tutorial model.fit(x, y, batch_size=32)                  {_fmt(t['fit_samples_per_second']):>9}   "
        f"{t['fit_test_accuracy']:.4f}",
        f"  nnviz trainer, snapshots at 30 Hz                        {_fmt(t['trainer_samples_per_second']):>9}   "
        f"{t['trainer_test_accuracy']:.4f}",
        f"  ratio: {t['speedup']:.2f}x (target ≥ {TARGETS['speedup']:.1f}x); "
        f"accuracy difference {100 * t['accuracy_difference']:+.2f} points",
        "",
        f"numpy forward pass, one input: median {t['forward_median_us']:.0f} µs, p99 {t['forward_p99_us']:.0f} µs",
    ]
    pad = report.get("pad")
    if pad:
        lines += ["", "drawing pad"] + [f"  {k}: {_num(v)}" for k, v in pad.items()]
    gui = report.get("gui")
    if gui:
        lines += ["", "window (offscreen)"] + [f"  {k}: {_num(v)}" for k, v in gui.items()]
    return "\n".join(lines)


def _num(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
