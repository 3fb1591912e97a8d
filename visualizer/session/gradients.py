"""What the gradient views show: the current input's target and its gradient, computed once per (network, input, target).

A test digit's target is its true label; a drawing or an image file has none until the user
says what it should be (:meth:`Gradients.choose_target`, the 0-9 buttons), and keeps that
choice while it is redrawn stroke by stroke. :class:`GradientMoment` is the value a view draws:
the network of the moment shown, the input, the target, the example's gradient and, on first
use, what one SGD step would do to it (the hover texts).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from visualizer.core.backprop import ExampleGradient, StepPreview, example_gradient, preview_step
from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ConfigError
from visualizer.core.network import Network
from visualizer.session.events import Event
from visualizer.session.inputs import CurrentInput

BINARY_NETWORK = ("This yes/no neuron's file does not say which digit it answers for, so no image has a target: "
                  "the view shows the forward pass only.")


def chosen_config(session) -> TrainingConfig:
    """The settings the user has entered (what the next step would use), else those of the current weights."""
    try:
        return session.config_source()
    except ConfigError:
        return session.model_config or TrainingConfig()


@dataclass(frozen=True)
class NeuronDetails:
    """One neuron's part in one example's backward pass (layer 1..L), for hover texts.

    ``delta`` is dL/dz (also dL/db); ``bias_change`` is what one SGD step does to the bias
    (``-lr * delta``); ``activation_after`` the neuron's activation for the same input after that step.
    """

    layer: int
    index: int
    activation: float
    pre_activation: float
    delta: float
    bias_change: float
    activation_after: float


@dataclass(frozen=True)
class EdgeDetails:
    """One weight ``weights[pair][source, target]`` in one example's backward pass.

    ``gradient`` = dL/dw = source activation x target delta; ``change`` = ``-lr * gradient``.
    """

    pair: int
    source: int
    target: int
    weight: float
    source_activation: float
    target_delta: float
    gradient: float
    change: float


@dataclass(frozen=True, eq=False)
class GradientMoment:
    """One input under one network with its target: what the gradient views draw.

    ``target`` is None when the input has no target yet (``reason`` says why; ``gradient`` is
    then None). ``learning_rate`` and ``optimizer`` are the chosen settings (hover texts say what
    one plain SGD step at that rate would change).
    """

    network: Network
    current: CurrentInput
    target: int | None
    gradient: ExampleGradient | None
    learning_rate: float
    optimizer: str
    reason: str = ""
    digit: int | None = None  # the digit the input is (its label or the user's choice); target is derived from it
    _preview: list = field(default_factory=list, repr=False)

    @property
    def needs_target(self) -> bool:
        return self.gradient is None

    @property
    def preview(self) -> StepPreview | None:
        """One plain SGD step on this example at ``learning_rate`` (computed on first use, ~0.2 ms)."""
        if self.gradient is None:
            return None
        if not self._preview:
            self._preview.append(preview_step(self.network, self.current.vector, self.target, self.learning_rate,
                                              gradient=self.gradient))
        return self._preview[0]

    def neuron(self, layer: int, index: int) -> NeuronDetails | None:
        """Details of neuron ``index`` of layer ``layer`` (1 = first hidden .. L = output), or None."""
        g = self.gradient
        if g is None or not 1 <= layer <= len(g.deltas) or not 0 <= index < g.deltas[layer - 1].size:
            return None
        after = self.preview.after.forward(self.current.vector)[layer][index]
        delta = float(g.deltas[layer - 1][index])
        return NeuronDetails(layer, index, float(g.activations[layer][index]),
                             float(g.pre_activations[layer - 1][index]), delta,
                             -self.learning_rate * delta, float(after))

    def edge(self, pair: int, source: int, target: int) -> EdgeDetails | None:
        """Details of the weight from neuron ``source`` of layer ``pair`` to ``target`` of layer ``pair + 1``."""
        g = self.gradient
        if g is None or not 0 <= pair < len(g.weight_gradients):
            return None
        shape = g.weight_gradients[pair].shape
        if not (0 <= source < shape[0] and 0 <= target < shape[1]):
            return None
        grad = float(g.weight_gradients[pair][source, target])
        return EdgeDetails(pair, source, target, float(self.network.weights[pair][source, target]),
                           float(g.activations[pair][source]), float(g.deltas[pair][target]),
                           grad, -self.learning_rate * grad)


class GradientCache:
    """Latest-wins memo of :class:`ExampleGradient` by (network identity, input pixels, target).

    As :class:`visualizer.session.inputs.AnalysisCache`: a new snapshot's network replaces the old
    entry; the views of one frame share it. ``computed`` counts backward passes actually run.
    """

    def __init__(self, size: int = 4):
        self._size = size
        self._entries: OrderedDict[tuple, tuple[Network, np.ndarray, ExampleGradient]] = OrderedDict()
        self.computed = 0

    def gradient(self, network: Network, vector: np.ndarray, target: int) -> ExampleGradient:
        x = np.asarray(vector, dtype=np.float32).reshape(-1)
        key = (id(network), hash(x.tobytes()), int(target))
        hit = self._entries.get(key)
        if hit is not None and hit[0] is network and np.array_equal(hit[1], x):
            self._entries.move_to_end(key)
            return hit[2]
        with np.errstate(all="ignore"):  # enormous imported weights may overflow; views check finiteness
            result = example_gradient(network, x, target)
        self.computed += 1
        self._entries[key] = (network, x.copy(), result)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return result

    def clear(self) -> None:
        self._entries.clear()


class Gradients:
    """The target of the session's current input and its gradient, shared by every gradient view.

    Parameters
    ----------
    session
        The :class:`visualizer.session.Session` whose input and moment shown are explained.

    Events
    ------
    target_changed(int | None)
        The target of the current input changed (a test digit's label, or the user's choice).
    """

    def __init__(self, session, *, cache_size: int = 4):
        self.session = session
        self.cache = GradientCache(cache_size)
        self._chosen: int | None = None  # what the user said the drawing or image should be
        self._chosen_for: CurrentInput | None = None
        self.target_changed = Event("target_changed")
        session.input_changed.connect(self._on_input_changed)
        self._announced = self.target()  # the target target_changed last reported

    # -- the target ---------------------------------------------------------------------------
    def _announce(self) -> None:
        target = self.target()
        if target != self._announced:
            self._announced = target
            self.target_changed.emit(target)

    def _on_input_changed(self, current: CurrentInput | None) -> None:
        old = self._chosen_for
        # A drawing keeps its chosen target while it is redrawn; anything else starts without one.
        keeps = (current is not None and old is not None and current.label is None
                 and current.source is old.source and current.name == old.name)
        if keeps:
            self._chosen_for = current
        else:
            self._chosen = self._chosen_for = None
        self._announce()

    def target(self, current: CurrentInput | None = None) -> int | None:
        """The digit ``current`` (default: the session's input) should be, or None when it is not known yet."""
        current = self.session.input if current is None else current
        if current is None:
            return None
        if current.label is not None:
            return int(current.label)
        return self._chosen if current is self._chosen_for else None

    def needs_target(self) -> bool:
        """True when the input is a drawing or an image and the user has not said what it should be."""
        current = self.session.input
        return current is not None and current.label is None and self.target() is None

    def choose_target(self, digit: int | None) -> None:
        """Say what the current drawing or image should be (0-9; None forgets it). A test digit keeps its label."""
        current = self.session.input
        if current is None or current.label is not None:
            return
        if digit is not None and not (0 <= int(digit) <= 9):
            raise ValueError(f"the target must be a digit between 0 and 9, got {digit!r}")
        self._chosen = None if digit is None else int(digit)
        self._chosen_for = None if digit is None else current
        self._announce()

    # -- the gradient -------------------------------------------------------------------------
    def gradient(self, network: Network, vector: np.ndarray, target: int) -> ExampleGradient:
        """The shared gradient of any (network, input, target), e.g. one image of a batch."""
        return self.cache.gradient(network, vector, target)

    def moment(self, snap=None, current: CurrentInput | None = None) -> GradientMoment | None:
        """What the gradient views draw for ``current`` (default: the input) under ``snap`` (default: the moment shown)."""
        snap = self.session.shown if snap is None else snap
        current = self.session.input if current is None else current
        if snap is None or current is None:
            return None
        net = snap.network
        config = chosen_config(self.session)
        target, reason = self.target(current), ""
        digit = target
        if net.is_binary and net.digit is None:
            target, reason = None, BINARY_NETWORK
        elif target is None:
            reason = f"{current.name} needs a target: which digit should it be?"
        elif net.is_binary:  # one neuron: the target is its answer, yes (1) for its digit, no (0) for any other
            target = int(target == net.digit)
        gradient = None if target is None else self.cache.gradient(net, current.vector, target)
        return GradientMoment(net, current, target, gradient, float(config.learning_rate), config.optimizer, reason,
                              digit)
