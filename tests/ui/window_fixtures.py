"""Window fixtures shared by the window and panel tests: tiny data, recorded dialogs, a ready window."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from visualizer.data.dataset import Dataset
from visualizer.session import RunState
from visualizer.ui.window import MainWindow


def tiny_dataset(n: int = 200, seed: int = 0) -> Dataset:
    """Noisy images with a bright bar whose row gives the label, so a few epochs visibly learn."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n + 100).astype(np.uint8)
    x = rng.random((n + 100, 28, 28), dtype=np.float32) * 0.3
    for i, label in enumerate(y):
        row = 4 + 2 * int(label)
        x[i, row:row + 2, 6:22] = 1.0
    x = x.reshape(n + 100, 784)
    return Dataset(x[:n], y[:n], x[n:], y[n:], source="random test digits", kind="synthetic")


class Dialogs:
    """Records QMessageBox calls instead of blocking; ``answer`` is what question() returns."""

    def __init__(self, monkeypatch):
        self.shown: list[tuple[str, str, str]] = []
        self.answer = QMessageBox.StandardButton.Yes
        for kind in ("warning", "critical", "information", "about"):
            monkeypatch.setattr(QMessageBox, kind, self._record(kind))
        monkeypatch.setattr(QMessageBox, "question", self._question)

    def _record(self, kind):
        def show(parent, title, text, *args, **kwargs):
            self.shown.append((kind, title, text))
            return QMessageBox.StandardButton.Ok

        return staticmethod(show)

    def _question(self, parent, title, text, *args, **kwargs):
        self.shown.append(("question", title, text))
        return self.answer

    def kinds(self):
        return [k for k, _, _ in self.shown]


@pytest.fixture
def dialogs(monkeypatch):
    return Dialogs(monkeypatch)


@pytest.fixture
def make_window(qtbot):
    def make(dataset=None, *, wait_ready=True, **kwargs):
        window = MainWindow(dataset=tiny_dataset() if dataset is None else dataset, **kwargs)
        qtbot.addWidget(window)
        window.show()
        window.resize(1280, 800)
        if wait_ready:
            qtbot.waitUntil(lambda: window.state == RunState.READY, timeout=60_000)
        return window

    return make


def save_screenshot(window, tmp_path, name: str) -> None:
    """Save the window as tmp_path/name, and a copy in $NNVIZ_SCREENSHOT_DIR when set (to look at)."""
    path = tmp_path / name
    assert window.grab().save(str(path), "PNG")
    folder = os.environ.get("NNVIZ_SCREENSHOT_DIR")
    if folder:
        shutil.copy(path, os.path.join(folder, name))
