"""File commands of the main window: open a dataset, import and export weights, save a screenshot.

Reading and writing run in background tasks (``ui/worker.py``); a bad file shows a dialog and
changes nothing. ``FilesMixin`` holds them as MainWindow methods.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ConfigError
from visualizer.ui.runs import NO_DATA, READY
from visualizer.ui.worker import Task, read_dataset, read_weights, write_weights


class FilesMixin:
    """Uses the window's ``_run_task``, ``_adopt``, ``_set_dataset``, ``_workers`` and widgets."""

    def load_dataset(self, path: str) -> None:
        """Load a dataset in the background; on failure a dialog, and the current one stays."""
        if self._state not in (READY, NO_DATA):
            return
        self._run_task(read_dataset, (path,), self._on_dataset_loaded, "Could not open the dataset",
                       on_finished=self._on_dataset_task_finished)

    def _on_dataset_loaded(self, dataset) -> None:
        self._set_dataset(dataset)
        if dataset.is_synthetic:
            self.banner.show_message("Training on SYNTHETIC digits, not MNIST.", "warning")
        elif self.banner.level == "warning":
            self.banner.dismiss()

    def _on_dataset_task_finished(self, _result) -> None:
        # First dataset after a failed start: build the network too. Not from _on_dataset_loaded:
        # the task is still BUSY there (reset would refuse) and its end puts back "no data".
        if self._latest is None and self.dataset is not None and self._state == NO_DATA:
            self._set_state(READY)
            self.reset()

    def import_weights(self, path: str) -> None:
        """Replace the network by the weights in ``path``; a bad file changes nothing."""
        if self._state != READY:
            return
        self._run_task(read_weights, (path,), self._on_weights_imported, "Could not import the weights")

    def _on_weights_imported(self, result) -> None:
        net, path = result
        self._run_id += 1
        self.controls.set_architecture(tuple(net.layer_sizes[1:-1]), net.activation)
        try:
            config = self.controls.config()
        except ConfigError:
            config = TrainingConfig(hidden=tuple(net.layer_sizes[1:-1]), activation=net.activation)
            self.controls.set_config(config)
        self._adopt(net.to_snapshot(run_id=self._run_id), config, f"Imported weights from {path}")

    def export_weights(self, path: str) -> None:
        """Write the newest weights to ``path`` (format from the extension) in the background."""
        snap = self._latest
        if snap is None:
            return
        task = Task(write_weights, snap, path)
        task.succeeded.connect(lambda p: self.statusBar().showMessage(f"Weights saved to {p}", 8000))
        task.errored.connect(lambda exc: self._error_dialog("Could not export the weights", exc))
        self._workers.start(task)

    def save_screenshot(self, path: str) -> bool:
        ok = self.grab().save(path, "PNG")
        if ok:
            self.statusBar().showMessage(f"Screenshot saved to {path}", 8000)
        else:
            QMessageBox.warning(self, "Could not save the screenshot", f"Writing {path} failed.")
        return ok
