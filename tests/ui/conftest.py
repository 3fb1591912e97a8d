"""UI test fixtures: settings in a temp folder, a top-level widget leak check, random snapshots."""

from __future__ import annotations

import gc

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from window_fixtures import dialogs, make_window  # noqa: F401  (fixtures for every window test)

from visualizer.core.history import MetricHistory
from visualizer.core.network import Network
from visualizer.core.snapshot import TrainingSnapshot, snapshot_from_arrays

TEST_ORG = "nnviz-tests"
TEST_APP = "nnviz-tests"


@pytest.fixture(autouse=True)
def qsettings_tmp(qapp, tmp_path):
    """Point every QSettings at an INI file under tmp_path, so tests never touch the user's settings.

    Yields the folder; ``QSettings()`` inside a test reads and writes there.
    """
    folder = tmp_path / "settings"
    folder.mkdir()
    old_names = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    old_format = QSettings.defaultFormat()
    QCoreApplication.setOrganizationName(TEST_ORG)
    QCoreApplication.setApplicationName(TEST_APP)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    yield folder
    QSettings.setDefaultFormat(old_format)
    QCoreApplication.setOrganizationName(old_names[0])
    QCoreApplication.setApplicationName(old_names[1])


def _flush_deletes() -> None:
    for _ in range(2):
        QApplication.processEvents()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()


def _address(widget) -> int:
    return shiboken6.getCppPointer(widget)[0]


@pytest.fixture(autouse=True)
def _catch_qt_leaks(qapp):
    """Fail a test that leaves new top-level widgets alive (register yours with qtbot.addWidget).

    Widgets already deleted on the C++ side are ignored; leaked ones are closed so the next
    test starts clean.
    """
    _flush_deletes()
    before = {_address(w) for w in QApplication.topLevelWidgets()}
    yield
    _flush_deletes()
    leaks = [
        w for w in QApplication.topLevelWidgets() if shiboken6.isValid(w) and _address(w) not in before
    ]
    if leaks:
        names = ", ".join(f"{type(w).__name__}({w.objectName()!r})" for w in leaks)
        for w in leaks:
            w.close()
            w.deleteLater()
        _flush_deletes()
        pytest.fail(f"test left {len(leaks)} top-level widget(s) behind: {names}", pytrace=False)


def random_snapshot(hidden=(16, 16), activation: str = "relu", seed: int = 0, **kwargs):
    """A TrainingSnapshot with Glorot-scaled random weights for a 784-hidden-10 network."""
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 10)
    weights = [rng.normal(0.0, np.sqrt(2.0 / (a + b)), (a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [rng.normal(0.0, 0.05, b) for b in sizes[1:]]
    return snapshot_from_arrays(weights, biases, activation=activation, **kwargs)


@pytest.fixture
def make_snapshot():
    """Factory: ``make_snapshot(hidden=(16, 16), activation="relu", seed=0, **snapshot_fields)``."""
    return random_snapshot


def one_neuron_snapshot(digit: int | None = 6, hidden=(), seed: int = 0, **kwargs):
    """A snapshot of a one-neuron "is it a <digit>?" network whose weights favour ink in the lower half."""
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 1)
    weights = [rng.normal(0.0, 0.05, (a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    if not hidden:
        weights[0][392:, 0] += 0.05  # ink low in the image says yes, ink high says no
        weights[0][:392, 0] -= 0.05
    biases = [np.zeros(b, np.float32) for b in sizes[1:]]
    net = Network.from_arrays(weights, biases, "relu", digit=digit)
    return TrainingSnapshot.of_network(net, **kwargs)


@pytest.fixture
def make_one_neuron():
    """Factory: ``make_one_neuron(digit=6, hidden=(), seed=0, **snapshot_fields)`` -> a 784-1 snapshot."""
    return one_neuron_snapshot


@pytest.fixture
def make_history():
    """Factory: ``make_history(epochs=3, batches_per_epoch=50, seed=0)`` -> HistoryView of a falling loss."""

    def make(epochs: int = 3, batches_per_epoch: int = 50, seed: int = 0):
        rng = np.random.default_rng(seed)
        history = MetricHistory()
        for step in range(1, epochs * batches_per_epoch + 1):
            e = step / batches_per_epoch
            history.add_train(e, 2.3 * np.exp(-e) + 0.1 * rng.random(), 1 - 0.9 * np.exp(-e) - 0.05 * rng.random())
            if step % batches_per_epoch == 0:
                history.add_validation(e, 2.3 * np.exp(-e) + 0.05, 1 - 0.9 * np.exp(-e))
        return history.view()

    return make


def _palette(colors: dict) -> QPalette:
    pal = QPalette()
    for role, color in colors.items():
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled):
            pal.setColor(group, role, QColor(color))
    return pal


R = QPalette.ColorRole
LIGHT = {R.Window: "#efefef", R.WindowText: "#1a1a1a", R.Base: "#ffffff", R.Text: "#1a1a1a",
         R.Button: "#e6e6e6", R.ButtonText: "#1a1a1a", R.Highlight: "#2f6fd0", R.HighlightedText: "#ffffff"}
DARK = {R.Window: "#2b2b2b", R.WindowText: "#e6e6e6", R.Base: "#1e1e1e", R.Text: "#e6e6e6",
        R.Button: "#353535", R.ButtonText: "#e6e6e6", R.Highlight: "#3d8ee6", R.HighlightedText: "#ffffff"}


@pytest.fixture
def palettes() -> dict[str, QPalette]:
    """{"light": QPalette, "dark": QPalette} to set on a widget (widget.setPalette(...))."""
    return {"light": _palette(LIGHT), "dark": _palette(DARK)}


@pytest.fixture(scope="session")
def mnist_trained(mnist_dir):
    """(snapshot, x_test, y_test): the 784-16-16-10 network trained 2 epochs on 10k real digits.

    Session-wide so the pad and browser tests train it once.
    """
    from visualizer.core.config import TrainingConfig
    from visualizer.data.dataset import Dataset
    from visualizer.data.idx import load_idx_pair
    from visualizer.training.trainer import Trainer

    x_train, y_train = load_idx_pair(mnist_dir / "train-images-idx3-ubyte.gz", mnist_dir / "train-labels-idx1-ubyte.gz")
    x_test, y_test = load_idx_pair(mnist_dir / "t10k-images-idx3-ubyte.gz", mnist_dir / "t10k-labels-idx1-ubyte.gz")
    x_test = x_test.reshape(len(x_test), 784)
    data = Dataset(x_train[:10000].reshape(-1, 784), y_train[:10000], x_test, y_test, source="MNIST", kind="idx")
    result = Trainer(TrainingConfig(epochs=2, seed=1), data, snapshot_interval=60).run(lambda s: None)
    return result.snapshot, x_test, y_test
