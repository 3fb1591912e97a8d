"""ExplainDialog: "Explain one step" — draws a StepExplainer's frames, plays them, applies and undoes the step."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from visualizer.session.stepper import TEMPOS, Stage, StepExplainer
from visualizer.ui.common.probabilities import ProbabilityBars
from visualizer.ui.panels.gradients.diagram import GradientDiagram
from visualizer.ui.panels.gradients.texts import num, target_text
from visualizer.ui.panels.gradients.tiles import GradientTiles

SIDE_WIDTH = 300


def _label(text: str = "", *, rich: bool = True, lines: int = 0) -> QLabel:
    """A label at the top left. With ``lines``: wrapped, exactly that many lines tall (so a longer
    text never re-lays out the dialog); without: not wrapped, its text breaks its own lines.

    A wrapped label on a stage page made each page switch cost ~12-25 ms (bench
    stage_transition): Qt searched a height for its width through the whole dialog's layout.
    """
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    if lines:
        label.setWordWrap(True)
        label.setFixedHeight(label.fontMetrics().height() * lines + 6)
    return label


class _Side(QStackedWidget):
    """The stage's own picture beside the diagram: probabilities, errors, weight changes, before/after."""

    def __init__(self):
        super().__init__()
        self.bars = ProbabilityBars("What the network says")
        self.loss_bars = ProbabilityBars("Probabilities (target outlined)")
        self.loss_text = _label()
        self.errors = _label()
        self.change_tiles = GradientTiles("Weight change of the first layer: −lr × ∂L/∂W₁")
        self.change_text = _label()
        self.before_bars = ProbabilityBars("Before")
        self.after_bars = ProbabilityBars("After one step")
        self.after_text = _label()
        pages = {
            Stage.FORWARD: [self.bars],
            Stage.LOSS: [self.loss_bars, self.loss_text],
            Stage.BACKWARD: [self.errors],
            Stage.UPDATE: [self.change_tiles, self.change_text],
            Stage.AFTER: [self.before_bars, self.after_bars, self.after_text],
        }
        self.pages = {}
        for stage, widgets in pages.items():
            page = QWidget()
            layout = QVBoxLayout(page)
            layout.setContentsMargins(0, 0, 0, 0)
            for w in widgets:
                layout.addWidget(w, 0 if isinstance(w, QLabel) else 1)
            if all(isinstance(w, QLabel) for w in widgets):
                layout.addStretch(1)
            self.pages[stage] = self.addWidget(page)

    def fill(self, step: StepExplainer) -> None:
        """Everything that does not change from frame to frame, drawn once per explanation."""
        g, p, t = step.gradient, step.preview, step.moment.target
        if step.moment.network.is_binary:
            self._fill_binary(step)
            return
        self.loss_bars.set_probabilities(g.probabilities, true_label=t)
        self.loss_text.setText(f"<p style='font-size:large'>−log p({t}) = −log {g.probabilities[t]:.4f} = "
                               f"<b>{g.loss:.4f}</b></p>")
        rows = "".join(
            f"<tr><td><b>{d}</b></td><td align=right>{g.probabilities[d]:.3f}</td><td>−</td>"
            f"<td>{1 if d == t else 0}</td><td>=</td><td align=right>{num(g.output_error[d])}</td>"
            f"<td>&nbsp;{'▲ up' if d == t else '▼ down'}</td></tr>" for d in range(g.probabilities.size))
        self.errors.setText("<b>Output errors</b> p − y, and the<br>nudges (−error) they ask for:"
                            f"<table cellspacing=3>{rows}</table>")
        self._fill_changes(step)
        self.before_bars.set_probabilities(p.probabilities_before, true_label=t)
        self.after_bars.set_probabilities(p.probabilities_after, true_label=t)
        self.after_text.setText(
            f"p({t}): {p.probabilities_before[t]:.4f} → <b>{p.probabilities_after[t]:.4f}</b><br>"
            f"loss: {p.loss_before:.4f} → <b>{p.loss_after:.4f}</b> ({p.loss_change:+.4f})")

    def _fill_binary(self, step: StepExplainer) -> None:
        """:meth:`fill` for one sigmoid neuron: binary cross-entropy, one output error, P(digit) before and after."""
        g, p, t, net = step.gradient, step.preview, step.moment.target, step.moment.network
        name = "yes" if net.digit is None else str(net.digit)
        self.loss_bars.set_probabilities(g.probabilities, true_label=t, digit=net.digit)
        term = f"P({name})" if t else f"(1 − P({name}))"
        chance = float(g.probabilities[0]) if t else 1.0 - float(g.probabilities[0])
        self.loss_text.setText(f"<p style='font-size:large'>−log {term} = −log {chance:.4f} = <b>{g.loss:.4f}</b></p>")
        self.errors.setText(f"<b>Output error</b> p − y, and the<br>nudge (−error) it asks for:<table cellspacing=3>"
                            f"<tr><td><b>P({name})</b></td><td align=right>{g.probabilities[0]:.3f}</td><td>−</td>"
                            f"<td>{t}</td><td>=</td><td align=right>{num(g.output_error[0])}</td>"
                            f"<td>&nbsp;{'▲ up' if t else '▼ down'}</td></tr></table>")
        self._fill_changes(step)
        self.before_bars.set_probabilities(p.probabilities_before, true_label=t, digit=net.digit)
        self.after_bars.set_probabilities(p.probabilities_after, true_label=t, digit=net.digit)
        self.after_text.setText(
            f"P({name}): {p.probabilities_before[0]:.4f} → <b>{p.probabilities_after[0]:.4f}</b><br>"
            f"loss: {p.loss_before:.4f} → <b>{p.loss_after:.4f}</b> ({p.loss_change:+.4f})")

    def _fill_changes(self, step: StepExplainer) -> None:
        p = step.preview
        self.change_tiles.set_matrix(step.weight_changes[0])
        names = step.moment.network.layer_names
        lines = [f"{names[i]} → {names[i + 1]}: largest |Δw| {float(np.max(np.abs(dw))):.2g}"
                 for i, dw in enumerate(step.weight_changes)]
        self.change_text.setText("<br>".join(lines) + "<br>Red: the weight grows, blue: it shrinks.")
        self.before_bars.set_title(f"Before: loss {p.loss_before:.4f}")
        self.after_bars.set_title(f"After one step: loss {p.loss_after:.4f}")

    def show_frame(self, step: StepExplainer) -> None:
        f = step.frame
        self.setCurrentIndex(self.pages[f.stage])
        if f.stage is Stage.FORWARD:
            done = f.lit == step.n_layers - 1
            self.bars.set_probabilities(step.gradient.probabilities if done else None)
            self.bars.set_empty_text("not computed yet")


class ExplainDialog(QDialog):
    """Walks through one :class:`StepExplainer`: stage chips, caption, the diagram, Back/Play/Next, Apply/Undo.

    Signals
    -------
    applied(bool)
        The step was applied (True) or undone (False).
    """

    applied = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Explain one step")
        self.setModal(False)
        self.step: StepExplainer | None = None
        self._message = ""  # what the last Apply or Undo did
        self.chips = QButtonGroup(self)
        chips = QHBoxLayout()
        for stage in Stage:
            b = QPushButton(f"{stage.value} · {stage.title}")
            b.setCheckable(True)
            b.setToolTip(f"Go to stage {stage.value}: {stage.title}")
            self.chips.addButton(b, stage.value)
            chips.addWidget(b)
        self.chips.idClicked.connect(lambda v: self.step.go_to(Stage(v)) if self.step else None)
        self.title = _label()
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        # A fixed height: a caption one line longer must not re-lay out (and redraw) the diagram.
        self.caption = _label(rich=False, lines=4)
        self.diagram = GradientDiagram()
        self.diagram.setMinimumSize(360, 260)
        self.side = _Side()
        self.side.setFixedWidth(SIDE_WIDTH)
        self.readout = _label(rich=False, lines=2)
        self.back_button = QPushButton("◀ Back")
        self.play_button = QPushButton("▶ Play")
        self.next_button = QPushButton("Next ▶")
        self.tempo = QComboBox()
        for name, seconds in TEMPOS.items():
            self.tempo.addItem(f"{name} ({seconds:g} s a frame)", name)
        self.tempo.setToolTip("How fast Play goes through the frames")
        self.apply_button = QPushButton("Apply this step")
        self.apply_button.setToolTip("Make these the network's weights: one step of the run (training continues from it)")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Put back the weights from before the step, exactly")
        self.status = _label(rich=False, lines=2)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        middle = QHBoxLayout()
        middle.addWidget(self.diagram, 1)
        middle.addWidget(self.side)
        controls = QHBoxLayout()
        for w in (self.back_button, self.play_button, self.tempo, self.next_button):
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.apply_button)
        controls.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.addLayout(chips)
        layout.addWidget(self.title)
        layout.addWidget(self.caption)
        layout.addLayout(middle, 1)
        layout.addWidget(self.readout)
        layout.addLayout(controls)
        layout.addWidget(self.status)

        self.timer = QTimer(self)
        self.timer.timeout.connect(self._on_tick)
        self.back_button.clicked.connect(lambda: self.step.back())
        self.next_button.clicked.connect(lambda: self.step.next())
        self.play_button.clicked.connect(self._on_play_clicked)
        self.tempo.currentIndexChanged.connect(lambda _i: self.step.set_tempo(self.tempo.currentData()))
        self.apply_button.clicked.connect(self._on_apply)
        self.undo_button.clicked.connect(self._on_undo)
        self.diagram.hovered.connect(lambda text: self.readout.setText(text.replace("\n", " · ")))
        for b in self.findChildren(QPushButton):
            b.setAutoDefault(False)  # Return must not apply the step behind the user's back
        self.resize(980, 640)

    # -- public API -----------------------------------------------------------------------------
    def set_explainer(self, step: StepExplainer) -> None:
        """Explain ``step`` from its first frame (the previous explanation is let go)."""
        if self.step is not None:
            self.step.changed.disconnect(self._refresh)
            self.step.close()
        self.step = step
        step.changed.connect(self._refresh)
        self.setWindowTitle(f"Explain one step — {step.moment.current.name}, target {target_text(step.moment)}")
        self.diagram.set_moment(step.moment)
        self.side.fill(step)
        self.tempo.blockSignals(True)
        self.tempo.setCurrentIndex(list(TEMPOS).index(step.tempo))
        self.tempo.blockSignals(False)
        self._message = ""
        self._refresh()

    def release(self) -> None:
        """Stop playing and let the explanation go (the window closes)."""
        self.timer.stop()
        if self.step is not None:
            self.step.changed.disconnect(self._refresh)
            self.step.close()
            self.step = None

    # -- drawing --------------------------------------------------------------------------------
    def _refresh(self) -> None:
        step = self.step
        f = step.frame
        self.chips.button(f.stage.value).setChecked(True)
        part = f" ({f.part + 1} of {f.parts})" if f.parts > 1 else ""
        self.title.setText(f"{f.stage.value} · {f.stage.title}{part}: {f.title}")
        self.caption.setText(f.caption)
        self.diagram.set_reveal(f.lit, f.error_from)
        self.side.show_frame(step)
        self.back_button.setEnabled(not step.at_start)
        self.next_button.setEnabled(not step.at_end)
        self.play_button.setText("❚❚ Pause" if step.playing else "▶ Play")
        if step.playing:
            interval = int(step.seconds_per_frame * 1000)
            if not self.timer.isActive() or self.timer.interval() != interval:
                self.timer.start(interval)
        else:
            self.timer.stop()
        self.apply_button.setEnabled(step.can_apply)
        self.undo_button.setEnabled(step.can_undo)
        # What stops the next action (a run, a changed network), else what the last one did.
        refusal = step.undo_refusal() if step.applied is not None else step.apply_refusal()
        self.status.setText(refusal or self._message)

    def _on_play_clicked(self) -> None:
        self.step.pause() if self.step.playing else self.step.play()

    def _on_tick(self) -> None:
        self.step.tick()

    def _on_apply(self) -> None:
        if self.step.apply():
            p = self.step.preview
            self._message = (f"Applied: the network has the new weights (step {self.step.applied.step:,}); "
                             f"this digit's loss {p.loss_before:.4f} → {p.loss_after:.4f}. Undo puts them back.")
            self.applied.emit(True)
        self._refresh()

    def _on_undo(self) -> None:
        if self.step.undo():
            self._message = "Undone: the network has its previous weights again, exactly."
            self.applied.emit(False)
        self._refresh()

    def closeEvent(self, event) -> None:
        self.timer.stop()
        if self.step is not None:
            self.step.pause()
        super().closeEvent(event)
