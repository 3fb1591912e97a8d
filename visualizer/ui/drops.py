"""Files dropped on the window: weights are imported, runs opened, images put on the pad, datasets loaded.

Each goes through the same session command as its File menu entry (so importing weights of
another architecture asks first, as Import weights… does). A drop is never ignored silently:
a file nnviz cannot use, or one it cannot take now (during a run), gets one line in the status
bar. The Draw panel's canvas takes image drops itself; anything else dropped on it reaches the
window.
"""

from __future__ import annotations

import contextlib
import enum
import zipfile
from pathlib import Path

from visualizer.core.errors import NnvizError
from visualizer.core.safeio import one_line, open_regular_file
from visualizer.core.safezip import open_zip
from visualizer.session.state import RunState
from visualizer.ui.panels.pad.drawing_pad import IMAGE_SUFFIXES

RUN_SUFFIX = ".nnviz-run"
WEIGHT_SUFFIXES = (".keras", ".weights.h5", ".h5", ".npz", ".json")
DATASET_SUFFIXES = (".gz", "-ubyte", ".idx", ".csv")
MESSAGE_MS = 15000  # how long a drop's status-bar line stays
SUPPORTED = ("weights (.keras, .weights.h5, .h5, .npz, .json), runs (.nnviz-run), images (.png, .jpg, …) "
             "and MNIST datasets (IDX .gz, mnist.npz, .csv, or a folder)")


class DropKind(enum.Enum):
    """What a dropped path is, by its name (and, for .npz, the names of its members)."""

    WEIGHTS = "weights"
    RUN = "run"
    IMAGE = "image"
    DATASET = "dataset"
    DATASET_FOLDER = "dataset folder"
    UNSUPPORTED = "unsupported"


def _is_dataset_npz(path: Path) -> bool:
    """True when an .npz holds MNIST arrays (``x_train`` …) rather than weights; only the zip's
    directory is read (a bounded listing: never a member, never a pickle)."""
    with contextlib.suppress(NnvizError, OSError, zipfile.BadZipFile, ValueError), \
            open_regular_file(path, "Cannot read") as f, open_zip(f, max_members=64) as archive:
        names = {Path(n).stem for n in archive.namelist()}
        return {"x_train", "y_train"} <= names
    return False


def kind_of(path: str | Path) -> DropKind:
    """What to do with a dropped ``path``."""
    p = Path(path)
    name = p.name.lower()
    if p.is_dir():
        return DropKind.DATASET_FOLDER
    if name.endswith(RUN_SUFFIX):
        return DropKind.RUN
    if name.endswith(IMAGE_SUFFIXES):
        return DropKind.IMAGE
    if name.endswith(".npz"):
        return DropKind.DATASET if _is_dataset_npz(p) else DropKind.WEIGHTS
    if name.endswith(WEIGHT_SUFFIXES):
        return DropKind.WEIGHTS
    if name.endswith(DATASET_SUFFIXES):
        return DropKind.DATASET
    return DropKind.UNSUPPORTED


def _first(state: RunState) -> str:
    """What the user must do before a file command is possible again."""
    if state.is_active or state is RunState.STOPPING:
        return "stop training first"
    if state is RunState.NO_DATA:
        return "open a dataset first"
    return "wait until nnviz is ready"


def dropped_paths(mime) -> list[str]:
    """The local files and folders in a drag's QMimeData (remote URLs and plain text are not files)."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


def open_dropped(window, paths: list[str]) -> DropKind | None:
    """Open the first of ``paths`` as its File menu command would; returns what it was taken for
    (None when nothing was dropped). A message in the status bar says why nothing happened."""
    if not paths:
        return None
    path = paths[0]
    kind = kind_of(path)
    name = one_line(Path(path).name or path)
    more = f" (one file at a time: {len(paths) - 1:,} more ignored)" if len(paths) > 1 else ""
    say = window.statusBar().showMessage
    state = window.session.state
    a = window.actions
    commands = {
        DropKind.WEIGHTS: (a.import_weights, "import weights", lambda: window.import_weights(path)),
        DropKind.RUN: (a.open_run, "open a run", lambda: window.session.open_run(path)),
        DropKind.DATASET: (a.open_dataset, "open a dataset", lambda: window.load_dataset(path)),
        DropKind.DATASET_FOLDER: (a.open_dataset_folder, "open a dataset", lambda: window.load_dataset(path)),
        DropKind.IMAGE: (None, "", lambda: window.session.open_image(path)),  # any time: it is only the input
    }
    if kind is DropKind.UNSUPPORTED:
        say(f"Cannot open {name}: nnviz opens {SUPPORTED}", MESSAGE_MS)
        return kind
    action, what, command = commands[kind]
    if action is not None and not action.isEnabled():
        say(f"Cannot {what} now ({state.text.lower()}): {_first(state)}, then drop {name} again", MESSAGE_MS)
        return kind
    if more:
        say(f"Opening {name}{more}", MESSAGE_MS)
    command()
    return kind
