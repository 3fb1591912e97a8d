"""Training controls: the settings of the next run, the run buttons, and what the network makes of its input."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from visualizer.core.config import ACTIVATIONS, DEFAULT_LR, OPTIMIZERS, TrainingConfig, parse_hidden
from visualizer.core.errors import ConfigError
from visualizer.session.moments import PACES, pace_text

NO_INPUT = "Draw a digit in the <b>Draw</b> panel, or pick one in <b>Test set</b> (N / P / D)."
GUESS_BELOW = 0.2  # a "right" answer held with less confidence than this is called a guess (chance: 0.1)
HIDDEN_PATTERN = r"^\s*\d{1,4}(\s*[, ]\s*\d{1,4}){0,5}\s*,?\s*$"


def _button(action) -> QToolButton:
    b = QToolButton()
    b.setDefaultAction(action)
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    b.setMinimumHeight(28)
    return b


class ControlsPanel(QWidget):
    """Edits a TrainingConfig and hosts the run buttons; it decides nothing about training.

    Parameters
    ----------
    actions
        ``visualizer.ui.actions.Actions``; the buttons show (and trigger) the shared actions so
        their enabled state, shortcut and tooltip are the same as in the menus.
    """

    pace_chosen = Signal(object)  # batches per second, or None for full speed

    def __init__(self, actions, parent: QWidget | None = None):
        super().__init__(parent)
        self.hidden = QLineEdit()
        self.hidden.setValidator(QRegularExpressionValidator(QRegularExpression(HIDDEN_PATTERN), self.hidden))
        self.hidden.setToolTip("Hidden layer sizes, input to output, e.g. 16,16 (1 to 6 layers of 1 to 1024 neurons)")
        self.hidden.setPlaceholderText("16,16")
        self.activation = QComboBox()
        self.activation.addItems(ACTIVATIONS)
        self.activation.setToolTip("Activation of the hidden layers (the output layer is always softmax)")
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.optimizer.setToolTip("adam adapts the step size per weight; sgd uses momentum 0.9")
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setDecimals(5)
        self.learning_rate.setRange(0.00001, 10.0)
        self.learning_rate.setSingleStep(0.0005)
        self.learning_rate.setToolTip("Step size of the optimizer (adam: 0.001, sgd: 0.01 are good starts)")
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 65536)
        self.batch_size.setToolTip("Images per weight update; Step trains one batch")
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10000)
        self.epochs.setToolTip("Passes over the training images in one run")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Random seed for the initial weights and the shuffling (same seed, same run)")

        settings = QGroupBox("Network and training")
        form = QFormLayout(settings)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Hidden layers", self.hidden)
        form.addRow("Activation", self.activation)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Epochs", self.epochs)
        form.addRow("Seed", self.seed)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d9534f;")
        self.error.hide()

        run = QGroupBox("Run")
        grid = QGridLayout(run)
        grid.addWidget(_button(actions.start), 0, 0)
        grid.addWidget(_button(actions.pause), 0, 1)
        grid.addWidget(_button(actions.step), 0, 2)
        grid.addWidget(_button(actions.stop), 1, 0)
        grid.addWidget(_button(actions.reset), 1, 1)
        self.state_label = QLabel()
        self.state_label.setToolTip("What the trainer is doing")
        # Its text changes with every state ("Ready", "Training…"): ignored by the grid, so the
        # buttons' columns keep their widths instead of jumping when it does.
        self.state_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        grid.addWidget(self.state_label, 1, 2)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        self.pace = QComboBox()
        for pace in PACES:
            self.pace.addItem(pace_text(pace), pace)
        self.pace.setToolTip("How fast training runs: slow enough to watch every batch, or full speed "
                             "(every batch is recorded either way; changes apply at once)")
        speed = QHBoxLayout()
        speed.addWidget(QLabel("Speed"))
        speed.addWidget(self.pace, 1)
        grid.addLayout(speed, 2, 0, 1, 3)

        # The input itself is chosen in the Draw and Test set panels (N / P / D step through the
        # test set from anywhere); this box only says what the network makes of it.
        shown = QGroupBox("Input in the network")
        box = QVBoxLayout(shown)
        self.input_label = QLabel(NO_INPUT)
        self.input_label.setWordWrap(True)
        self.input_label.setTextFormat(Qt.TextFormat.RichText)
        self.input_label.setToolTip("The digit fed through the network view, its true label and the prediction")
        box.addWidget(self.input_label)

        layout = QVBoxLayout(self)
        layout.addWidget(settings)
        # Under the box, not a form row: a form row is as high as one line, and cut a wrapped
        # message ("hidden layer sizes must be…") at the top and bottom.
        layout.addWidget(self.error)
        layout.addWidget(run)
        layout.addWidget(shown)
        layout.addStretch(1)

        self.pace.currentIndexChanged.connect(lambda i: self.pace_chosen.emit(self.pace.itemData(i)))
        self.optimizer.currentTextChanged.connect(self._on_optimizer_changed)
        for w in (self.hidden, self.activation, self.optimizer, self.learning_rate, self.batch_size, self.epochs, self.seed):
            signal = w.textChanged if isinstance(w, QLineEdit) else (
                w.currentTextChanged if isinstance(w, QComboBox) else w.valueChanged
            )
            signal.connect(self._on_edited)

    def set_pace(self, pace: float | None) -> None:
        """Show ``pace`` (batches per second, None: full speed) as chosen, without emitting ``pace_chosen``."""
        i = self.pace.findData(pace)
        if i < 0:  # a pace from elsewhere (settings, the CLI): the nearest offered one
            offered = [p for p in PACES if p is not None]
            i = self.pace.findData(None if pace is None else min(offered, key=lambda p: abs(p - pace)))
        self.pace.blockSignals(True)
        self.pace.setCurrentIndex(i)
        self.pace.blockSignals(False)

    def config(self) -> TrainingConfig:
        """The config described by the fields; raises ConfigError with a readable message."""
        return TrainingConfig(
            hidden=parse_hidden(self.hidden.text()),
            activation=self.activation.currentText(),
            optimizer=self.optimizer.currentText(),
            learning_rate=self.learning_rate.value(),
            batch_size=self.batch_size.value(),
            epochs=self.epochs.value(),
            seed=self.seed.value(),
        )

    def set_config(self, config: TrainingConfig) -> None:
        self._setting = True
        try:
            self.hidden.setText(",".join(map(str, config.hidden)))
            self.activation.setCurrentText(config.activation)
            self.optimizer.setCurrentText(config.optimizer)
            self.learning_rate.setValue(config.learning_rate)
            self.batch_size.setValue(config.batch_size)
            self.epochs.setValue(config.epochs)
            self.seed.setValue(config.seed)
        finally:
            self._setting = False
        self._on_edited()

    def set_architecture(self, hidden: tuple[int, ...], activation: str) -> None:
        """Show an imported network's shape without touching the other settings."""
        self.hidden.setText(",".join(map(str, hidden)))
        self.activation.setCurrentText(activation)

    def set_editable(self, editable: bool) -> None:
        """Settings apply to the next run, so they are locked while one runs."""
        for w in (self.hidden, self.activation, self.optimizer, self.learning_rate, self.batch_size, self.epochs, self.seed):
            w.setEnabled(editable)

    def set_state_text(self, text: str) -> None:
        self.state_label.setText(text)

    def set_input_text(self, html: str) -> None:
        self.input_label.setText(html or NO_INPUT)

    def set_prediction(self, source: str, true_label: int | None, predicted: int, confidence: float) -> None:
        """Say what the network makes of the input shown (and whether that is right, if known)."""
        text = f"{source}: predicted <b>{predicted}</b> ({confidence:.0%})"
        if true_label is not None:
            ok = predicted == true_label
            mark = "<span style='color:#2e9e44'>✓ right</span>" if ok else "<span style='color:#d9534f'>✗ wrong</span>"
            if ok and confidence < GUESS_BELOW:
                # An untrained network is right one time in ten by chance, at ~12%: say so.
                mark += f" — but only a guess: {confidence:.0%} is close to the 10% of picking at random"
            text = f"{source}: true <b>{true_label}</b>, predicted <b>{predicted}</b> ({confidence:.0%}) {mark}"
        self.input_label.setText(text)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    _setting = False

    def _on_optimizer_changed(self, name: str) -> None:
        # Adam's and SGD's good learning rates differ tenfold; a user switching gets a sane start.
        if not self._setting:
            self.learning_rate.setValue(DEFAULT_LR.get(name, self.learning_rate.value()))

    def _on_edited(self, *_args) -> None:
        try:
            self.config()
        except ConfigError as exc:
            self.show_error(str(exc))
        else:
            self.show_error("")
