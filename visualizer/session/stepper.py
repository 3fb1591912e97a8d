"""Explain one step: one example's SGD step in five captioned stages, and applying it to the real network (with undo).

The five stages, as the issue and 3Blue1Brown tell them: (1) the forward pass lights the layers
one by one; (2) the loss compares the output with the target; (3) the error flows back layer by
layer; (4) every weight moves by -lr x gradient; (5) the same example before and after. Stages
1 and 3 have one frame per layer, so Next/Back and auto-play walk through them layer by layer.

:class:`StepExplainer` is Qt-free: it holds the frames, the position, the play state and the
apply/undo logic; the dialog only draws it and calls its methods (and owns the play timer).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

import numpy as np

from visualizer.core.backprop import ExampleGradient, StepPreview, preview_step
from visualizer.core.config import TrainingConfig, yes_no_text
from visualizer.core.snapshot import SnapshotEvent, TrainingSnapshot
from visualizer.session.events import Event
from visualizer.session.gradients import GradientMoment
from visualizer.session.state import RunState

TEMPOS = {"slow": 3.0, "normal": 1.6, "fast": 0.7}  # seconds per frame while playing
RANDOM_GUESS_LOSS = float(np.log(10.0))  # -log 0.1: a network that spreads its bets evenly


class Stage(Enum):
    """The five stages; ``value`` is the stage number shown to people."""

    FORWARD = 1
    LOSS = 2
    BACKWARD = 3
    UPDATE = 4
    AFTER = 5

    @property
    def title(self) -> str:
        return _STAGE_TITLES[self]


_STAGE_TITLES = {Stage.FORWARD: "Forward pass", Stage.LOSS: "Loss", Stage.BACKWARD: "Error flows back",
                 Stage.UPDATE: "Update", Stage.AFTER: "After the step"}


class LayerMode(Enum):
    """How a view draws a layer of neurons in a frame."""

    DARK = "dark"  # not reached yet
    ACTIVATION = "activation"  # lit by its activation
    ERROR = "error"  # its desired change (-delta) is known


class PairMode(Enum):
    """How a view draws the connections between two layers in a frame."""

    NONE = "none"
    FLOW = "flow"  # weight x activation: the signal going forward
    GRADIENT = "gradient"  # -dL/dw: which way each weight wants to move


def reveal_modes(n_layers: int, lit: int, error_from: int | None) -> tuple[list[LayerMode], list[PairMode]]:
    """What is shown of each layer (0..n-1) and each connection (i -> i+1) in a frame.

    ``lit``: layers 0..lit have their activations; ``error_from``: layers error_from..n-1 have
    their delta (None: no error yet). The whole gradient view is ``lit = n - 1, error_from = 1``.
    """
    layers = []
    for k in range(n_layers):
        if error_from is not None and k >= max(error_from, 1):
            layers.append(LayerMode.ERROR)
        else:
            layers.append(LayerMode.ACTIVATION if k <= lit else LayerMode.DARK)
    pairs = []
    for i in range(n_layers - 1):
        if error_from is not None and i + 1 >= error_from:
            pairs.append(PairMode.GRADIENT)
        else:
            pairs.append(PairMode.FLOW if i + 1 <= lit else PairMode.NONE)
    return layers, pairs


@dataclass(frozen=True)
class Frame:
    """One frame of the explanation: its stage, what is revealed, and the words."""

    stage: Stage
    part: int  # 0-based frame within the stage
    parts: int  # frames in the stage
    lit: int  # layers 0..lit show their activations
    error_from: int | None  # layers error_from..L show their delta (None: no error yet)
    title: str
    caption: str


def _fmt_lr(lr: float) -> str:
    return f"{lr:g}"


def optimizer_note(config: TrainingConfig) -> str:
    """What the run's optimizer would do differently from this plain SGD step."""
    lr = _fmt_lr(config.learning_rate)
    if config.optimizer == "adam":
        return (f"Your runs use Adam, which does not move weights by lr × gradient: it divides each weight's step "
                f"by that weight's recent gradient size, so on a first step every weight with any gradient moves "
                f"by about lr = {lr}, small gradients as far as large ones, and it averages the direction over "
                "batches.")
    return (f"Your runs use SGD with momentum {config.momentum:g}: a first step is exactly this one; later steps "
            "also keep some of the previous steps' direction.")


class StepExplainer:
    """One example's SGD step, explained frame by frame, and applied to the session's network on request.

    Parameters
    ----------
    session
        The :class:`visualizer.session.Session`; :meth:`apply` and :meth:`undo` change its network.
    moment
        The example to explain (:meth:`visualizer.session.gradients.Gradients.moment`), with a target.
    config
        The chosen settings: the learning rate of the step, and the optimizer the captions compare with.

    Events
    ------
    changed()
        The frame, the play state or what apply/undo allow changed.
    """

    def __init__(self, session, moment: GradientMoment, config: TrainingConfig):
        if moment is None or moment.gradient is None:
            raise ValueError("explaining a step needs an input with a target")
        self.session = session
        self.before: TrainingSnapshot = session.shown
        if self.before is None or self.before.network is not moment.network:
            raise ValueError("the example must be one under the moment shown")
        self.moment = moment
        self.config = config
        self.learning_rate = float(config.learning_rate)
        self.gradient: ExampleGradient = moment.gradient
        self.preview: StepPreview = (moment.preview if moment.learning_rate == self.learning_rate else preview_step(
            moment.network, moment.current.vector, moment.target, self.learning_rate, gradient=self.gradient))
        self.weight_changes = self.preview.weight_changes  # -lr x gradient, float64, computed once
        self.frames = self._build_frames()
        self.index = 0
        self.playing = False
        self.tempo = "normal"
        self.applied: TrainingSnapshot | None = None  # the snapshot apply() put in the session
        self.changed = Event("changed")
        self._listening = (session.state_changed, session.network_adopted)
        for event in self._listening:
            event.connect(self._on_session_changed)

    def close(self) -> None:
        """Stop listening to the session (the dialog moved on to another explanation)."""
        self.playing = False
        for event in self._listening:
            event.disconnect(self._on_session_changed)
        self._listening = ()

    def _on_session_changed(self, *_args) -> None:
        self.changed.emit()

    # -- frames -------------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        return len(self.moment.network.layer_sizes)

    @property
    def frame(self) -> Frame:
        return self.frames[self.index]

    @property
    def at_start(self) -> bool:
        return self.index == 0

    @property
    def at_end(self) -> bool:
        return self.index == len(self.frames) - 1

    def _move(self, index: int) -> None:
        index = int(np.clip(index, 0, len(self.frames) - 1))
        if index != self.index:
            self.index = index
            self.changed.emit()

    def next(self) -> None:
        self._move(self.index + 1)

    def back(self) -> None:
        self._move(self.index - 1)

    def go_to(self, stage: Stage) -> None:
        """Jump to the first frame of ``stage``."""
        self._move(next(i for i, f in enumerate(self.frames) if f.stage is stage))

    # -- auto-play ----------------------------------------------------------------------------
    @property
    def seconds_per_frame(self) -> float:
        return TEMPOS[self.tempo]

    def set_tempo(self, tempo: str) -> None:
        if tempo not in TEMPOS:
            raise ValueError(f"tempo must be one of {', '.join(TEMPOS)}, not {tempo!r}")
        if tempo != self.tempo:
            self.tempo = tempo
            self.changed.emit()

    def play(self) -> None:
        """Play from here (from the start when at the end)."""
        if self.at_end:
            self.index = 0
        self.playing = True
        self.changed.emit()

    def pause(self) -> None:
        if self.playing:
            self.playing = False
            self.changed.emit()

    def tick(self) -> bool:
        """One auto-play beat: the next frame; stops at the last. True while still playing."""
        if not self.playing:
            return False
        if self.at_end:
            self.pause()
            return False
        self.index += 1
        if self.at_end:
            self.playing = False
        self.changed.emit()
        return self.playing

    # -- apply / undo -------------------------------------------------------------------------
    def apply_refusal(self) -> str | None:
        """Why :meth:`apply` would refuse now (None: it may apply)."""
        if self.applied is not None:
            return "This step is applied. Undo puts the previous weights back."
        return self._refusal(self.before, "apply the step")

    def undo_refusal(self) -> str | None:
        """Why :meth:`undo` would refuse now (None: it may undo)."""
        if self.applied is None:
            return "Nothing to undo: the step has not been applied."
        return self._refusal(self.applied, "undo")

    def _refusal(self, expected: TrainingSnapshot, what: str) -> str | None:
        state = self.session.state
        if state.is_active:
            return f"A training run is in progress: stop it (Esc) to {what}."
        if state is RunState.STOPPING:
            return f"The run is stopping: wait for it to end to {what}."
        if state is not RunState.READY:
            return f"The network is not ready ({state.text}): wait to {what}."
        if self.session.latest is not expected:
            return f"The network has changed since this explanation; explain a new step to {what}."
        return None

    @property
    def can_apply(self) -> bool:
        return self.apply_refusal() is None

    @property
    def can_undo(self) -> bool:
        return self.undo_refusal() is None

    def apply(self) -> bool:
        """Make the stepped weights the session's network: the same run, one step later. False when refused."""
        if not self.can_apply:
            return False
        snap = replace(self.before, network=self.preview.after, step=self.before.step + 1,
                       event=SnapshotEvent.TRAIN_END)
        p = self.preview
        message = (f"Applied one SGD step on {self.moment.current.name} (lr {_fmt_lr(self.learning_rate)}): "
                   f"its loss {p.loss_before:.4f} → {p.loss_after:.4f}")
        self.applied = snap  # before adopting: listeners of the session's events see can_undo already
        if not self.session.adopt_snapshot(snap, message):
            self.applied = None
            return False
        self.changed.emit()
        return True

    def undo(self) -> bool:
        """Put the weights from before :meth:`apply` back (the very same arrays). False when refused."""
        if not self.can_undo:
            return False
        applied, self.applied = self.applied, None
        if not self.session.adopt_snapshot(self.before, "Step undone: the previous weights are back"):
            self.applied = applied
            return False
        self.changed.emit()
        return True

    # -- the words ----------------------------------------------------------------------------
    def _build_frames(self) -> list[Frame]:
        g, m, p = self.gradient, self.moment, self.preview
        net = m.network
        names, sizes, n = net.layer_names, net.layer_sizes, len(net.layer_sizes)
        last = n - 1
        t = m.target
        pred = int(g.probabilities[0] >= 0.5) if net.is_binary else int(np.argmax(g.probabilities))
        words = _BinaryWords(net, g, p, t) if net.is_binary else None
        frames: list[Frame] = []

        def add(stage, lit, error_from, title, caption, parts):
            part = sum(1 for f in frames if f.stage is stage)
            frames.append(Frame(stage, part, parts, lit, error_from, title, caption))

        add(Stage.FORWARD, 0, None, "The input", f"{m.current.name} enters the network as {sizes[0]} numbers, "
            "one per pixel: 0 for the background, 1 for full ink.", n)
        for k in range(1, n):
            a = g.activations[k]
            if k < last:
                act = net.activations[k - 1]
                on = int(np.count_nonzero(a > 1e-6)) if act == "relu" else int(np.count_nonzero(np.abs(a) > 0.5))
                which = "are above zero" if act == "relu" else "are strongly on"
                caption = (f"Each of the {sizes[k]} neurons of {names[k]} adds up its inputs, each times its weight, "
                           f"plus its bias (z = w·a + b), then applies {act}: a = {act}(z). {on} of {sizes[k]} "
                           f"{which} for this digit.")
            elif words is not None:
                caption = words.output(pred)
            else:
                caption = (f"The {sizes[k]} outputs do the same, then softmax turns them into probabilities that add up "
                           f"to 1. The network says {pred}, with probability {a[pred]:.3f}.")
            add(Stage.FORWARD, k, None, names[k], caption, n)
        verdict = "right" if pred == t else f"wrong: it should be {t}"
        if words is not None:
            add(Stage.LOSS, last, None, words.loss_title(), words.loss(pred), 1)
        else:
            add(Stage.LOSS, last, None, f"How wrong: −log p({t})",
                f"The target is {t}. The loss is −log of the probability given to the right digit: "
                f"−log {g.probabilities[t]:.4f} = {g.loss:.4f}. It is 0 only for a network certain of {t}; "
                f"spreading its bets evenly (p = 0.1) gives {RANDOM_GUESS_LOSS:.3f}. The guess {pred} is {verdict}.", 1)
        for k in range(last, 0, -1):
            if k == last and words is not None:
                caption = words.output_error()
            elif k == last:
                up = -g.output_error[t]
                caption = (f"Start at the outputs. Each output's error is its probability minus what it should be "
                           f"(1 for {t}, 0 for the others). The arrows are the nudges this example asks for: "
                           f"{t} up by {up:.3f}, every other digit down by its own probability.")
            else:
                d = g.deltas[k - 1]
                idle = int(np.count_nonzero(d == 0))
                caption = (f"The error flows back into {names[k]} through the same weights: each neuron's error "
                           "δ = (its outgoing weights · the errors they lead to) × the slope of its activation. "
                           "Red neurons should be more active, blue ones less"
                           + (f"; {idle} that were off (ReLU at 0) get no error and learn nothing from this digit."
                              if idle else "."))
            add(Stage.BACKWARD, last, k, f"δ of {names[k]}", caption, last)
        biggest = max(float(np.max(np.abs(w))) for w in self.weight_changes)
        add(Stage.UPDATE, last, 1, f"Every weight moves by −lr × gradient (lr = {_fmt_lr(self.learning_rate)})",
            "Each weight's gradient is its input's activation × its neuron's error; the coloured connections show "
            "−gradient, the way each weight should move. This is plain SGD on this one example: every weight and "
            f"bias moves by −{_fmt_lr(self.learning_rate)} × its gradient; the largest change is {biggest:.2g}. "
            + optimizer_note(self.config), 1)
        change = p.loss_after - p.loss_before
        before, after, what = ((p.probabilities_before[0], p.probabilities_after[0], words.p) if words is not None
                               else (p.probabilities_before[t], p.probabilities_after[t], f"p({t})"))
        add(Stage.AFTER, last, 1, "this digit before and after",
            f"After the step, {what} goes from {before:.4f} to {after:.4f} "
            f"and the loss from {p.loss_before:.4f} to {p.loss_after:.4f} ({change:+.4f}). A training step averages "
            "this over a batch of digits, so each one moves the weights only a little. Apply this step to make "
            "these the network's weights (training can continue from them); Undo puts the old ones back.", 1)
        return frames


class _BinaryWords:
    """The explanation's captions for one sigmoid neuron ("is it a 6?") trained with binary cross-entropy."""

    def __init__(self, net, gradient, preview, target: int):
        self.net, self.g, self.target = net, gradient, int(target)
        self.p = f"P({'yes' if net.digit is None else net.digit})"
        self.answer = yes_no_text(bool(target), net.digit)

    def output(self, pred: int) -> str:
        p_yes = float(self.g.probabilities[0])
        return (f"The output neuron does the same, then the sigmoid squeezes z into a probability between 0 and 1: "
                f"{self.p} = {p_yes:.3f}. Above 0.5 means yes, so the network says "
                f"{yes_no_text(bool(pred), self.net.digit)}.")

    def loss_title(self) -> str:
        return f"How wrong: −log {self.p if self.target else '(1 − ' + self.p + ')'}"

    def loss(self, pred: int) -> str:
        p_yes = float(self.g.probabilities[0])
        chance = p_yes if self.target else 1.0 - p_yes
        verdict = "right" if pred == self.target else "wrong"
        return (f"The target is {self.answer}. Binary cross-entropy is −log of the probability given to the right "
                f"answer: −log {chance:.4f} = {self.g.loss:.4f}. It is 0 only for a neuron certain of the right answer; "
                f"a neuron that always says 0.5 scores {np.log(2):.3f}. The answer is {verdict}.")

    def output_error(self) -> str:
        error = float(self.g.output_error[0])
        return (f"Start at the output. Its error is its probability minus what it should be "
                f"({self.target} for {self.answer}): {num_text(error)}. The arrow is the nudge this example asks for: "
                f"{self.p} {'up' if self.target else 'down'} by {abs(error):.3f}.")


def num_text(value: float) -> str:
    return f"{value:+.3f}".replace("-", "\N{MINUS SIGN}")
