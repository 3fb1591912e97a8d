"""Qt paints on the calling thread: importing nnviz turns Qt's GUI thread pool off (see visualizer/__init__.py)."""

import os
import subprocess
import sys

import pytest

# An antialiased wide stroke fills thousands of spans: with Qt's pool on, it starts the pool's threads.
PAINT = """
import os
import visualizer
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen
app = QGuiApplication([])
threads = len(os.listdir("/proc/self/task"))
image = QImage(800, 800, QImage.Format.Format_ARGB32_Premultiplied)
painter = QPainter(image)
painter.setRenderHint(QPainter.RenderHint.Antialiasing)
path = QPainterPath(QPointF(0, 0))
for i in range(200):
    path.lineTo(QPointF(800 * (i % 2), 4 * i))
painter.setPen(QPen(QColor(255, 0, 0, 100), 7))
for _ in range(20):
    painter.drawPath(path)
painter.end()
print(len(os.listdir("/proc/self/task")) - threads)
"""


def _new_threads(code: str) -> int:
    """Threads the paint in ``code`` started, in a fresh process whose environment does not set the pool."""
    env = {k: v for k, v in os.environ.items() if k != "QT_NO_GUI_THREADPOOL"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    return int(proc.stdout.strip().splitlines()[-1])


pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")


def test_painting_starts_no_qt_pool_threads():
    assert _new_threads(PAINT) == 0


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="Qt starts no pool on one core")
def test_without_nnviz_the_same_paint_starts_qt_pool_threads():
    # The check can fail: without nnviz's setting, Qt hands the same strokes to its pool's threads.
    assert _new_threads(PAINT.replace("import visualizer\n", "")) > 0
