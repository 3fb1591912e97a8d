"""Plain-language explanations of what each part of the window shows: the panels' "?" and the guided tour.

One home for the words, Qt-free so they can be tested and reused: a dock's "?" button shows its
:class:`Explanation`, Help ▸ "What am I looking at?" walks through :func:`tour_steps`, and the
network view's legend says what a neuron's shading means (:func:`shading_legend`). The verdict a
view prints beside a prediction ("✓ right", "but only a guess") comes from :func:`verdict` so every
view calls the same answer a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

NETWORK = "Network"  # the central network view (not a dock)
TIMELINE = "Timeline"  # the timeline bar along the bottom (a toolbar, not a dock)


@dataclass(frozen=True)
class Explanation:
    """What one part of the window shows.

    Attributes
    ----------
    title
        The panel's title as the window shows it ("Draw", "Weights", ...).
    subject
        The few words a caption starts with ("the network itself").
    text
        Two to five plain sentences, no jargon left unexplained.
    terms
        The ideas it explains (lower case), e.g. ``("neuron", "activation")``.
    """

    title: str
    subject: str
    text: str
    terms: tuple[str, ...]

    def caption(self) -> str:
        """The tour's caption: the title, what it is, then the text."""
        return f"{self.title} — {self.subject}. {self.text}"


# The network view's text, without what its outputs do (that depends on the network shown).
_NETWORK_TEXT = (
    "Each circle is a neuron; a column of them is a layer. A neuron's activation is the number it "
    "passes on: it adds up its inputs, each times a weight (one per line), adds its own bias, and "
    "squashes the sum. A stronger shade means a larger activation (see the key below the view); with "
    "tanh, negative activations are shaded blue. Lines are weights: red ones push the next neuron up, "
    "blue ones push it down. ")
_ANY_OUTPUT = (
    "Ten outputs (one per digit) go through softmax, which turns them into probabilities that add up to "
    "1; one \u201cis it a 6?\u201d output goes through a sigmoid, the probability of yes. The ringed "
    "output is the answer.")


_EXPLANATIONS = (
    Explanation(
        NETWORK, "the network itself",
        _NETWORK_TEXT + _ANY_OUTPUT,
        ("neuron", "activation", "weight", "bias", "softmax", "sigmoid", "layer"),
    ),
    Explanation(
        "Training", "the settings of the next run and its buttons",
        "The fields choose the network's shape (how many neurons in each hidden layer), its activation "
        "function and how it learns: the learning rate is the size of each correction, a batch is how "
        "many images are looked at before each correction, an epoch is one pass over all training "
        "images. Start trains, Step trains one batch, and the box below says what the network makes of "
        "the digit shown.",
        ("learning rate", "batch", "epoch", "activation"),
    ),
    Explanation(
        "Draw", "your own digit and the network's answer",
        "Draw a digit with the mouse. It is shrunk to 28×28 pixels and centred like the training images "
        "(the preprocessing steps), then fed to the network. The bars are the softmax output: the "
        "probability of each digit; the tallest is the answer (a one-output \u201cis it a 6?\u201d network "
        "has one bar, its sigmoid's probability of yes). The coloured picture shows which pixels pushed the "
        "answer up (red) or down (blue).",
        ("softmax", "probability", "pixel", "preprocessing"),
    ),
    Explanation(
        "Test set", "digits the network never trained on",
        "Step through the test set: images the network never learns from, so they show how well it "
        "really does (its accuracy: the share it gets right). The confusion matrix counts, for each true digit (row), what the network answered "
        "(column): the diagonal is right, everything else is a mistake. Click a cell to see its digits.",
        ("test set", "accuracy", "confusion matrix", "mistake"),
    ),
    Explanation(
        "Neurons", "what each hidden neuron has learned to look for",
        "For every neuron of a hidden layer and every digit, its average activation (how strongly it "
        "fires): a neuron that lights up mostly for 0s has learned part of what a 0 looks like. A dead "
        "neuron never fires: it passes nothing on and no longer learns. The Ideas tab asks the network what "
        "it thinks a digit looks like, and how to fool it.",
        ("neuron", "activation", "dead neuron", "hidden layer"),
    ),
    Explanation(
        "Gradients", "how learning corrects the weights",
        "The loss measures how wrong the answer is: −log of the probability given to the right answer. "
        "The gradient says, for every weight and bias, which way and how much to nudge it to lower the "
        "loss; backpropagation computes it from the output back to the input. Training nudges every "
        "weight a small step (the learning rate) against its gradient.",
        ("gradient", "loss", "backpropagation", "weight", "bias"),
    ),
    Explanation(
        "Weights", "every weight and bias of the network as colours",
        "Each small square is one hidden neuron's 784 incoming weights laid out as a 28×28 picture: red "
        "pixels make the neuron fire, blue ones hold it back, so the picture is the pattern it looks "
        "for. The other maps show the weights between later layers and the biases. Watch them form "
        "as training runs.",
        ("weight", "bias", "neuron", "pattern"),
    ),
    Explanation(
        "Curves", "how training is going, epoch by epoch",
        "The loss (how wrong the network is, lower is better) and the accuracy (the share of digits it "
        "gets right) against epochs. Training figures come from the batches it learns from; validation "
        "figures from images it does not learn from. When validation gets worse while training keeps "
        "improving, the network is memorising instead of learning: overfitting.",
        ("loss", "accuracy", "epoch", "validation", "overfitting"),
    ),
    Explanation(
        TIMELINE, "the whole run, recorded",
        "The timeline records every batch of the run. The strip shows the loss over time with a tick "
        "at each epoch; click or drag on it to go back to any moment, and every view shows the network "
        "as it was then. Play is a replay of the run; Live goes back to the newest weights.",
        ("timeline", "replay", "moment", "loss"),
    ),
)

EXPLANATIONS: dict[str, Explanation] = {e.title: e for e in _EXPLANATIONS}
# The tour goes the way a lesson does: the network, what it is trained with, then what it learned.
TOUR_ORDER = (NETWORK, "Training", "Draw", "Test set", "Weights", "Curves", "Neurons", "Gradients", TIMELINE)


def explanation(title: str, network=None) -> Explanation | None:
    """The explanation of the panel titled ``title`` (None for a panel nnviz does not know).

    ``network`` (a :class:`visualizer.core.network.Network`, or None when there is none yet) makes
    the network view's text say what its own outputs do: ten softmax outputs, or one sigmoid
    neuron answering "is it a 6?". Without it the text covers both.
    """
    e = EXPLANATIONS.get(title)
    if e is None or title != NETWORK or network is None:
        return e
    return network_explanation(network)


def network_explanation(network) -> Explanation:
    """The network view's explanation for this network: what its outputs do, in its own words."""
    sizes = tuple(network.layer_sizes)
    if getattr(network, "is_binary", False):
        question = getattr(network, "question", "yes or no?")
        output = (f"The one output goes through a sigmoid, which turns its sum into the probability of "
                  f"yes to \u201c{question}\u201d: above 0.5 the answer is yes, and the ring is its answer.")
        if len(sizes) == 2:
            output += " With no hidden layer it is a single neuron: each pixel's weight goes straight to it."
        terms = ("neuron", "activation", "weight", "bias", "sigmoid", "layer")
    else:
        output = (f"The {sizes[-1]} outputs (one per digit) go through softmax, which turns them into "
                  "probabilities that add up to 1; the ringed one is the answer.")
        terms = ("neuron", "activation", "weight", "bias", "softmax", "layer")
    return Explanation(NETWORK, "the network itself", _NETWORK_TEXT + output, terms)


def tour_steps(shown: Iterable[str], network=None) -> list[Explanation]:
    """The tour over the parts of the window that are shown, in :data:`TOUR_ORDER`; ``network`` as
    for :func:`explanation`.

    Parts the tour does not know (a panel added by a plugin) come last, in the order given, with a
    generic caption; parts not in ``shown`` (closed docks, a hidden timeline) are skipped.
    """
    shown = list(dict.fromkeys(shown))
    known = [explanation(t, network) for t in TOUR_ORDER if t in shown]
    extra = [Explanation(t, "a panel", f"The {t} panel.", ()) for t in shown if t not in EXPLANATIONS]
    return known + extra


# -- the neuron shading legend ------------------------------------------------------------------

def shading_legend() -> tuple[str, str, str]:
    """Words for the neuron-shading key: (left end, right end, tooltip).

    Hidden neurons are shaded by their activation divided by the largest magnitude in their layer;
    outputs by their probability. Activations below zero (tanh) take the negative (blue) end.
    """
    tip = ("Neuron shading: how active each neuron is for the digit shown. Hidden layers: activation ÷ the "
           "layer's largest |activation| (the most active neuron of its layer is the darkest in a light "
           "theme, the brightest in a dark one); outputs: the probability itself. Negative activations "
           "(tanh) are blue; zero is the background's shade.")
    return "activation  −", "+", tip


# -- verdicts -----------------------------------------------------------------------------------


def guess_threshold(num_classes: int = 10) -> float:
    """Confidence under which a right answer is called a guess: twice chance, at most chance + 0.1.

    Ten digits: 0.2 (an untrained network is right one time in ten, at ~12%); yes/no: 0.6.
    """
    chance = 1.0 / max(int(num_classes), 2)
    return min(2 * chance, chance + 0.1)


@dataclass(frozen=True)
class Verdict:
    """Whether a prediction is right and whether it is only a guess, with the words to show."""

    right: bool
    guess: bool
    mark: str  # "✓" (right, a guess too) or "✗"
    words: str  # "right", "right, but a guess", "wrong"
    note: str  # the sentence after it ("" when there is nothing to add)


def verdict(predicted: int, true_label: int, confidence: float, num_classes: int = 10) -> Verdict:
    """The verdict on one prediction held with ``confidence`` (the winner's probability)."""
    right = int(predicted) == int(true_label)
    chance = 1.0 / max(int(num_classes), 2)
    guess = right and confidence < guess_threshold(num_classes)
    if guess:
        note = f"only a guess: {confidence:.0%} is close to the {chance:.0%} of picking at random"
        return Verdict(True, True, "✓", "right, but a guess", note)
    return Verdict(right, False, "✓" if right else "✗", "right" if right else "wrong", "")
