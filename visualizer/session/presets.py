"""Presets: the networks of the tutorials nnviz follows, and the failures worth showing, as training configs."""

from __future__ import annotations

from dataclasses import dataclass, field

from visualizer.core.config import TrainingConfig, task_question


@dataclass(frozen=True)
class Preset:
    """One named training setup.

    Attributes
    ----------
    key
        Stable identifier (settings, tests).
    name
        What the menu and the combo show.
    follows
        What it follows or shows, for the tooltip and the status line.
    changes
        The TrainingConfig fields it sets; the rest take TrainingConfig's defaults.
    """

    key: str
    name: str
    follows: str
    changes: dict = field(default_factory=dict)

    def config(self, *, digit: int | None = None, seed: int = 0) -> TrainingConfig:
        """The validated config of this preset (``digit`` replaces a one-vs-rest preset's digit)."""
        changes = dict(self.changes, seed=seed)
        if digit is not None and changes.get("one_vs_rest") is not None:
            changes["one_vs_rest"] = digit
        return TrainingConfig(**changes)

    @property
    def digit_selectable(self) -> bool:
        """True when the preset asks "is it a d?" and the digit may be chosen."""
        return self.changes.get("one_vs_rest") is not None


PRESETS: tuple[Preset, ...] = (
    Preset("keras", "Keras tutorial", "the Keras MNIST tutorial: 784-16-16-10 ReLU, SGD lr 0.01, batch 32, 5 epochs",
           dict(hidden=(16, 16), activation="relu", optimizer="sgd", learning_rate=0.01,
                batch_size=32, epochs=5)),
    Preset("one_hidden", "One hidden layer", "the one-hidden-layer variant: 784-32-10 ReLU, Adam, batch 32, 5 epochs",
           dict(hidden=(32,), activation="relu", optimizer="adam", learning_rate=1e-3, batch_size=32, epochs=5)),
    Preset("3b1b", "3Blue1Brown", "3Blue1Brown's explanation: 784-16-16-10 with sigmoid neurons",
           dict(hidden=(16, 16), activation="sigmoid", optimizer="adam", learning_rate=3e-3, batch_size=32, epochs=5)),
    Preset("no_hidden", "No hidden layer", "softmax regression: 784-10, each digit one weighted sum of the pixels",
           dict(hidden=(), optimizer="adam", learning_rate=1e-3, batch_size=32, epochs=5)),
    Preset("one_neuron", "One neuron: is it a 6?",
           "the single-neuron article: one sigmoid neuron answers 'is it a 6?' (binary cross-entropy, 10 epochs)",
           # 10 epochs: a lone logistic neuron still gains from 5 to 10 (96.7% -> 97.2% balanced accuracy
           # on the test set for a 6), then levels off.
           dict(hidden=(), one_vs_rest=6, optimizer="adam", learning_rate=1e-3, batch_size=32, epochs=10)),
    Preset("lr_too_high", "Learning rate too high", "a failure: SGD at lr 3 — the ReLUs die and accuracy stalls",
           dict(hidden=(16, 16), activation="relu", optimizer="sgd", learning_rate=3.0,
                batch_size=32, epochs=3)),
    Preset("too_narrow", "Too narrow", "a failure: a 2-neuron bottleneck (784-16-2-10) cannot keep ten digits apart",
           dict(hidden=(16, 2), activation="relu", optimizer="adam", learning_rate=1e-3, batch_size=32, epochs=5)),
    Preset("overfitting", "Overfitting", "a failure: 500 training images for 100 epochs — validation loss climbs",
           dict(hidden=(64, 64), activation="relu", optimizer="adam", learning_rate=1e-3, batch_size=32,
                epochs=100, train_subset=500)),
)


def preset(key: str) -> Preset:
    """The preset with ``key``; KeyError for an unknown one."""
    for p in PRESETS:
        if p.key == key:
            return p
    raise KeyError(key)


def preset_name(p: Preset, digit: int | None = None) -> str:
    """The name shown, with the chosen digit for the one-neuron preset ("One neuron: is it a 3?")."""
    if p.digit_selectable and digit is not None:
        return f"One neuron: {task_question(digit)}"
    return p.name


def matching_preset(config: TrainingConfig) -> Preset | None:
    """The preset whose config equals ``config`` (any digit and seed), or None."""
    for p in PRESETS:
        if p.config(digit=config.one_vs_rest, seed=config.seed) == config:
            return p
    return None
