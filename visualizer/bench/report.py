"""`nnviz bench`: run every benchmark in one process and print each figure beside its baseline."""

from __future__ import annotations

from collections.abc import Callable

TARGETS = {
    "speedup": 3.0,  # Trainer vs tutorial model.fit, same run
    "gui_speedup": 2.5,  # Trainer with the window attached vs model.fit
    "update_ms": 16.0,
    "pad_ms": 5.0,
    "recording_ratio": 0.9,  # samples/s with the timeline recording over without, full speed
    "pace_tolerance": 0.05,  # achieved batches/s within ±5% of the setting
    "runfile_seconds": 1.0,  # saving, and opening, the run file of a 5-epoch run
    "memory_tolerance": 0.10,  # recorded weights within the budget ±10%
    "analysis_ms": 50.0,  # neuron responses over 10,000 test digits, top-9 images included
    "dream_ms": 300.0,
    "fool_ms": 300.0,
}


def run_bench(dataset, *, epochs: int = 5, gui: bool = False, log: Callable[[str], None] = print) -> dict:
    """Run the training, inference, recording, neuron-analysis and drawing-pad benchmarks (and the window's, with ``gui``).

    Returns a JSON-ready dict: ``{"data": ..., "training": {...}, "timeline": {...}, "neurons": {...},
    "pad": {...}, "gui": {...}}``.
    """
    from visualizer.bench.timeline import run_timeline_bench
    from visualizer.bench.training import run_training_bench

    report: dict = {
        "data": {"source": dataset.source, "train": len(dataset.x_train), "test": len(dataset.x_test)},
    }
    log(f"bench: training {epochs} epoch(s) with model.fit, then with the nnviz trainer…")
    report["training"] = run_training_bench(dataset, epochs=epochs)
    report["timeline"] = run_timeline_bench(dataset, log=log)
    log("bench: neuron analysis, dreams and fool-it…")
    report["neurons"] = _neurons_bench(dataset)
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # figures are offscreen, as documented
    from visualizer.app import create_app

    create_app(["nnviz-bench"])  # one QApplication, with nnviz's Qt message filter, for both GUI benches
    log("bench: drawing pad…")
    snapshot = _fresh_snapshot(dataset)
    report["pad"] = _pad_bench(snapshot)
    log("bench: gradient views…")
    from visualizer.bench.gradients import run_gradients_bench

    report["gradients"] = run_gradients_bench(snapshot, dataset.x_test[:1], dataset.y_test[:1])
    log("bench: the Gradients panel at 1024,1024,1024…")
    from visualizer.bench.gradients import run_wide_gradients_bench

    report["gradients"].update(run_wide_gradients_bench(dataset.x_test[:1], dataset.y_test[:1]))
    log("bench: gradient statistics in the training graph, on and off…")
    from visualizer.bench.gradients import gradient_stats_cost

    report["gradients"].update(gradient_stats_cost(dataset))
    if gui:
        log("bench: window (offscreen)…")
        from visualizer.bench.window import run_gui_bench

        report["gui"] = run_gui_bench(dataset, epochs=epochs)
    return report


def _fresh_snapshot(dataset):
    """Freshly initialised 784-16-16-10 weights: the pad's and gradient views' cost depends on the sizes."""
    from visualizer.core.config import TrainingConfig
    from visualizer.training.trainer import Trainer

    return Trainer(TrainingConfig(epochs=1), dataset).current_snapshot()


def _pad_bench(snapshot) -> dict:
    from visualizer.bench.pad import run_pad_bench

    return run_pad_bench(snapshot)


def _neurons_bench(dataset) -> dict:
    from visualizer.bench.neurons import run_neurons_bench
    from visualizer.core.config import TrainingConfig
    from visualizer.training.trainer import Trainer

    # One trained epoch: fool-it and the dreams behave as they do after a real run.
    snapshot = Trainer(TrainingConfig(epochs=1), dataset).run(lambda s: None).snapshot
    return run_neurons_bench(snapshot, dataset.x_test, dataset.y_test)


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
    timeline = report.get("timeline")
    if timeline:
        lines += ["", *_timeline_lines(timeline)]
    neurons = report.get("neurons")
    if neurons:
        lines += ["", *_neurons_lines(neurons)]
    pad = report.get("pad")
    if pad:
        lines += ["", *_pad_lines(pad)]
    grad = report.get("gradients")
    if grad:
        lines += ["", *_gradient_lines(grad)]
    gui = report.get("gui")
    if gui:
        lines += ["", *_gui_lines(gui)]
    return "\n".join(lines)


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _timeline_lines(tl: dict) -> list[str]:
    def row(label: str, measured: str = "", target: str = "") -> str:
        return f"  {label:<56} {measured:<26} {target}".rstrip()

    paces = tl["paces"]
    ratios = [tl[f"pace_{p}_ratio"] for p in paces]
    tolerance, limit = TARGETS["pace_tolerance"], TARGETS["runfile_seconds"]
    save, opened = tl["runfile_save_seconds"], tl["runfile_open_seconds"]
    ratio, wanted = tl["recording_ratio"], TARGETS["recording_ratio"]
    budget = 1 + TARGETS["memory_tolerance"]
    return [
        f"{'recording, pace and run files':<59}{'measured':<27}target",
        row(f"recording on / off at full speed (median of {int(tl['recording_pairs'])} pairs)",
            f"{ratio:.2f} (pairs {tl['recording_ratio_min']:.2f}–{tl['recording_ratio_max']:.2f})",
            f"≥ {wanted:.1f}  {_verdict(ratio >= wanted)}"),
        row(f"  samples/s recording / not (medians, {int(tl.get('recording_epochs', 0))}-epoch runs)",
            f"{_fmt(tl['recording_samples_per_second'])} / {_fmt(tl['plain_samples_per_second'])}"),
        row(f"pace {' / '.join(map(str, paces))} batches/s, achieved",
            " / ".join(f"{tl[f'pace_{p}_achieved']:.4g}" for p in paces)),
        row("  achieved / asked", " / ".join(f"{r:.2f}" for r in ratios),
            f"±{tolerance:.0%}  {_verdict(all(abs(r - 1) <= tolerance for r in ratios))}"),
        row(f"run file of a {int(tl['runfile_epochs'])}-epoch run ({int(tl['runfile_moments']):,} moments, "
            f"{tl['runfile_megabytes']:.0f} MB)", f"save {save:.2f} s, open {opened:.2f} s",
            f"≤ {limit:.0f} s each  {_verdict(max(save, opened) <= limit)}"),
        row("first Start: tracing the graph; then the first batch",
            f"{tl['prepare_seconds']:.2f} s, {1000 * tl['first_batch_after_prepare_seconds']:.0f} ms"),
        row(f"memory of a {int(tl['memory_epochs'])}-epoch recording, simulated: {int(tl['memory_batches']):,} "
            f"synthetic batches appended to a {tl['memory_budget_mb']:.0f} MB timeline (no training)"),
        row("  recorded weights, peak / at the end",
            f"{tl['memory_peak_ratio']:.0%} / {tl['memory_end_ratio']:.0%} of the budget",
            f"≤ {budget:.0%}  {_verdict(tl['memory_peak_ratio'] <= budget)}"),
        row(f"  RSS when the budget filled (batch {_fmt(tl['memory_full_at_batch'])}), growth after",
            f"{tl['memory_rss_full_mb']:.0f} MB, +{tl['memory_rss_growth_mb']:.1f} MB",
            f"flat (per-batch metrics: {tl['memory_metrics_mb']:.1f} MB)"),
    ]


def _neurons_lines(n: dict) -> list[str]:
    rows = [
        (f"response matrix, {int(n['analysis_images']):,} test digits + top 9", "analysis",
         f"target ≤ {TARGETS['analysis_ms']:.0f} ms median"),
        ("one dream image (200 ascent steps)", "dream",
         f"target ≤ {TARGETS['dream_ms']:.0f} ms; output rose in {n['dream_rose']:.0%}"),
        ("one fool-it", "fool", f"target ≤ {TARGETS['fool_ms']:.0f} ms; fooled {n['fool_succeeded']:.0%}"),
    ]
    return ["what the network learned (numpy, off the GUI thread)  median / p90"] + [
        f"  {label:<50}{n[key + '_median_ms']:.1f} / {n[key + '_p90_ms']:.1f} ms   ({tail})" for label, key, tail in rows]


def _pad_lines(p: dict) -> list[str]:
    return [
        "drawing pad                                       median / p99",
        f"  stroke -> preprocessing + forward pass          {p['preprocess_forward_median_ms']:.2f} / "
        f"{p['preprocess_forward_p99_ms']:.2f} ms   (target ≤ {TARGETS['pad_ms']:.0f} ms median)",
        f"  saliency overlay                                {p['saliency_median_ms']:.2f} / {p['saliency_p99_ms']:.2f} ms",
        f"  whole pad panel update                          {p['panel_update_median_ms']:.2f} / "
        f"{p['panel_update_p99_ms']:.2f} ms",
        f"  one mouse move, idle                            {p['move_event_idle_median_ms']:.2f} / "
        f"{p['move_event_idle_p99_ms']:.2f} ms",
        f"  one mouse move, training-like GIL load          {p['move_event_median_ms']:.2f} / "
        f"{p['move_event_p99_ms']:.2f} ms; {int(p['moves_sent'])} moves -> {int(p['stroke_points'])} "
        f"stroke points, {int(p['dropped_points'])} dropped",
    ]


def _gradient_lines(g: dict) -> list[str]:
    return [
        "gradient views                                    median / p95",
        f"  one example's backward pass (numpy)             {g['backward_median_ms']:.2f} / "
        f"{g['backward_p95_ms']:.2f} ms   (target ≤ 1 ms median)",
        f"  Gradients panel update, new network + paint     {g['view_update_median_ms']:.1f} / "
        f"{g['view_update_p95_ms']:.1f} ms   (target ≤ 16 ms median; CPU {g['view_update_cpu_median_ms']:.1f} ms)",
        f"  hover text with its step preview                {g['hover_median_ms']:.2f} / {g['hover_p95_ms']:.2f} ms",
        f"  Explain one step: next frame + paint            {g['stage_transition_median_ms']:.1f} / "
        f"{g['stage_transition_p95_ms']:.1f} ms   (target ≤ 16 ms median; CPU "
        f"{g['stage_transition_cpu_median_ms']:.1f} ms)",
        *_grad_stats_lines(g),
        *_wide_gradient_lines(g),
    ]


def _wide_gradient_lines(g: dict) -> list[str]:
    if "wide_gui_median_ms" not in g:
        return []
    return [
        f"  at 1024,1024,1024, GUI thread per update        {g['wide_gui_median_ms']:.1f} / {g['wide_gui_p95_ms']:.1f} ms "
        f"(CPU {g['wide_gui_cpu_median_ms']:.1f} ms; the gradient in the background: "
        f"{g['wide_ready_median_ms']:.0f} ms to arrive, redraw CPU {g['wide_redraw_cpu_median_ms']:.1f} ms)",
        f"    drawn: {g['wide_edges']:.0f} connections, {g['wide_arrows']:.0f} arrows, "
        f"{g['wide_tiles_drawn']:.0f} of {g['wide_tiles']:.0f} tiles",
    ]


def _grad_stats_lines(g: dict) -> list[str]:
    if "grad_stats_cost_percent" not in g:
        return []
    return [
        f"  gradient size and update ratio in the graph     {g['grad_stats_cost_percent']:+.1f} % time per batch "
        f"(target ≤ 5 %; one trainer, calls of {g['grad_stats_call_batches']:.0f} batches alternating, medians "
        f"{g['grad_stats_on_us_per_batch']:.1f} vs {g['grad_stats_off_us_per_batch']:.1f} µs)",
    ]


def _gui_lines(g: dict) -> list[str]:
    def get(key):
        return g.get(key, float("nan"))

    return [
        f"window (offscreen, redraw {g.get('redraw_hz', '?')} Hz)              measured                 target",
        f"  on screen after launch (median)                 {get('startup_seconds'):.2f} s                   ≤ 1.5 s",
        f"  all views from one snapshot, median / p95       {get('update_median_ms'):.1f} / "
        f"{get('update_p95_ms'):.1f} ms          ≤ 16 ms median",
        f"  10 ms timer lateness while training p50/p99/max {get('lateness_median_ms'):.1f} / "
        f"{get('lateness_p99_ms'):.1f} / {get('lateness_max_ms'):.1f} ms   p99 ≤ 20, max ≤ 100 ms",
        f"  same, Test set tab in front, p95/p99/max        {get('browser_lateness_p95_ms'):.1f} / "
        f"{get('browser_lateness_p99_ms'):.1f} / {get('browser_lateness_max_ms'):.1f} ms   p99 ≤ 20, max ≤ 100 ms",
        f"  window frames per second while training         {get('gui_frames_per_second'):.1f}",
        f"  timeline: cursor to a random moment, all views  {get('scrub_median_ms'):.1f} / "
        f"{get('scrub_p99_ms'):.1f} ms          median ≤ 16, p99 ≤ 33 ms",
        f"  a tab behind another brought to the front       {get('tab_front_median_ms'):.1f} / "
        f"{get('tab_front_max_ms'):.1f} ms median / max (drawn when shown, not per frame)",
        f"  replay at 100 batches/s: timer lateness p99/max {get('replay_lateness_p99_ms'):.1f} / "
        f"{get('replay_lateness_max_ms'):.1f} ms, {get('replay_frames_per_second'):.0f} fps   p99 ≤ 20 ms",
        f"  training with the window open                   {_fmt(get('gui_samples_per_second'))} samples/s",
        f"  tutorial model.fit, same run                    {_fmt(get('fit_samples_per_second'))} samples/s",
        f"  ratio                                           {get('speedup_vs_fit'):.2f}x                    ≥ 2.5x",
        f"  memory over a {g.get('epochs', '?')}-epoch run: RSS first / last third, peak "
        f"{get('rss_first_third_mb'):.0f} / {get('rss_last_third_mb'):.0f} / {get('rss_peak_mb'):.0f} MB"
        "   ≤ 1500 MB, flat",
    ]


def run_scale_bench(dataset, networks, *, seconds: float = 6.0, log: Callable[[str], None] = print) -> list[dict]:
    """One :func:`visualizer.bench.scale.measure_scale` row per hidden-layer configuration in ``networks``."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from visualizer.app import create_app
    from visualizer.bench.scale import measure_scale

    create_app(["nnviz-bench"])
    rows = []
    for hidden in networks:
        log(f"bench: window at {','.join(map(str, hidden))} (offscreen), then the trainer alone and model.fit…")
        rows.append(measure_scale(dataset, hidden, seconds=seconds))
    return rows


def format_scale(rows: list[dict]) -> str:
    """The README's scale table: network → samples/s (window, no window, fit), lateness, fps, memory, Stop, close."""
    head = ("| network | parameters | samples/s window / no window / fit | window ÷ no window, ÷ fit | lateness p99 / max | fps | "
            "snapshot copy, interval | memory | Stop | close | all views / network view / weight maps |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in rows:
        lines.append(
            f"| {r['hidden']} | {r['parameters']:,} | {_fmt(r['window_samples_per_second'])} / "
            f"{_fmt(r.get('no_window_samples_per_second'))} / {_fmt(r.get('fit_samples_per_second'))} | "
            f"{r.get('window_vs_no_window', float('nan')):.2f}, {r.get('window_vs_fit', float('nan')):.2f} | "
            f"{r['lateness_p99_ms']:.0f} / {r['lateness_max_ms']:.0f} ms | {r['frames_per_second']:.1f} | "
            f"{r['snapshot_copy_ms']:.1f} ms, {r['snapshot_interval_s']:.2f} s | {r['rss_mb']:,.0f} MB | "
            f"{r['stop_seconds']:.2f} s | {r['close_seconds']:.2f} s | "
            f"{r['view_all_median_ms']:.1f} / {r['view_network_median_ms']:.1f} / {r['view_weight_maps_median_ms']:.1f} ms |")
    lines.append("")
    for r in rows:
        missed = [key for key, met in r.get("targets_met", {}).items() if not met]
        lines.append(f"{r['hidden']}: " + ("every target met" if not missed else "MISSED " + ", ".join(missed)))
    return "\n".join(lines)
