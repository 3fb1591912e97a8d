"""TestSetPanel: step through the test digits, see the confusion matrix, open the digits of any cell."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from visualizer.core.config import answer_text, class_name, yes_no_text
from visualizer.core.confusion import EvalResult, binary_labels, indices_for_cell
from visualizer.core.snapshot import SnapshotEvent
from visualizer.session.explanations import verdict
from visualizer.session.inputs import AnalysisCache
from visualizer.ui.common.images import ImageTile, gray_to_qimage
from visualizer.ui.common.probabilities import ProbabilityBars
from visualizer.ui.panels.testset.confusion_view import ConfusionView
from visualizer.ui.panels.testset.evaluator import REST, Evaluator
from visualizer.core.config import INPUT_SIZE

MAX_THUMBNAILS = 300  # a diagonal cell holds ~1000 digits; more icons would only slow the list down
THUMB = 32  # three rows of 38 px cells fit beside the digit in a 1024x700 window's side dock
CELL_HINT = "Click a cell of the matrix to list its digits."


class TestSetPanel(QWidget):
    """Browse the test set with the latest weights.

    Parameters
    ----------
    analyze
        ``analyze(network, vector) -> InputAnalysis``: the session's shared analysis, so the digit
        shown here is not run through the network again when the pad and network view show it too.

    Signals
    -------
    digit_requested(int)
        The index of the test digit the user picked (Next, Previous, Random, a thumbnail): the
        session makes it the network's input; pad and network view follow.
    evaluated(object)
        A new :class:`visualizer.core.confusion.EvalResult` is shown.

    The whole test set is evaluated in a background thread (:class:`Evaluator`), so the matrix
    lags its request by one evaluation (~30-65 ms for 10,000 digits); while one runs, only the
    newest request waits. The current digit's prediction is one forward pass, done at once.
    """

    __test__ = False  # the name starts with "Test": keep pytest from collecting it
    digit_requested = Signal(int)
    evaluated = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, analyze=None, seed: int | None = None):
        super().__init__(parent)
        self._analyze = analyze or AnalysisCache().analyze
        self._x = np.zeros((0, INPUT_SIZE), np.float32)
        self._y = np.zeros(0, np.uint8)
        self._snapshot = None
        self._eval: EvalResult | None = None
        self._eval_snapshot = None
        self._order = np.zeros(0, np.int64)  # indices being stepped through (all, or the mistakes)
        self._pos = 0
        self._current: int | None = None
        self._cell: tuple[int, int] | None = None
        self._cell_indices = np.zeros(0, np.int64)
        self._rng = np.random.default_rng(seed)
        self._wide: bool | None = None  # layout orientation, set by resizeEvent
        self._jump_to_mistake = False  # the filter was switched on before any evaluation
        self._evaluator = Evaluator(self)
        self._evaluator.evaluated.connect(self._on_evaluated)
        self._evaluator.failed.connect(self._on_evaluation_failed)

        self.digit_tile = ImageTile("")
        self.digit_tile.setMinimumSize(90, 106)
        self.digit_tile.square_hint = False
        self.verdict = QLabel()
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.bars = ProbabilityBars("Probabilities")
        self.bars.setMinimumSize(150, 72)  # ten bars still read at 72 px; the matrix needs the height
        self.prev_button = QPushButton("\N{BLACK LEFT-POINTING TRIANGLE} Previous")
        self.prev_button.setToolTip("Previous digit (Left)")
        self.next_button = QPushButton("Next \N{BLACK RIGHT-POINTING TRIANGLE}")
        self.next_button.setToolTip("Next digit (Right)")
        self.random_button = QPushButton("Random")
        self.random_button.setToolTip("A random digit (R)")
        self.misclassified_box = QCheckBox("Misclassified only")
        self.misclassified_box.setToolTip("Step only through the digits the network gets wrong "
                                          "(as of the last evaluation)")
        self.position_label = QLabel()
        self.confusion = ConfusionView()
        self.evaluate_button = QPushButton("Evaluate now")
        self.evaluate_button.setToolTip("Run the whole test set through the latest weights")
        self.eval_label = QLabel()
        self.eval_label.setWordWrap(True)
        self.cell_label = QLabel(CELL_HINT)
        self.cell_list = QListWidget()
        self.cell_list.setViewMode(QListView.ViewMode.IconMode)
        self.cell_list.setIconSize(QSize(THUMB, THUMB))
        self.cell_list.setGridSize(QSize(THUMB + 6, THUMB + 6))
        self.cell_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.cell_list.setMovement(QListView.Movement.Static)
        self.cell_list.setUniformItemSizes(True)
        # Two rows of thumbnails while the bars are shown (a stacked widget is as high as its
        # highest page); three full rows once a cell is open (see _show_cell_page): two rows read
        # as a strip, not a list to browse, and the matrix gives up the room.
        self.cell_list.setMinimumHeight(self._list_height(2))
        self._build_layout()

        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(+1))
        self.random_button.clicked.connect(self.show_random)
        self.misclassified_box.toggled.connect(self._on_filter_toggled)
        self.evaluate_button.clicked.connect(self.evaluate_now)
        self.confusion.cell_clicked.connect(self._on_cell_clicked)
        self.cell_list.itemClicked.connect(self._on_thumbnail_clicked)
        self.cell_list.itemActivated.connect(self._on_thumbnail_clicked)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for key, slot in ((Qt.Key.Key_Right, lambda: self.step(+1)), (Qt.Key.Key_Left, lambda: self.step(-1)),
                          (Qt.Key.Key_R, self.show_random)):
            QShortcut(QKeySequence(key), self, slot, context=context)
        self._refresh()

    def _build_layout(self) -> None:
        nav = QHBoxLayout()
        for b in (self.prev_button, self.next_button, self.random_button):
            nav.addWidget(b)
        viewer = QVBoxLayout()
        top = QHBoxLayout()
        top.addWidget(self.digit_tile, 2)
        side = QVBoxLayout()
        side.addWidget(self.verdict)
        side.addWidget(self.position_label)
        # An open confusion cell lists its digits where the bars were: beside the digit, so the
        # panel fits a 1024x700 window's side dock (the prediction is still in the verdict).
        self._beside = QStackedWidget()
        self._beside.addWidget(self.bars)
        cell = QWidget()
        cell_box = QVBoxLayout(cell)
        cell_box.setContentsMargins(0, 0, 0, 0)
        cell_box.addWidget(self.cell_label)
        cell_box.addWidget(self.cell_list, 1)
        self._beside.addWidget(cell)
        side.addWidget(self._beside, 1)
        side.addWidget(self.misclassified_box)  # beside the digit, not a row of its own: height is short
        top.addLayout(side, 3)
        viewer.addLayout(top, 1)
        viewer.addLayout(nav)

        matrix = QVBoxLayout()
        matrix.addWidget(self.confusion, 1)
        eval_row = QHBoxLayout()
        eval_row.addWidget(self.evaluate_button)
        eval_row.addWidget(self.eval_label, 1)
        matrix.addLayout(eval_row)

        # Viewer beside the matrix when the panel is wide, above it when tall (a side dock).
        self._top = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._top.addLayout(viewer, 2)
        self._top.addLayout(matrix, 3)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)  # every pixel counts in a 1024x700 window's side dock
        outer.addLayout(self._top, 1)


    # ---- API for the main window --------------------------------------------------------------

    def set_dataset(self, x_test: np.ndarray, y_test: np.ndarray) -> None:
        """Browse these digits ((n, 784) float32 in [0, 1], (n,) labels); forgets the old evaluation."""
        x = np.asarray(x_test, dtype=np.float32).reshape(len(x_test), -1)
        y = np.asarray(y_test).reshape(-1)
        if len(x) != len(y):
            raise ValueError(f"x_test has {len(x)} images but y_test has {len(y)} labels")
        self._x, self._y = x, y
        self._evaluator.set_data(x, y)
        self._eval = self._eval_snapshot = None
        self._cell = None
        self._cell_indices = np.zeros(0, np.int64)
        self._current = 0 if len(y) else None
        self._rebuild_order()
        if self._snapshot is not None and self._snapshot.settled:
            self.evaluate_now()
        self._refresh()

    def set_snapshot(self, snapshot) -> None:
        """Use the latest weights: the current digit's prediction follows every snapshot; the whole
        test set is re-evaluated only at epoch end (at most once a second while training), train
        end, for weights not from a running training (imported), or on "Evaluate now". The same
        snapshot again changes nothing."""
        if snapshot is self._snapshot:
            return
        self._snapshot = snapshot
        if snapshot.settled and len(self._y):
            self._request_evaluation(throttled=snapshot.event is SnapshotEvent.EPOCH_END,
                                     rest=REST if snapshot.replayed else 0.0)
        self._refresh()

    def evaluate_now(self) -> None:
        """Run the test set through the latest weights (in the background); the matrix, filter
        and cell list follow when it is done (``evaluated``)."""
        self._request_evaluation(throttled=False)
        self._refresh_matrix()  # "Evaluating the test set…" until the first result

    def _request_evaluation(self, *, throttled: bool, rest: float = 0.0) -> None:
        if self._snapshot is not None and len(self._y):
            self._evaluator.request(self._snapshot, throttled=throttled, rest=rest)

    def evaluation_pending(self) -> bool:
        """True while a requested evaluation has not been shown yet."""
        return self._evaluator.busy()

    def shutdown(self, timeout: float = 1.0) -> bool:
        """Wait for a running evaluation's thread (it never touches Qt; this only tidies up)."""
        return self._evaluator.wait(timeout)

    def show_index(self, index: int, *, emit: bool = True) -> None:
        """Show test digit ``index`` (and, by default, ask for it as the input via digit_requested)."""
        if not 0 <= index < len(self._y):
            return
        self._current = int(index)
        hits = np.flatnonzero(self._order == index)
        if hits.size:
            self._pos = int(hits[0])
        self._refresh()
        if emit:
            self.digit_requested.emit(int(index))

    # Read-only views, used by tests and the status bar.
    def current_index(self) -> int | None:
        return self._current

    def stepping_indices(self) -> np.ndarray:
        """The indices Next/Previous walk through (all digits, or only the misclassified ones)."""
        return self._order.copy()

    def listed_indices(self) -> np.ndarray:
        """The digits of the clicked confusion cell, in the order shown (at most MAX_THUMBNAILS)."""
        return self._cell_indices[:MAX_THUMBNAILS].copy()

    def evaluation(self) -> EvalResult | None:
        return self._eval

    # ---- internals ----------------------------------------------------------------------------

    def _rebuild_order(self) -> None:
        if self.misclassified_box.isChecked() and self._eval is not None:
            self._order = self._eval.misclassified.astype(np.int64)
        else:
            self._order = np.arange(len(self._y), dtype=np.int64)
        if self._current is not None and self._order.size:
            # Stay on the current digit if it is still in the list, else the next one after it.
            self._pos = min(int(np.searchsorted(self._order, self._current)), self._order.size - 1)

    def step(self, delta: int) -> None:
        """Show the digit ``delta`` places on in the stepping order (wraps around).

        While a confusion cell is open, Next and Previous walk through that cell's digits (and
        select each one's thumbnail); click the cell again to close it.
        """
        listed = self.listed_indices()
        if self._cell is not None and listed.size:
            hits = np.flatnonzero(listed == self._current) if self._current is not None else []
            pos = (int(hits[0]) + delta) % listed.size if len(hits) else (0 if delta > 0 else listed.size - 1)
            self.cell_list.setCurrentRow(pos)
            self.show_index(int(listed[pos]))
            return
        if not self._order.size:
            return
        at_current = self._current is not None and self._order[self._pos] == self._current
        pos = (self._pos + delta) % self._order.size if at_current else self._pos
        self._pos = pos
        self.show_index(int(self._order[pos]))

    def show_random(self) -> None:
        """Show a random digit from the stepping order."""
        if self._order.size:
            self._pos = int(self._rng.integers(self._order.size))
            self.show_index(int(self._order[self._pos]))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        wide = self.width() >= 1.3 * self.height()
        if wide != self._wide:
            self._wide = wide
            self._top.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)
            self._top.setStretch(0, 1 if wide else 2)
            self._top.setStretch(1, 1 if wide else 3)

    def _on_evaluated(self, snapshot, result: EvalResult) -> None:
        if snapshot.replayed and snapshot is not self._snapshot:
            return  # a moment the timeline's cursor has left: its matrix would be shown as the current one
        task = _task_of(self._eval, self._eval_snapshot)
        self._eval, self._eval_snapshot = result, snapshot
        self._rebuild_order()
        if self._cell is not None and task != _task_of(result, snapshot):
            # Another task (ten digits <-> "is it a 6?", or another digit): the open cell counted
            # other classes, and its (true 8, predicted 5) may not even exist in a 2x2 matrix.
            self.close_cell()
        elif self._cell is not None:
            self._cell_indices = indices_for_cell(self._truth(), result.predictions, *self._cell)
            self._fill_cell_list()
        jump, self._jump_to_mistake = self._jump_to_mistake, False
        if (jump and self.misclassified_box.isChecked() and self._order.size
                and self._order[self._pos] != self._current):
            self.show_index(int(self._order[self._pos]))  # the filter was asked for before the mistakes were known
        else:
            self._refresh()
        self.evaluated.emit(result)

    def _on_evaluation_failed(self, _snapshot, exc) -> None:
        self.eval_label.setText(f"Could not evaluate the test set: {exc}")

    def _on_filter_toggled(self, on: bool) -> None:
        if on and self._eval is None:
            self._jump_to_mistake = True
            self.evaluate_now()
        self._rebuild_order()
        if self._order.size and self._current is not None and self._order[self._pos] != self._current:
            self.show_index(int(self._order[self._pos]))  # the current digit is not a mistake
        else:
            self._refresh()

    def _on_cell_clicked(self, true_label: int, pred_label: int) -> None:
        if self._eval is None:
            return
        if self._cell == (true_label, pred_label):
            self.close_cell()  # a second click closes it: Next walks the whole test set again
            return
        self._cell = (true_label, pred_label)
        self._cell_indices = indices_for_cell(self._truth(), self._eval.predictions, true_label, pred_label)
        self._fill_cell_list()

    def _eval_digit(self) -> int | None:
        """The digit of the evaluated one-neuron network ("is it a 6?"), or None."""
        return None if self._eval_snapshot is None else self._eval_snapshot.network.digit

    def _truth(self) -> np.ndarray:
        """The true classes the evaluation's matrix counts: the digits, or 1/0 for "is it the digit?"."""
        if self._eval is not None and self._eval.is_binary:
            return binary_labels(self._y, self._eval_digit())
        return self._y

    def open_cell(self) -> tuple[int, int] | None:
        """The confusion cell whose digits are listed (and stepped through), or None."""
        return self._cell

    def close_cell(self) -> None:
        """Close the open cell: the list empties, Next and Previous walk the whole test set again."""
        self._cell = None
        self._cell_indices = np.zeros(0, np.int64)
        self.confusion.set_selected(None)
        self.cell_list.clear()
        self.cell_label.setText(CELL_HINT)
        self._show_cell_page(False)

    def _fill_cell_list(self) -> None:
        t, p = self._cell
        idx = self._cell_indices
        if self._eval is not None and self._eval.is_binary:
            name = lambda k: class_name(k, self._eval_digit())  # noqa: E731
            what = f"{name(t)}, answered correctly" if t == p else f"{name(t)}, answered {yes_no_text(bool(p), None)}"
        else:
            what = f"{t}s classified correctly" if t == p else f"true {t}, predicted {p}"
        more = f" (first {MAX_THUMBNAILS:,})" if idx.size > MAX_THUMBNAILS else ""
        # Two short lines, not wrapped: a wrapped label's height would squeeze the matrix below.
        self.cell_label.setText(f"<b>{idx.size:,} digit{'s' if idx.size != 1 else ''}: {what}</b>{more}"
                                "<br>Next steps through them")
        self.cell_label.setToolTip("Click a digit to open it; click the cell again to close the list")
        self.confusion.set_selected(self._cell)
        self._show_cell_page(True)
        self.cell_list.setUpdatesEnabled(False)
        self.cell_list.clear()
        for i in idx[:MAX_THUMBNAILS]:
            image = gray_to_qimage(self._x[i].reshape(28, 28)).scaled(
                THUMB, THUMB, mode=Qt.TransformationMode.SmoothTransformation)  # 28 -> 32: no uneven pixels
            item = QListWidgetItem(QIcon(QPixmap.fromImage(image)), "")
            item.setData(Qt.ItemDataRole.UserRole, int(i))
            item.setToolTip(f"test digit {int(i) + 1:,}: true {int(self._y[i])}, predicted {int(self._eval.predictions[i])}")
            self.cell_list.addItem(item)
        self.cell_list.setUpdatesEnabled(True)

    def _list_height(self, rows: int) -> int:
        """The cell list's height for ``rows`` full rows of thumbnails (and its frame)."""
        return rows * self.cell_list.gridSize().height() + 2 * self.cell_list.frameWidth() + 2

    def _show_cell_page(self, on: bool) -> None:
        """The cell's list beside the digit (three full rows, the matrix shrinks), or the bars."""
        self.cell_list.setMinimumHeight(self._list_height(3 if on else 2))
        self._beside.setCurrentIndex(1 if on else 0)
        self.position_label.setVisible(not on)  # the cell's label says what Next walks through
        # Next walks the cell, not the mistakes, while it is open: the filter gives the list its line.
        self.misclassified_box.setVisible(not on)

    def _on_thumbnail_clicked(self, item: QListWidgetItem) -> None:
        self.show_index(int(item.data(Qt.ItemDataRole.UserRole)))

    def _refresh(self) -> None:
        n = len(self._y)
        has = n > 0
        for b in (self.prev_button, self.next_button, self.random_button):
            b.setEnabled(has and self._order.size > 0)
        self.misclassified_box.setEnabled(has and self._snapshot is not None)
        self.evaluate_button.setEnabled(has and self._snapshot is not None)
        self._refresh_matrix()
        if self._current is None:
            self.digit_tile.set_image(None)
            self.digit_tile.set_caption("")
            self.verdict.setText("No test set loaded." if not has else "")
            self.bars.set_probabilities(None)
            self.position_label.setText("")
            return
        i = self._current
        label = int(self._y[i])
        self.digit_tile.set_image(gray_to_qimage(self._x[i].reshape(28, 28)))
        self.digit_tile.set_caption(f"test digit {i + 1:,} of {n:,}")
        if self.misclassified_box.isChecked() and self._eval is not None:
            where = (f"mistake {self._pos + 1:,} of {self._order.size:,}" if self._order.size
                     else "no mistakes at all")
        else:
            where = "all test digits"
        self.position_label.setText(where)
        if self._snapshot is None:
            self.bars.set_empty_text("no network yet")
            self.bars.set_probabilities(None)
            self.verdict.setText(f"True label <b>{label}</b>")
            return
        net = self._snapshot.network
        p = self._analyze(net, self._x[i]).probabilities
        if net.is_binary:
            self._show_answer(p, label, net.digit)
            return
        pred = int(np.argmax(p))
        self.bars.set_probabilities(p, true_label=label)
        v = verdict(pred, label, float(p[pred]), len(p))
        colour = "#2e8b57" if v.right else "#d0453a"
        # A guess drops the decimal to make room: the line must still fit a 1024x700 window's side dock.
        sure = f"{100 * float(p[pred]):.0f}%, a guess" if v.guess else f"{100 * float(p[pred]):.1f}%"
        self.verdict.setText(f"True label <b>{label}</b> &nbsp; predicted <b style='color:{colour}'>{pred} {v.mark}</b>"
                             f" ({sure})")

    def _show_answer(self, p: np.ndarray, label: int, digit: int | None) -> None:
        """A one-neuron network's verdict on the test digit: P(6), yes or no, right or wrong."""
        truth = None if digit is None else int(label == digit)
        self.bars.set_probabilities(p, true_label=truth, digit=digit)
        said = bool(p[0] >= 0.5)
        if truth is None:
            self.verdict.setText(f"True label <b>{label}</b> &nbsp; {answer_text(p[0], digit)}")
            return
        right = said == bool(truth)
        colour = "#2e8b57" if right else "#d0453a"
        mark = "\N{CHECK MARK}" if right else "\N{BALLOT X}"
        # P(digit) itself heads the bar below: the verdict stays as short as "predicted 7 ✓ (98.3%)".
        self.verdict.setText(f"True label <b>{label}</b> &nbsp; answered <b style='color:{colour}'>"
                             f"{yes_no_text(said, digit)} {mark}</b>")

    def _refresh_matrix(self) -> None:
        if self._eval is None:
            self.confusion.set_confusion(None)
            self.confusion.set_empty_text("not evaluated yet" if self._snapshot is not None and len(self._y)
                                          else "needs a network and a test set")
            self.eval_label.setText("Evaluating the test set\N{HORIZONTAL ELLIPSIS}" if self._evaluator.busy()
                                    else "The matrix updates at the end of every epoch.")
            return
        self.confusion.set_confusion(self._eval.confusion, self._eval.accuracy, digit=self._eval_digit())
        snap = self._eval_snapshot
        stale = snap is not self._snapshot
        if not snap.epochs:
            when = "with the loaded weights"
        elif snap.event in (SnapshotEvent.EPOCH_END, SnapshotEvent.TRAIN_END):
            when = f"after epoch {round(snap.epoch_float)} of {snap.epochs}"
        else:
            when = f"at epoch {snap.epoch_float:.1f}"
        scores = ""
        if self._eval.is_binary:
            r = self._eval
            # The balanced accuracy heads the matrix; two short figures keep this to one more line.
            scores = f"<br>precision {_percent(r.precision)} \N{MIDDLE DOT} recall {_percent(r.recall)}"
        self.eval_label.setToolTip(BINARY_SCORES if self._eval.is_binary else "")
        self.eval_label.setText(f"{len(self._eval.misclassified):,} mistakes, evaluated {when}"
                                + (" (weights changed since)" if stale else "") + scores)


BINARY_SCORES = ("Precision: of the digits it said yes to, the share that really are the digit. "
                 "Recall: of the digits that are it, the share it said yes to. Balanced accuracy: the mean of "
                 "the recall on the digit and on the rest (answering no to everything scores 50%, not 90%).")


def _task_of(result: EvalResult | None, snapshot) -> tuple | None:
    """What an evaluation's matrix counts: its shape and, for one neuron, its digit (None: no evaluation)."""
    if result is None:
        return None
    return result.confusion.shape, snapshot.network.digit if result.is_binary else None


def _percent(value: float) -> str:
    return "—" if np.isnan(value) else f"{100 * value:.1f}%"
