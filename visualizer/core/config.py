"""TrainingConfig: everything that defines a training run, validated in one place."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from visualizer.core.errors import ConfigError

INPUT_SIZE = 784
DATA_ENV_VAR = "NNVIZ_DATA"  # names a dataset for the window and the CLI
NUM_CLASSES = 10
ACTIVATIONS = ("relu", "sigmoid", "tanh")
OPTIMIZERS = ("adam", "sgd")
DEFAULT_LR = {"adam": 1e-3, "sgd": 0.01}
MAX_TRAIN_SUBSET = 10_000_000  # a training subset larger than any dataset nnviz reads is a typo


@dataclass(frozen=True)
class TrainingConfig:
    """Hyperparameters of one run. Same config + same seed gives the same weights."""

    hidden: tuple[int, ...] = (16, 16)
    activation: str = "relu"
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.9  # used by sgd only
    batch_size: int = 32
    epochs: int = 5
    validation_split: float = 0.1  # used only when the dataset has no test set
    seed: int = 0
    one_vs_rest: int | None = None  # None: digits 0-9 (10 softmax outputs); a digit: one sigmoid output "is it d?"
    train_subset: int | None = None  # train on only this many training images (None: all of them)

    def __post_init__(self):
        try:
            self._validate()
        except (TypeError, ValueError) as exc:
            # e.g. learning_rate="fast" from a settings file: still a ConfigError, not a traceback.
            raise ConfigError(f"training settings must be numbers: {exc}") from None

    def _validate(self):
        try:
            object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        except (TypeError, ValueError):
            raise ConfigError(f"hidden layers must be whole numbers, e.g. 16,16 (got {self.hidden!r})") from None
        if len(self.hidden) > 6:
            raise ConfigError("hidden layers: give 0 to 6 sizes, e.g. 16,16 (none: softmax regression)")
        if any(h < 1 or h > 1024 for h in self.hidden):
            raise ConfigError("hidden layer sizes must be between 1 and 1024")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"activation must be one of {', '.join(ACTIVATIONS)}, not {self.activation!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {self.optimizer!r}")
        if not (0 < float(self.learning_rate) <= 10):
            raise ConfigError("learning rate must be greater than 0 and at most 10")
        if not (0 <= float(self.momentum) < 1):
            raise ConfigError("momentum must be in [0, 1)")
        if not (1 <= int(self.batch_size) <= 65536):
            raise ConfigError("batch size must be between 1 and 65536")
        if not (1 <= int(self.epochs) <= 10000):
            raise ConfigError("epochs must be between 1 and 10000")
        if not (0 < float(self.validation_split) < 1):
            raise ConfigError("validation split must be between 0 and 1")
        if not (0 <= int(self.seed) < 2**31):
            raise ConfigError("seed must be between 0 and 2147483647")
        if self.one_vs_rest is not None:
            if isinstance(self.one_vs_rest, bool) or int(self.one_vs_rest) != self.one_vs_rest:
                raise ConfigError(f"one-vs-rest digit must be a whole number 0-9 (got {self.one_vs_rest!r})")
            object.__setattr__(self, "one_vs_rest", int(self.one_vs_rest))
            if not 0 <= self.one_vs_rest <= 9:
                raise ConfigError(f"one-vs-rest digit must be between 0 and 9 (got {self.one_vs_rest})")
        if self.train_subset is not None:
            object.__setattr__(self, "train_subset", int(self.train_subset))
            if not 1 <= self.train_subset <= MAX_TRAIN_SUBSET:
                raise ConfigError(f"training subset size must be between 1 and {MAX_TRAIN_SUBSET:,} images "
                                  f"(got {self.train_subset:,})")

    @property
    def outputs(self) -> int:
        """Output neurons: 10 digits, or 1 ("is it this digit?") for one digit vs the rest."""
        return NUM_CLASSES if self.one_vs_rest is None else 1

    @property
    def task(self) -> str:
        """What the network answers, in words: "digits 0–9" or "is it a 6?"."""
        return "digits 0–9" if self.one_vs_rest is None else task_question(self.one_vs_rest)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """All layer widths, input to output, e.g. (784, 16, 16, 10) or (784, 1) for one neuron."""
        return (INPUT_SIZE, *self.hidden, self.outputs)

    @property
    def parameter_count(self) -> int:
        """Weights plus biases, e.g. 13,002 for 784-16-16-10."""
        s = self.layer_sizes
        return sum(s[i] * s[i + 1] + s[i + 1] for i in range(len(s) - 1))

    def same_architecture(self, other: TrainingConfig) -> bool:
        """True when weights of one config fit the other (sizes, activation and task)."""
        return (self.hidden == other.hidden and self.activation == other.activation
                and self.one_vs_rest == other.one_vs_rest)

    def with_changes(self, **changes) -> TrainingConfig:
        """A validated copy with some fields replaced."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """The settings as JSON-ready plain values."""
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d


def task_question(digit: int) -> str:
    """The one-neuron network's question, e.g. "is it a 6?" (an 8: "is it an 8?")."""
    return f"is it {_article(digit)} {int(digit)}?"


def _article(digit: int) -> str:
    return "an" if int(digit) == 8 else "a"


def yes_no_text(yes: bool, digit: int | None) -> str:
    """A one-neuron network's answer in words: "yes, a 6" / "no, not a 6" ("yes" / "no" for an unknown digit)."""
    if digit is None:
        return "yes" if yes else "no"
    return f"yes, {_article(digit)} {int(digit)}" if yes else f"no, not {_article(digit)} {int(digit)}"


def class_name(index: int, digit: int | None) -> str:
    """The name of class ``index`` of a one-neuron network: 1 is "6" (or "yes"), 0 is "not 6" (or "no")."""
    if digit is None:
        return "yes" if index else "no"
    return str(int(digit)) if index else f"not {int(digit)}"


def answer_text(p_yes: float, digit: int | None) -> str:
    """"P(6) = 0.93 — yes, a 6": a one-neuron network's output and what it means (0.5 is the threshold)."""
    name = "yes" if digit is None else str(int(digit))
    return f"P({name}) = {float(p_yes):.2f} \N{EM DASH} {yes_no_text(float(p_yes) >= 0.5, digit)}"


NO_HIDDEN_WORDS = ("", "none")  # what the controls and the CLI accept for "no hidden layer"


def parse_hidden(text: str) -> tuple[int, ...]:
    """Parse '16,16' (or '16 16') into (16, 16), '' or 'none' into () (no hidden layer); raise ConfigError on anything else."""
    if text.strip().lower() in NO_HIDDEN_WORDS:
        return ()
    parts = [p for p in text.replace(" ", ",").split(",") if p]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(f"hidden layers must be whole numbers separated by commas, e.g. 16,16 (got {text!r})") from None
    if not sizes:
        raise ConfigError(f"hidden layers: give sizes such as 16,16, or none (got {text!r})")
    return sizes
