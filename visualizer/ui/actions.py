"""Every menu command as one QAction (text, shortcut, tooltip), the menus, and the File dialogs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu

from visualizer.session.presets import PRESETS
from visualizer.session.state import RunState
from visualizer.ui.common.options import Theme
from visualizer.ui.settings import REDRAW_RATES

# name: (text, shortcut, tooltip)
_SPECS = {
    "open_dataset": ("&Open dataset…", "Ctrl+O", "Load MNIST from a local file (IDX .gz, mnist.npz, CSV)"),
    "open_dataset_folder": ("Open dataset &folder…", "Ctrl+Shift+O", "Load MNIST from a folder of IDX files"),
    "import_weights": ("&Import weights…", "Ctrl+I", "Load weights or a Keras model (.keras, .weights.h5, .h5, .npz, .json) into the network"),
    "export_weights": ("&Export weights…", "Ctrl+E", "Save the current weights (.keras, .weights.h5, .npz, .json, .tflite)"),
    "save_run": ("Save &run…", "Ctrl+S", "Save the recorded run (every moment's weights, every batch's loss) to a file"),
    "open_run": ("Open r&un…", "Ctrl+Shift+R", "Open a saved run to replay it, or to continue training from any moment"),
    "export_metrics": ("Export &metrics (CSV)…", "", "Save every batch's loss and accuracy and the validation figures as CSV"),
    "screenshot": ("Save &screenshot…", "Ctrl+Shift+S", "Save a PNG picture of this window"),
    "quit": ("&Quit", QKeySequence.StandardKey.Quit, "Stop training and close nnviz"),
    "start_pause": ("Start / &Pause", "Space", "Start training, or pause/resume a run in progress"),
    "start": ("&Start", "Ctrl+Return", "Train with the settings on the left, continuing from the current weights"),
    "pause": ("Pa&use", "", "Pause the run; Resume continues exactly where it stopped"),
    "step": ("S&tep", "S", "Train exactly one batch, then pause"),
    "stop": ("St&op", "Esc", "End the run after the current batch; the weights are kept"),
    "reset": ("&Reset", "Ctrl+R", "Discard the weights and start again from freshly initialised ones"),
    "continue_here": ("&Continue from here", "", "Train on from the moment the timeline shows (later moments are dropped)"),
    "go_live": ("Back to &live", "End", "Show the newest weights again (the timeline's running edge)"),
    "next_input": ("&Next test digit", "N", "Show the next test-set digit on the pad and in the network"),
    "previous_input": ("&Previous test digit", "P", "Show the previous test-set digit on the pad and in the network"),
    "random_input": ("&Random test digit", "D", "Show a random test-set digit on the pad and in the network"),
    "explain_step": ("E&xplain one step…", "Shift+S", "Backpropagation in slow motion on the current digit: forward "
                     "pass, loss, error flowing back, the update, and the digit after it; apply it if you like"),
    "show_batch": ("This &batch", "", "Show a batch of training images with each one's loss, and their average "
                   "gradient beside one image's own (Gradients panel)"),
    "reset_layout": ("Reset &layout", "", "Put every panel back where it starts (Draw and Test set on the right)"),
    "reset_settings": ("Reset &settings…", "", "Put back the default network, pace, theme, redraw rate, weight "
                       "colour range and panel layout (asks first)"),
    "lock_range": ("&Lock weight colour range", "L", "Keep the weight maps' colour scale where it is now, to compare "
                   "later weights with this moment (off: the scale grows with the weights, never narrowing)"),
    "about": ("&About nnviz", "", "Version and what this program shows"),
    "analyse_neurons": ("&Analyse neurons now", "", "Run every test digit through the network shown and "
                        "recompute what each hidden neuron responds to (Neurons panel)"),
    "feed_noise": ("Feed &noise", "", "Random pixels become the network's input: see how sure it is, and why"),
    "fool_it": ("&Fool it", "", "Find the smallest change to the current input that makes the network answer "
                "the digit chosen in the Neurons panel"),
    "unpin_neuron": ("&Unpin neuron", "", "Release the neuron pinned in the network view or the Neurons panel"),
}


class Actions:
    """The window's QActions as attributes (``actions.start``), plus the view option groups."""

    def __init__(self, parent: QMainWindow):
        for name, (text, shortcut, tip) in _SPECS.items():
            action = QAction(text, parent)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            tip_with_key = f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})" if shortcut else tip
            action.setToolTip(tip_with_key)
            action.setStatusTip(tip)
            setattr(self, name, action)
        self.lock_range.setCheckable(True)
        self.pause.setCheckable(True)

        self.theme_group = QActionGroup(parent)
        self.theme = {}
        for key, text in ((Theme.SYSTEM, "Follow &system"), (Theme.LIGHT, "&Light"), (Theme.DARK, "&Dark")):
            a = QAction(text, parent, checkable=True)
            a.setData(key)
            a.setToolTip(f"Colour theme: {key.value}")
            self.theme_group.addAction(a)
            self.theme[key] = a

        self.dream = {}  # "What does it think a 3 looks like?", one action per digit
        for digit in range(10):
            a = QAction(f"&{digit}", parent)
            a.setData(digit)
            a.setToolTip(f"The input that excites output {digit} most: the network's idea of a {digit}")
            self.dream[digit] = a

        self.presets = {}  # Training ▸ Presets: put a tutorial's network in the controls (Start trains it)
        for p in PRESETS:
            a = QAction(p.name, parent)
            a.setData(p.key)
            a.setToolTip(f"Set the controls to {p.follows}")
            self.presets[p.key] = a

        self.rate_group = QActionGroup(parent)
        self.redraw = {}
        for hz in REDRAW_RATES:
            a = QAction(f"{hz} Hz", parent, checkable=True)
            a.setData(hz)
            a.setToolTip(f"Redraw the views at most {hz} times per second (lower leaves more CPU for training)")
            self.rate_group.addAction(a)
            self.redraw[hz] = a

    def set_state(self, state: RunState, *, has_data: bool, has_weights: bool) -> None:
        """Enable what the session's run state allows."""
        idle, active, paused = state.can_start, state.is_active, state is RunState.PAUSED
        self.start.setEnabled(idle)
        for action in self.presets.values():  # settings apply to the next run, locked while one runs
            action.setEnabled(idle)
        self.start_pause.setEnabled(idle or active)
        self.pause.setEnabled(active)
        self.pause.setChecked(paused)
        self.pause.setText("Resume" if paused else "Pause")
        self.step.setEnabled(state.can_step)
        self.stop.setEnabled(active)
        self.reset.setEnabled(idle or active)
        for action in (self.open_dataset, self.open_dataset_folder):
            action.setEnabled(state.can_open_dataset)
        self.import_weights.setEnabled(state.can_import)
        self.reset_settings.setEnabled(state.config_editable)  # the network settings are locked during a run
        for action in (self.next_input, self.previous_input, self.random_input, self.show_batch):
            action.setEnabled(has_data)
        self.explain_step.setEnabled(has_weights and state is not RunState.LOADING)
        self.export_weights.setEnabled(has_weights and state is not RunState.LOADING)
        self.open_run.setEnabled(state.can_open_dataset)
        for action in (self.analyse_neurons, self.feed_noise, self.fool_it, *self.dream.values()):
            action.setEnabled(has_weights)


def build_menus(window: QMainWindow, a: Actions) -> dict[str, QMenu]:
    """Fill the window's menu bar; returns the menus so docks added later can list themselves."""
    bar = window.menuBar()
    file = bar.addMenu("&File")
    file.addActions([a.open_dataset, a.open_dataset_folder])
    file.addSeparator()
    file.addActions([a.import_weights, a.export_weights])
    file.addSeparator()
    file.addActions([a.save_run, a.open_run, a.export_metrics])
    file.addSeparator()
    file.addAction(a.screenshot)
    file.addSeparator()
    file.addAction(a.quit)

    training = bar.addMenu("&Training")
    training.addAction(a.start_pause)
    training.addSeparator()
    training.addActions([a.start, a.pause, a.step, a.stop, a.reset])
    training.addSeparator()
    training.addActions([a.continue_here, a.go_live])
    training.addSeparator()
    training.addActions([a.next_input, a.previous_input, a.random_input])
    training.addSeparator()
    training.addActions([a.explain_step, a.show_batch])
    training.addSeparator()
    presets = training.addMenu("Pre&sets")
    presets.addActions(list(a.presets.values()))
    presets.setToolTipsVisible(True)

    view = bar.addMenu("&View")
    theme = view.addMenu("&Theme")
    theme.addActions(list(a.theme.values()))
    rate = view.addMenu("&Redraw rate")
    rate.addActions(list(a.redraw.values()))
    view.addAction(a.lock_range)
    view.addSeparator()
    view.addAction(a.analyse_neurons)
    dream = view.addMenu("What does it think a digit &looks like?")
    dream.addActions(list(a.dream.values()))
    dream.setToolTipsVisible(True)
    view.addActions([a.feed_noise, a.fool_it, a.unpin_neuron])
    view.addSeparator()
    panels = view.addMenu("&Panels")
    view.addAction(a.reset_layout)
    view.addAction(a.reset_settings)

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(a.about)
    for menu in (file, training, view, help_menu):
        menu.setToolTipsVisible(True)
    # Shortcuts must work even when the menu bar is hidden or the action is not in a menu.
    window.addActions([getattr(a, name) for name in _SPECS])
    return {"file": file, "training": training, "view": view, "panels": panels, "help": help_menu}


# -- File menu dialogs: ask for a path, then hand it to the window's method ----------------------

DATASET_FILTER = "MNIST files (*.gz *-ubyte *ubyte *.idx *.npz *.csv);;All files (*)"
WEIGHT_FORMATS = (
    ("Keras model", ".keras"),
    ("Keras weights", ".weights.h5"),
    ("Keras HDF5 model (legacy)", ".h5"),
    ("NumPy archive", ".npz"),
    ("JSON", ".json"),
    ("TensorFlow Lite (export only)", ".tflite"),
)
EXPORT_FILTER = ";;".join(f"{name} (*{ext})" for name, ext in WEIGHT_FORMATS)
IMPORT_FILTER = ";;".join(
    ["Weights (" + " ".join(f"*{ext}" for _, ext in WEIGHT_FORMATS[:-1]) + ")", "All files (*)"]
)


def _start_dir(window, kind: str) -> str:
    return window.settings.last_dir(kind)


def _remember(window, kind: str, path: str, *, is_dir: bool = False) -> None:
    window.settings.set_last_dir(kind, path if is_dir else str(Path(path).parent))


def open_dataset_dialog(window, *, folder: bool) -> None:
    if folder:
        path = QFileDialog.getExistingDirectory(window, "Open a folder of MNIST IDX files", _start_dir(window, "dataset"))
    else:
        path, _ = QFileDialog.getOpenFileName(window, "Open MNIST", _start_dir(window, "dataset"), DATASET_FILTER)
    if path:
        _remember(window, "dataset", path, is_dir=folder)
        window.load_dataset(path)


def import_weights_dialog(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Import weights", _start_dir(window, "weights"), IMPORT_FILTER)
    if path:
        _remember(window, "weights", path)
        window.import_weights(path)


def with_extension(path: str, selected_filter: str) -> str:
    """Add the chosen filter's extension when the typed name has none of ours."""
    if any(path.endswith(ext) for _, ext in WEIGHT_FORMATS):
        return path
    for name, ext in WEIGHT_FORMATS:
        if selected_filter.startswith(name):
            return path + ext
    return path + ".npz"


def export_weights_dialog(window) -> None:
    start = str(Path(_start_dir(window, "weights") or ".") / "nnviz.keras")
    path, chosen = QFileDialog.getSaveFileName(window, "Export weights", start, EXPORT_FILTER)
    if path:
        path = with_extension(path, chosen or "")
        _remember(window, "weights", path)
        window.export_weights(path)


RUN_FILTER = "nnviz runs (*.nnviz-run);;All files (*)"
RUN_SUFFIX = ".nnviz-run"


def save_run_dialog(window) -> None:
    path, _ = QFileDialog.getSaveFileName(window, "Save the run", _start_dir(window, "runs"), RUN_FILTER)
    if path:
        path = path if path.lower().endswith(RUN_SUFFIX) else path + RUN_SUFFIX
        _remember(window, "runs", path)
        window.session.save_run(path)


def open_run_dialog(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open a run", _start_dir(window, "runs"), RUN_FILTER)
    if path:
        _remember(window, "runs", path)
        window.session.open_run(path)


def export_metrics_dialog(window) -> None:
    path, _ = QFileDialog.getSaveFileName(window, "Export the metrics", _start_dir(window, "runs"), "CSV (*.csv)")
    if path:
        path = path if path.lower().endswith(".csv") else path + ".csv"
        _remember(window, "runs", path)
        window.session.export_metrics(path)


def screenshot_dialog(window) -> None:
    start = str(Path(_start_dir(window, "screenshot") or ".") / "nnviz.png")
    path, _ = QFileDialog.getSaveFileName(window, "Save screenshot", start, "PNG image (*.png)")
    if path:
        path = path if path.lower().endswith(".png") else path + ".png"
        _remember(window, "screenshot", path)
        window.save_screenshot(path)
