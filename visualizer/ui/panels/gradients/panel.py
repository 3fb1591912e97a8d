"""GradientsPanel: the Gradients dock — what the current example asks of every neuron and weight, and 'This batch'."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QStaticText
from PySide6.QtWidgets import (
    QBoxLayout,
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from visualizer.core.config import yes_no_text
from visualizer.session.gradients import GradientMoment
from visualizer.ui.panels.gradients.batch import BatchView
from visualizer.ui.panels.gradients.diagram import GradientDiagram
from visualizer.ui.panels.gradients.tiles import GradientTiles
from visualizer.ui.panels.gradients.texts import TILES_TITLE, loss_text, target_text, tiles_title

NO_INPUT = "Draw a digit or pick a test digit to see what it asks of the network."


class RichLine(QWidget):
    """Up to two lines of rich text that change every frame without re-laying out the panel.

    A QLabel's setText asks its parents for a new layout each time (the whole dock is then laid
    out and repainted: ~3 ms a frame for the loss line, bench view_update); this widget has a
    fixed height and only repaints itself.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._text = ""
        self._static = QStaticText()
        self._static.setTextFormat(Qt.TextFormat.RichText)
        self.setFixedHeight(2 * self.fontMetrics().height() + 2)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # QLabel's name, so it is a drop-in
        if text != self._text:
            self._text = text
            self._static.setText(text)
            self.update()

    def clear(self) -> None:
        self.setText("")

    def sizeHint(self) -> QSize:
        return QSize(200, self.height())

    def paintEvent(self, event) -> None:
        if not self._text:
            return
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        self._static.setTextWidth(self.width())
        painter.drawStaticText(QPointF(0, 1), self._static)
        painter.end()


class GradientsPanel(QWidget):
    """Draws a :class:`GradientMoment` and a batch; says what it needs (an input, a target) when it cannot.

    Parameters
    ----------
    explain_action
        The window's "Explain one step…" QAction, shown as a button in the header (optional).

    Signals
    -------
    target_chosen(int)
        The user clicked a digit button: what the drawing should be. For a one-neuron "is it a
        6?" network the buttons are yes and no: yes sends its digit (6), no a digit that is not
        it (the drawing's earlier choice when that was another digit), which the session turns
        into the neuron's target, 1 or 0.
    batch_step_requested(int), image_chosen(int)
        From the "This batch" tab (see :class:`BatchView`).
    tab_changed(int)
        0: This example, 1: This batch (the window computes only what is shown).
    """

    target_chosen = Signal(int)
    batch_step_requested = Signal(int)
    image_chosen = Signal(int)
    tab_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, explain_action=None):
        super().__init__(parent)
        self._moment: GradientMoment | None = None
        self._wide: bool | None = None
        self.target_label = QLabel(NO_INPUT)
        self.target_label.setWordWrap(True)
        self.target_label.setTextFormat(Qt.TextFormat.RichText)
        self.loss_label = RichLine()  # wraps to two lines: on one it is wider than a side dock at 1024 px
        self.loss_label.setToolTip("Cross-entropy: −log of the probability the network gives the right digit")
        self.digit_buttons = QButtonGroup(self)
        self.digit_buttons.setExclusive(True)
        digits = QHBoxLayout()
        digits.setSpacing(2)
        self._digits_box = QWidget()
        self._digits_box.setLayout(digits)
        digits.setContentsMargins(0, 0, 0, 0)
        digits.addWidget(QLabel("It should be:"))
        for d in range(10):
            b = QPushButton(str(d))
            b.setCheckable(True)
            b.setFixedWidth(max(26, b.fontMetrics().horizontalAdvance("00") + 12))
            b.setToolTip(f"Your drawing should be a {d}: show what it asks of the network to become one")
            self.digit_buttons.addButton(b, d)
            digits.addWidget(b)
        digits.addStretch(1)
        self.digit_buttons.idClicked.connect(self.target_chosen)
        # One neuron answers yes or no: ten digit buttons would offer nine ways of saying "no".
        self.answer_buttons = QButtonGroup(self)
        self.answer_buttons.setExclusive(True)
        answers = QHBoxLayout()
        answers.setSpacing(4)
        answers.setContentsMargins(0, 0, 0, 0)
        self._answers_box = QWidget()
        self._answers_box.setLayout(answers)
        answers.addWidget(QLabel("It should be:"))
        for answer in (1, 0):
            b = QPushButton(yes_no_text(bool(answer), None))
            b.setCheckable(True)
            self.answer_buttons.addButton(b, answer)
            answers.addWidget(b)
        answers.addStretch(1)
        self.answer_buttons.idClicked.connect(self._on_answer_clicked)
        self._answers_box.hide()

        head = QHBoxLayout()
        head.addWidget(self.target_label, 1)
        if explain_action is not None:
            explain = QToolButton()
            explain.setDefaultAction(explain_action)
            explain.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            head.addWidget(explain, 0, Qt.AlignmentFlag.AlignTop)

        self.diagram = GradientDiagram()
        self.diagram.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.tiles = GradientTiles(TILES_TITLE)
        self.readout = QLabel(" ")
        self.readout.setWordWrap(True)
        self.readout.setToolTip("Hover a neuron, a connection, an input pixel or a tile for its numbers")
        # Room for a neuron's full text in a narrow dock; fixed, so hovering never moves the layout.
        self.readout.setFixedHeight(self.readout.fontMetrics().height() * 4 + 4)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._body.setContentsMargins(0, 0, 0, 0)
        self._body.addWidget(self.diagram, 3)
        self._body.addWidget(self.tiles, 1)
        example = QWidget()  # the target and loss belong to this example, not to the batch tab
        example_layout = QVBoxLayout(example)
        example_layout.setContentsMargins(2, 2, 2, 2)
        example_layout.setSpacing(3)
        example_layout.addLayout(head)
        example_layout.addWidget(self._digits_box)
        example_layout.addWidget(self._answers_box)
        example_layout.addWidget(self.loss_label)
        example_layout.addLayout(self._body, 1)
        example_layout.addWidget(self.readout)

        self.batch = BatchView()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(example, "This example")
        self.tabs.addTab(self.batch, "This batch")
        self.tabs.setTabToolTip(1, "A batch of training images: each one's loss, and their average gradient")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.tabs, 1)
        self._digits_box.hide()

        self.diagram.hovered.connect(self._show_readout)
        self.tiles.hovered.connect(self._show_readout)
        self.batch.batch_step_requested.connect(self.batch_step_requested)
        self.batch.image_chosen.connect(self.image_chosen)
        self.tabs.currentChanged.connect(self.tab_changed)

    # -- public API -----------------------------------------------------------------------------
    def set_moment(self, moment: GradientMoment | None) -> None:
        """Show what ``moment``'s example asks (None: no input)."""
        self._moment = moment
        asks = moment is not None and moment.current.label is None and not (
            moment.network.is_binary and moment.network.digit is None)
        binary = moment is not None and moment.network.is_binary
        self._digits_box.setVisible(asks and not binary)
        self._answers_box.setVisible(asks and binary)
        if binary:
            self._label_answers(moment.network.digit)
        if moment is None:
            self._set_text(self.target_label, NO_INPUT)
            self.loss_label.clear()
        elif moment.pending and moment.gradient is None:  # a big network's first answer is on its way
            self._set_text(self.target_label, moment.reason)
            self.loss_label.clear()
        elif moment.needs_target and asks and binary:
            self._set_text(self.target_label, f"<b>{moment.current.name} needs a target: "
                           f"{moment.network.question}</b> Click yes or no: the view then shows what it "
                           "asks of every weight.")
            self.loss_label.clear()
        elif moment.needs_target:
            self._set_text(self.target_label, f"<b>{moment.reason}</b>" + (
                " Click the digit it should be: the view then shows what it asks of every weight." if asks else ""))
            self.loss_label.clear()
        else:
            whose = (f"the true label of {moment.current.name}" if moment.current.label is not None
                     else f"what you said {moment.current.name.lower()} should be")
            self._set_text(self.target_label, f"Target <b>{target_text(moment)}</b> ({whose})")
            self._set_text(self.loss_label, loss_text(moment))
        if asks and binary:  # one neuron: the answer the user chose, yes (its digit) or no (any other)
            self._check_digit(None)
            self._check(self.answer_buttons, None if moment.digit is None else int(moment.digit == moment.network.digit))
        elif asks:  # the digit the user chose
            self._check_digit(moment.digit if moment.digit is not None else moment.target)
            self._check(self.answer_buttons, None)
        else:
            self._check_digit(None)
            self._check(self.answer_buttons, None)
        self.diagram.set_moment(moment)
        g = None if moment is None else moment.gradient
        title = tiles_title(None if moment is None else moment.network)
        if g is None:
            self.tiles.set_matrix(None, title)
        else:  # only the page of tiles shown is built, from the gradient's two vectors
            self.tiles.set_columns(lambda cols: -g.weight_gradient(0, cols=cols), g.deltas[0].size,
                                   moment.tile_scale(), title)

    def set_batch(self, batch, chosen: int, example, note: str) -> None:
        """Fill the "This batch" tab (see :meth:`BatchView.set_batch`)."""
        self.batch.set_batch(batch, chosen, example, note)

    def showing_batch(self) -> bool:
        return self.tabs.currentIndex() == 1

    def show_batch_tab(self) -> None:
        self.tabs.setCurrentIndex(1)

    def target_text(self) -> str:
        return self.target_label.text()

    def readout_text(self) -> str:
        return self.readout.text().strip()

    # -- internals ------------------------------------------------------------------------------
    def _check_digit(self, digit: int | None) -> None:
        self._check(self.digit_buttons, digit)

    @staticmethod
    def _check(group: QButtonGroup, button_id: int | None) -> None:
        """Check the button ``button_id`` of an exclusive group, or none of them."""
        checked = group.checkedButton()
        if button_id is None:
            if checked is not None:
                group.setExclusive(False)  # an exclusive group cannot uncheck its last button
                checked.setChecked(False)
                group.setExclusive(True)
        elif checked is None or group.id(checked) != button_id:
            group.button(button_id).setChecked(True)

    def _label_answers(self, digit: int | None) -> None:
        """The yes/no buttons say what they mean for this network: "yes, a 6", "no, not a 6"."""
        for answer in (1, 0):
            b = self.answer_buttons.button(answer)
            text = yes_no_text(bool(answer), digit)
            if b.text() != text:
                b.setText(text)
                what = "is" if answer else "is not"
                b.setToolTip(f"Your drawing {what} {'the digit' if digit is None else f'a {digit}'}: "
                             "show what that asks of the network")

    def _on_answer_clicked(self, answer: int) -> None:
        moment = self._moment
        if moment is None or not moment.network.is_binary or moment.network.digit is None:
            return
        digit = int(moment.network.digit)
        if answer:
            self.target_chosen.emit(digit)
        else:  # any other digit means "no"; keep the drawing's own choice when it was one
            earlier = moment.digit
            self.target_chosen.emit(int(earlier) if earlier is not None and earlier != digit else (digit + 1) % 10)

    @staticmethod
    def _set_text(label: QLabel, text: str) -> None:
        if label.text() != text:  # a QLabel re-lays out on every setText
            label.setText(text)

    def _show_readout(self, text: str) -> None:
        self.readout.setText(text.replace("\n", " · ") if text else " ")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        wide = self.width() > 1.25 * self.height()
        if wide != self._wide:
            self._wide = wide
            self._body.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)
