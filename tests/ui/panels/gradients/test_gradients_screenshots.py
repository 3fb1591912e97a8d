"""Screenshots of the gradient views (PNGs in the test's tmp folder, copied to $NNVIZ_SCREENSHOT_DIR when set).

Open them and look: the nudge arrows, the red/blue connections and tiles, the five stages.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from visualizer.session import RunState
from visualizer.session.stepper import Stage

SCREENSHOT_DIR_ENV = "NNVIZ_SCREENSHOT_DIR"


def save(widget, path) -> QImage:
    image = widget.grab().toImage()
    assert image.save(str(path)), f"could not write {path}"
    copy_dir = os.environ.get(SCREENSHOT_DIR_ENV)
    if copy_dir:
        shutil.copy(path, os.path.join(copy_dir, path.name))
    return image


def colour_share(image: QImage, want: str) -> float:
    """Share of pixels that are clearly red (``want="red"``) or clearly blue."""
    ptr = image.convertToFormat(QImage.Format.Format_RGB32).constBits()
    a = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.width(), 4).astype(int)
    b, g, r = a[..., 0], a[..., 1], a[..., 2]
    mask = (r > b + 60) & (r > g + 40) if want == "red" else (b > r + 60) & (b > g + 20)
    return float(mask.mean())


@pytest.mark.parametrize("size", [(1024, 700), (1600, 1000)], ids=["1024x700", "1600x1000"])
def test_screenshots_of_the_gradient_views(window, qtbot, tmp_path, size):
    window.controls.epochs.setValue(1)
    window.start_training()
    qtbot.waitUntil(lambda: window.state is RunState.READY and window.latest_snapshot().step > 0, timeout=60_000)
    window.resize(*size)
    window.show_gradients()
    qtbot.waitUntil(window.gradients_panel.isVisible, timeout=2000)
    window.render(everything=True)
    qtbot.wait(100)  # wrapped labels settle
    panel = window.gradients_panel
    shots = {"window": save(window, tmp_path / f"gradients-window-{size[0]}.png"),
             "panel": save(panel, tmp_path / f"gradients-panel-{size[0]}.png")}
    assert colour_share(shots["panel"], "red") > 0.002 and colour_share(shots["panel"], "blue") > 0.002
    geometry = window.docks["Gradients"].geometry()
    assert window.rect().contains(geometry), "the dock fits in the window"
    assert panel.diagram.width() > 200 and panel.diagram.height() > 150, "the diagram keeps a usable size"

    dialog = window.explain_step()
    qtbot.addWidget(dialog)
    assert dialog.width() <= 1024 and dialog.height() <= 700, "the dialog fits the smallest supported screen"
    for stage in Stage:
        dialog.step.go_to(stage)
        qtbot.wait(30)
        shot = save(dialog, tmp_path / f"explain-{stage.value}-{stage.name.lower()}-{size[0]}.png")
        assert shot.width() == dialog.width()
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    save(dialog, tmp_path / f"explain-applied-{size[0]}.png")
    window.show_gradients(batch=True)
    qtbot.waitUntil(lambda: window.batches.ready, timeout=10_000)
    window.render(everything=True)
    qtbot.wait(50)
    batch = save(panel, tmp_path / f"gradients-batch-{size[0]}.png")
    assert QColor(batch.pixel(batch.width() // 2, batch.height() // 2)).isValid()
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(names) == 9, names
