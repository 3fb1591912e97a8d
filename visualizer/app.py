"""QApplication bootstrap: names, theme, the main window, and a clean stop of workers on quit.

Nothing here imports TensorFlow: the window appears first, then a background task imports it.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from PySide6.QtCore import QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from visualizer.ui.settings import APP, ORG

# When set, the app prints "NNVIZ_SHOWN <unix time>" once the window has been painted, then quits
# (used by ``visualizer.bench.window`` to measure start-up time).
STARTUP_PROBE_ENV = "NNVIZ_STARTUP_PROBE"


# Qt platform plugins say these once per window on every run; they are not actionable for a user.
_QT_NOISE = ("does not support propagateSizeHints",)


def _on_qt_message(mode, context, message: str) -> None:
    if not any(noise in message for noise in _QT_NOISE):
        print(message, file=sys.stderr)


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication with nnviz's names and icon (reuses an existing instance)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(sys.argv if argv is None else argv) or ["nnviz"])
    app.setOrganizationName(ORG)
    app.setApplicationName(APP)
    app.setApplicationDisplayName("nnviz")
    app.setDesktopFileName("nnviz")
    qInstallMessageHandler(_on_qt_message)
    try:
        from visualizer.resources import app_icon

        app.setWindowIcon(app_icon())
    except Exception:
        pass
    return app


def run_app(data: str | None = None, argv: list[str] | None = None, *, open_run: str | None = None) -> int:
    """Open the nnviz window and run the event loop; returns the exit code.

    Parameters
    ----------
    data
        Dataset spec (folder, file, "synthetic"); None uses $NNVIZ_DATA or Keras' MNIST download,
        falling back to synthetic digits (with a warning banner) when offline.
    argv
        Arguments for QApplication (default: sys.argv).
    open_run
        A run file (``nnviz FILE``, ``nnviz --open FILE``) for the window to open at start.

    Raises
    ------
    DisplayError
        When no window can open here (no display, or a system library Qt needs is missing).
    """
    from visualizer.ui.display import prepare_display

    prepare_display()  # a missing system library: one line and exit code 2, before Qt can abort
    app = create_app(argv)
    from visualizer.ui import theme
    from visualizer.ui.window import MainWindow
    from visualizer.ui.settings import Settings

    settings = Settings()
    theme.apply_theme(settings.theme)
    probe = bool(os.environ.get(STARTUP_PROBE_ENV))
    extra = {"open_run": open_run} if open_run is not None else {}
    window = MainWindow(data=data, settings=settings, autoload=not probe, **extra)
    app.aboutToQuit.connect(window.shutdown)
    _quit_on_sigint(window)
    window.show()
    if probe:
        QTimer.singleShot(0, lambda: _report_shown(window))
    return app.exec()


def _report_shown(window) -> None:
    window.repaint()  # synchronous: the first frame is really drawn before the time is taken
    print(f"NNVIZ_SHOWN {time.time():.6f}", flush=True)
    window.close()


def _quit_on_sigint(window) -> None:
    """Ctrl+C in the terminal closes the window the normal way (stop training, save settings)."""
    signal.signal(signal.SIGINT, lambda *_: window.close())
    # Qt's event loop does not return to Python on its own; a cheap timer lets the handler run.
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)
