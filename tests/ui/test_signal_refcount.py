"""Guard against the PySide6 refcount bug that killed the app (6.12.0 on Python 3.11).

Each ``Signal.emit(True)`` dropped one reference to True and each Python ``paintEvent`` override
dropped one to None, until CPython aborted with ``Fatal Python error: bool_dealloc``. The checks run
in a subprocess so such a crash fails this test instead of killing pytest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot
    from PySide6.QtWidgets import QApplication, QWidget

    N = 10_000
    app = QApplication([])

    class Sender(QObject):
        flag = Signal(bool)
        anything = Signal(object)
        both = Signal(object, bool)
        done = Signal()

        @Slot()
        def run(self):  # emitted from a worker thread, like the training callback
            for i in range(N):
                self.flag.emit(i % 2 == 0)
                self.anything.emit(None if i % 3 else True)
            self.done.emit()

    class Receiver(QObject):
        def __init__(self):
            super().__init__()
            self.count = 0

        def on_value(self, *values):
            self.count += 1

    class Painted(QWidget):
        paints = 0

        def paintEvent(self, event):  # a Python override, as every custom widget has
            type(self).paints += 1
            return None

    counts = lambda: (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))
    before = counts()

    # 1. Direct connections in the GUI thread.
    sender, receiver = Sender(), Receiver()
    sender.flag.connect(receiver.on_value)
    sender.anything.connect(receiver.on_value)
    sender.both.connect(receiver.on_value)
    sender.flag.connect(lambda v: None)
    for i in range(N):
        sender.flag.emit(True)
        sender.flag.emit(False)
        sender.anything.emit(None)
        sender.both.emit(None, True)

    # 2. Queued connections from a worker thread into the GUI thread.
    worker, thread = Sender(), QThread()
    worker.moveToThread(thread)
    sink = Receiver()
    worker.flag.connect(sink.on_value)
    worker.anything.connect(sink.on_value)
    worker.done.connect(thread.quit)
    thread.started.connect(worker.run)
    thread.finished.connect(app.quit)
    thread.start()
    app.exec()
    thread.wait()
    app.processEvents()

    # 3. A Python paintEvent override, painted many times.
    widget = Painted()
    widget.resize(64, 64)
    for _ in range(3000):
        widget.grab()  # renders through paintEvent even offscreen, where repaint() may skip
    widget.deleteLater()

    after = counts()
    print(json.dumps({
        "before": before, "after": after,
        "received": receiver.count, "received_queued": sink.count, "paints": Painted.paints,
    }))
    """
)


def test_signals_and_paint_events_keep_bool_and_none_alive():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, f"subprocess died (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    n = 10_000
    assert result["received"] == 4 * n  # flag twice, anything and both per loop
    assert result["received_queued"] == 2 * n
    assert result["paints"] >= 3000
    for name, before, after in zip(("True", "False", "None"), result["before"], result["after"]):
        # Counts drift by a few dozen as ordinary objects holding None come and go; the bug drops
        # one reference per emit or paint, i.e. thousands here.
        assert after >= before - 100, f"refcount of {name} fell from {before} to {after}: PySide6 is dropping references"
