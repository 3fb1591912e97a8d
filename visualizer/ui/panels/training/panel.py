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

from visualizer.core.config import (ACTIVATIONS, DEFAULT_LR, OPTIMIZERS, TrainingConfig, parse_hidden, task_question,
                                    yes_no_text)
from visualizer.core.errors import ConfigError
from visualizer.session.explanations import verdict
from visualizer.session.moments import PACES, pace_text
from visualizer.session.presets import PRESETS, matching_preset, preset, preset_name
from visualizer.ui.common.labels import HeldText

NO_INPUT = "Draw a digit in the <b>Draw</b> panel, or pick one in <b>Test set</b> (N / P / D)."
# Sizes such as 16,16, or nothing / "none" for no hidden layer (softmax regression).
HIDDEN_PATTERN = r"(?i)^\s*(none|\d{1,4}(\s*[, ]\s*\d{1,4}){0,5}\s*,?)?\s*$"
CUSTOM = "Custom"
ACTIVATION_TIP = "Activation of the hidden layers (the output layer is softmax, or sigmoid for one neuron)"
NO_ACTIVATION_TIP = ("No hidden layer, so no hidden activation: the inputs feed the output layer directly "
                     "(softmax, or sigmoid for one neuron). Type layer sizes in Hidden layers to choose one.")
# The panel shares the left column with the curves: at 1280x800 both fit only if its rows sit
# close (a 3 px gap between form rows and 5 px margins instead of the style's 6 and 9 saves
# ~90 px of the column's ~700).
ROW_GAP = 3
MARGIN = 5
BUTTON_HEIGHT = 26


def _button(action) -> QToolButton:
    b = QToolButton()
    b.setDefaultAction(action)
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    b.setMinimumHeight(BUTTON_HEIGHT)
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
    preset_applied = Signal(str)  # a preset's key, after its settings were put in the fields

    def __init__(self, actions, parent: QWidget | None = None):
        super().__init__(parent)
        self.preset = QComboBox()
        self.preset.addItem(CUSTOM, None)
        for p in PRESETS:
            self.preset.addItem(p.name, p.key)
            self.preset.setItemData(self.preset.count() - 1, p.follows, Qt.ItemDataRole.ToolTipRole)
        self.preset.setToolTip("Put a tutorial's network (or a failure worth showing) in the fields below; "
                               "Start trains it")
        self.task = QComboBox()
        self.task.addItem("digits 0–9", None)
        for d in range(10):
            self.task.addItem(task_question(d), d)
        self.task.setToolTip("Ten softmax outputs (which digit?), or one sigmoid neuron that answers "
                             "'is it this digit?' (trained on that digit vs the rest)")
        self.train_subset = QSpinBox()
        self.train_subset.setRange(0, 10_000_000)
        self.train_subset.setSingleStep(100)
        self.train_subset.setSpecialValueText("all")
        self.train_subset.setToolTip("Train on only the first N training images (all: every one); "
                                     "a few hundred for many epochs shows overfitting")
        self.hidden = QLineEdit()
        self.hidden.setValidator(QRegularExpressionValidator(QRegularExpression(HIDDEN_PATTERN), self.hidden))
        self.hidden.setToolTip("Hidden layer sizes, input to output, e.g. 16,16 (up to 6 layers of 1 to 1024 neurons); "
                               "empty or none: no hidden layer")
        self.hidden.setPlaceholderText("16,16")
        self.activation = QComboBox()
        self.activation.addItems(ACTIVATIONS)
        self.activation.setToolTip(ACTIVATION_TIP)
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
        form.setVerticalSpacing(ROW_GAP)
        form.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        form.addRow("Preset", self.preset)
        form.addRow("Task", self.task)
        form.addRow("Hidden layers", self.hidden)
        form.addRow("Activation", self.activation)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Epochs", self.epochs)
        form.addRow("Training images", self.train_subset)
        form.addRow("Seed", self.seed)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d9534f;")
        self.error.hide()

        run = QGroupBox("Run")
        grid = QGridLayout(run)
        grid.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        grid.setVerticalSpacing(ROW_GAP + 1)
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
        box.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        # Its text changes with every frame's confidence: held at its height, it re-lays out nothing.
        # Three lines: "Test digit #1: true 7, predicted 7 (12%) ✓ right — but only a guess: 12% is
        # close to the 10% of picking at random" takes three in the 300 px column, and a box that
        # grew after the column was split made the panel scroll.
        self.input_label = HeldText(NO_INPUT, lines=3)
        self.input_label.setTextFormat(Qt.TextFormat.RichText)
        self.input_label.setToolTip("The digit fed through the network view, its true label and the prediction")
        box.addWidget(self.input_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        layout.setSpacing(MARGIN)
        layout.addWidget(settings)
        # Under the box, not a form row: a form row is as high as one line, and cut a wrapped
        # message ("hidden layer sizes must be…") at the top and bottom.
        layout.addWidget(self.error)
        layout.addWidget(run)
        layout.addWidget(shown)
        layout.addStretch(1)

        self.pace.currentIndexChanged.connect(lambda i: self.pace_chosen.emit(self.pace.itemData(i)))
        self.optimizer.currentTextChanged.connect(self._on_optimizer_changed)
        self.preset.activated.connect(self._on_preset_activated)
        for key, action in actions.presets.items():  # Training ▸ Presets does what the combo does
            action.triggered.connect(lambda _=False, k=key: self.apply_preset(k))
        for w in self._fields():
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

    def _fields(self) -> tuple[QWidget, ...]:
        return (self.task, self.hidden, self.activation, self.optimizer, self.learning_rate, self.batch_size,
                self.epochs, self.train_subset, self.seed)

    def apply_preset(self, key: str) -> None:
        """Put preset ``key``'s settings in the fields (the seed and a chosen digit are kept); trains nothing."""
        p = preset(key)
        digit = self.task.currentData() if p.digit_selectable else None
        self.set_config(p.config(digit=digit, seed=self.seed.value()))
        self.preset_applied.emit(key)

    def config(self) -> TrainingConfig:
        """The config described by the fields; raises ConfigError with a readable message."""
        return TrainingConfig(
            one_vs_rest=self.task.currentData(),
            train_subset=self.train_subset.value() or None,
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
            self.task.setCurrentIndex(self.task.findData(config.one_vs_rest))
            self.train_subset.setValue(config.train_subset or 0)
            self.hidden.setText(",".join(map(str, config.hidden)) if config.hidden else "none")
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
        self.hidden.setText(",".join(map(str, hidden)) if hidden else "none")
        self.activation.setCurrentText(activation)

    def set_editable(self, editable: bool) -> None:
        """Settings apply to the next run, so they are locked while one runs."""
        self._editable = editable
        for w in (self.preset, *self._fields()):
            w.setEnabled(editable)
        self._show_activation_use()

    _editable = True

    def _show_activation_use(self) -> None:
        """Grey out the activation when the hidden layers field says there are none (it would choose nothing)."""
        try:
            none = parse_hidden(self.hidden.text()) == ()
        except ConfigError:
            none = False  # a half-typed size: the field's error says what is wrong, the choice stays open
        self.activation.setEnabled(self._editable and not none)
        self.activation.setToolTip(NO_ACTIVATION_TIP if none else ACTIVATION_TIP)

    def set_state_text(self, text: str) -> None:
        self.state_label.setText(text)

    def set_input_text(self, html: str) -> None:
        self.input_label.setText(html or NO_INPUT)

    def set_prediction(self, source: str, true_label: int | None, predicted: int, confidence: float,
                       *, network=None) -> None:
        """Say what the network makes of the input shown (and whether that is right, if known).

        For a one-neuron ``network`` ``predicted`` is 1 (yes) or 0 (no) and ``confidence`` that
        answer's probability.
        """
        if network is not None and network.is_binary:
            self.input_label.setText(_answer_html(source, true_label, bool(predicted), confidence, network.digit))
            return
        text = f"{source}: predicted <b>{predicted}</b> ({confidence:.0%})"
        if true_label is not None:
            v = verdict(predicted, true_label, confidence)
            mark = "<span style='color:#2e9e44'>✓ right</span>" if v.right else "<span style='color:#d9534f'>✗ wrong</span>"
            if v.guess:  # an untrained network is right one time in ten by chance, at ~12%: say so
                mark += f" — but {v.note}"
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

    def _on_preset_activated(self, index: int) -> None:
        key = self.preset.itemData(index)
        if key is not None:
            self.apply_preset(key)

    def _show_matching_preset(self, config: TrainingConfig | None) -> None:
        """Name the preset the fields equal (Custom when none), with the one neuron's chosen digit."""
        p = matching_preset(config) if config is not None else None
        for i in range(1, self.preset.count()):
            item = preset(self.preset.itemData(i))
            digit = config.one_vs_rest if (p is item and config is not None) else None
            self.preset.setItemText(i, preset_name(item, digit))
        self.preset.setCurrentIndex(0 if p is None else self.preset.findData(p.key))

    def _on_edited(self, *_args) -> None:
        if self._setting:
            return  # set_config validates once at the end
        self._show_activation_use()
        try:
            config = self.config()
        except ConfigError as exc:
            self.show_error(str(exc))
            self._show_matching_preset(None)
        else:
            self.show_error("")
            self._show_matching_preset(config)


def _answer_html(source: str, true_label: int | None, yes: bool, confidence: float, digit: int | None) -> str:
    """"Test digit #3: true 7, no, not a 6 (98%) ✓ right" for a one-neuron network."""
    p_yes = confidence if yes else 1.0 - confidence
    answer = f"<b>{yes_no_text(yes, digit)}</b> (P({'yes' if digit is None else digit}) = {p_yes:.2f})"
    if true_label is None or digit is None:
        return f"{source}: {answer}"
    v = verdict(int(yes), int(int(true_label) == digit), confidence, 2)  # a yes/no answer near 0.5 is a guess
    mark = "<span style='color:#2e9e44'>✓ right</span>" if v.right else "<span style='color:#d9534f'>✗ wrong</span>"
    if v.guess:
        mark += f" — but {v.note}"
    return f"{source}: true <b>{true_label}</b>, {answer} {mark}"
