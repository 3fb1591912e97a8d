"""`nnviz --self-test`: start offscreen, build the window, train one batch, export and re-import weights.

Its main job is the frozen bundle: a hidden import or data file that PyInstaller missed shows up
here as one ``FAIL`` line instead of as a crash on a user's machine. It works the same from a
checkout or a pip install. Every check prints one line (``ok   <check>  <detail>`` or
``FAIL <check>: <reason>``); the exit code is 0 only when all of them passed.

Nothing outside a temporary folder is touched: QSettings are redirected there and exports go there.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

EXPORT_SUFFIXES = (".keras", ".weights.h5", ".h5", ".npz", ".json", ".tflite")
REIMPORT_SUFFIXES = (".npz", ".keras", ".weights.h5", ".h5", ".json")  # .tflite is export-only
_TRAIN_SAMPLES = 64  # one batch of 64: enough to move every weight, fast on any machine


class _Checks:
    """Runs named checks, prints one line each, remembers failures."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.failed: list[str] = []
        self.passed = 0

    def run(self, name: str, fn: Callable[[], str | None]) -> bool:
        start = time.perf_counter()
        try:
            detail = fn() or ""
        except Exception as exc:  # report and carry on: one broken piece should not hide the others
            self.failed.append(name)
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            print(f"FAIL {name}: {reason}", file=self.out, flush=True)
            if os.environ.get("NNVIZ_DEBUG"):
                traceback.print_exc()
            return False
        self.passed += 1
        seconds = time.perf_counter() - start
        text = f"{detail} ({seconds:.1f}s)" if detail else f"({seconds:.1f}s)"
        print(f"ok   {name}  {text}", file=self.out, flush=True)
        return True

    def fail(self, name: str, reason: str) -> None:
        self.failed.append(name)
        print(f"FAIL {name}: {reason}", file=self.out, flush=True)


# ---------------------------------------------------------------------------- the checks


def _check_modules() -> str:
    import h5py
    import numpy
    import pyqtgraph
    import superqt  # noqa: F401
    from PIL import Image  # noqa: F401
    from PySide6 import QtCore, QtGui, QtSvg, QtWidgets  # noqa: F401

    from visualizer import __version__
    from visualizer.training.tfenv import import_keras, import_tf

    keras = import_keras()
    tf = import_tf()
    return (
        f"nnviz {__version__}, Python {sys.version.split()[0]}, Qt {QtCore.qVersion()}, numpy {numpy.__version__}, "
        f"pyqtgraph {pyqtgraph.__version__}, TensorFlow {tf.__version__}, Keras {keras.__version__}, h5py {h5py.__version__}"
    )


def _check_icons() -> str:
    from visualizer.resources import ICON_SIZES, app_icon_paths, is_frozen, resource_path

    found = app_icon_paths()
    missing = [s for s in ICON_SIZES if s not in found]
    if missing:
        raise FileNotFoundError(f"icon sizes missing: {missing} (looked for nnviz-<size>.png)")
    if is_frozen():  # the bundle also carries the desktop entry for install-desktop-entry.sh
        resource_path("nnviz.desktop")
    return f"{len(found)} sizes in {found[16].parent.name}/"


def _make_app(tmp: Path):
    """The app's own QApplication (names, desktop file name, icon), with QSettings pointed into ``tmp``."""
    from PySide6.QtCore import QSettings

    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp / "settings"))
    from visualizer.app import create_app

    return create_app(["nnviz", "--self-test"])


def _check_qt(app) -> str:
    from PySide6.QtCore import QLibraryInfo

    from visualizer.resources import app_icon

    icon = app_icon()
    if icon.isNull() or icon.pixmap(64, 64).isNull():
        raise RuntimeError("the application icon did not load (PNG image plugin or files missing)")
    if app.windowIcon().isNull():
        raise RuntimeError("the application has no window icon (create_app did not set it)")
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    names = sorted(p.name.removeprefix("libq").split(".")[0] for p in plugins.glob("*q*.*"))
    if sys.platform.startswith("linux") and "xcb" not in names:
        raise FileNotFoundError(f"Qt's xcb platform plugin is missing from {plugins} (found: {names})")
    return (f"platform {app.platformName()}, desktop file {app.desktopFileName()!r}, "
            f"platform plugins: {', '.join(names) or 'none'}")


def _check_window(app) -> str:
    from PySide6.QtCore import QEventLoop, QTimer

    from visualizer.ui.window import MainWindow

    # autoload=False: no dataset loading in the background; data and training are checked below.
    window = MainWindow(autoload=False)
    try:
        window.resize(1280, 800)
        window.show()
        loop = QEventLoop()
        QTimer.singleShot(500, loop.quit)  # let layouts, the first paint and queued signals run
        loop.exec()
        image = window.grab().toImage()
        if image.isNull() or image.width() < 100:
            raise RuntimeError("the window rendered no image")
        return f"{type(window).__name__} '{window.windowTitle()}' {image.width()}x{image.height()}"
    finally:
        window.shutdown()
        window.close()
        window.deleteLater()
        app.processEvents()


def _small_dataset():
    from visualizer.data.sources import load_dataset

    dataset = load_dataset("synthetic")
    n = _TRAIN_SAMPLES
    small = replace(
        dataset, x_train=dataset.x_train[:n], y_train=dataset.y_train[:n], x_test=dataset.x_test[:n], y_test=dataset.y_test[:n]
    )
    return dataset, small


def _train_one_batch(small):
    import numpy as np

    from visualizer.core.config import TrainingConfig
    from visualizer.core.snapshot import SnapshotEvent
    from visualizer.training.trainer import Trainer, TrainingControl

    config = TrainingConfig(epochs=1, batch_size=_TRAIN_SAMPLES, seed=0)
    snapshots = []
    trainer = Trainer(config, small)
    before = trainer.current_snapshot(SnapshotEvent.START)
    result = trainer.run(snapshots.append, TrainingControl())
    snap = result.snapshot
    if result.batches != 1 or snap.step != 1:
        raise RuntimeError(f"expected exactly one batch, trained {result.batches} (step {snap.step})")
    if all(np.array_equal(a, b) for a, b in zip(before.weights, snap.weights, strict=True)):
        raise RuntimeError("one batch of training left every weight unchanged")
    loss = snap.metrics.get("loss")
    if loss is None or not np.isfinite(loss):
        raise RuntimeError(f"training loss is {loss!r}")
    return snap, f"{'-'.join(map(str, snap.layer_sizes))}, loss {loss:.3f}, {len(snapshots)} snapshots"


def run_self_test(out=None) -> int:
    """Run every check and print one line each; return 0 if all passed, else 1.

    Parameters
    ----------
    out
        Text stream for the report (default ``sys.stdout``).
    """
    # Offscreen before QApplication exists: the self-test must run on build servers and over SSH.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    checks = _Checks(out)
    print(f"nnviz self-test ({'frozen bundle' if getattr(sys, 'frozen', False) else 'Python environment'})",
          file=checks.out, flush=True)

    with tempfile.TemporaryDirectory(prefix="nnviz-selftest-") as tmp_name:
        tmp = Path(tmp_name)
        checks.run("modules", _check_modules)
        checks.run("icons", _check_icons)
        app = None

        def start_qt() -> str:
            nonlocal app
            app = _make_app(tmp)
            return _check_qt(app)

        checks.run("qt", start_qt)
        from visualizer.ui.display import missing_library_message, platform_plugin_problem

        problem = platform_plugin_problem("xcb") if app is not None and sys.platform.startswith("linux") else None
        if problem:  # a note, not a failure: offscreen works, but a desktop session needs it
            print(f"note {missing_library_message(problem)}", file=checks.out, flush=True)
        if app is not None:
            checks.run("main window", lambda: _check_window(app))
        else:
            checks.fail("main window", "no QApplication")

        data = {}

        def load() -> str:
            full, data["small"] = _small_dataset()
            return f"{full.describe()}; using {_TRAIN_SAMPLES}"

        checks.run("synthetic data", load)
        trained = {}

        def train() -> str:
            if "small" not in data:
                raise RuntimeError("no data")
            trained["snapshot"], detail = _train_one_batch(data["small"])
            return detail

        checks.run("train one batch", train)
        _check_exports(checks, trained.get("snapshot"), tmp)

    total = checks.passed + len(checks.failed)
    if checks.failed:
        print(f"self-test FAILED: {len(checks.failed)} of {total} checks ({', '.join(checks.failed)})",
              file=checks.out, flush=True)
        return 1
    print(f"self-test passed: {total} checks", file=checks.out, flush=True)
    return 0


def _check_exports(checks: _Checks, snapshot, tmp: Path) -> None:
    """Export ``snapshot`` in every format, then read back each importable one."""
    import numpy as np

    from visualizer.training.export import export_weights, import_weights

    written: dict[str, Path] = {}
    for suffix in EXPORT_SUFFIXES:

        def export(suffix=suffix) -> str:
            if snapshot is None:
                raise RuntimeError("nothing trained to export")
            path = export_weights(snapshot, tmp / f"selftest{suffix}")
            size = path.stat().st_size
            if size == 0:
                raise RuntimeError(f"{path.name} is empty")
            written[suffix] = path
            return f"{size:,} bytes"

        checks.run(f"export {suffix}", export)

    for suffix in REIMPORT_SUFFIXES:

        def reimport(suffix=suffix) -> str:
            if suffix not in written:
                raise RuntimeError(f"no {suffix} file was written")
            net = import_weights(written[suffix], activation=snapshot.network.activation)
            if tuple(net.layer_sizes) != tuple(snapshot.layer_sizes):
                raise RuntimeError(f"{suffix} came back as a {net.layer_sizes} network")
            pairs = [*zip(net.weights, snapshot.weights, strict=True), *zip(net.biases, snapshot.biases, strict=True)]
            if not all(np.array_equal(a, b) for a, b in pairs):
                raise RuntimeError(f"{suffix} came back with different weights")
            return f"{'-'.join(map(str, net.layer_sizes))} {net.activation}, identical"

        checks.run(f"import {suffix}", reimport)
