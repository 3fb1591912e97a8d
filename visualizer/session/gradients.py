"""What the gradient views show: the current input's target and its gradient, computed once per (network, input, target).

A test digit's target is its true label; a drawing or an image file has none until the user
says what it should be (:meth:`Gradients.choose_target`, the 0-9 buttons), and keeps that
choice while it is redrawn stroke by stroke. :class:`GradientMoment` is the value a view draws:
the network of the moment shown, the input, the target, the example's gradient and, on first
use, what one SGD step would do to it (the hover texts).

A backward pass costs as much as the weights: 0.1 ms at 784-16-16-10, tens of ms at
1024,1024,1024 with the step preview. Networks above :data:`BACKGROUND_WEIGHTS` are computed by a
background job (``session.jobs``), latest wins: :meth:`Gradients.moment` returns at once with
what is known (``pending``), ``ready`` tells when the current one has arrived, and a result that
is no longer what the views want is dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np

from visualizer.core.backprop import ExampleGradient, StepPreview, example_gradient, preview_step
from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ConfigError
from visualizer.core.mosaic import color_scale
from visualizer.core.network import Network
from visualizer.session.events import Event
from visualizer.session.inputs import CurrentInput

BINARY_NETWORK = ("This yes/no neuron's file does not say which digit it answers for, so no image has a target: "
                  "the view shows the forward pass only.")
BACKGROUND_WEIGHTS = 250_000  # bigger networks are differentiated off the GUI thread (128,128: 118k, sync)
BACKGROUND_KEPT = 2  # finished background moments kept (the one drawn and the one before)


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
    one plain SGD step at that rate would change). ``pending``: a big network's gradient is being
    computed in the background; ``gradient`` (and ``network``) are then an earlier moment's for
    the same input and target, or None.
    """

    network: Network
    current: CurrentInput
    target: int | None
    gradient: ExampleGradient | None
    learning_rate: float
    optimizer: str
    reason: str = ""
    pending: bool = False
    digit: int | None = None  # the digit the input is (its label or the user's choice); target is derived from it
    _preview: list = field(default_factory=list, repr=False)
    _forward: list = field(default_factory=list, repr=False)
    _tile_scale: list = field(default_factory=list, repr=False)

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
                                              gradient=self.gradient, example=self.gradient))
        return self._preview[0]

    @property
    def activations(self) -> tuple[np.ndarray, ...] | None:
        """Every layer for the input (the gradient's forward pass); None while a big network's is computed."""
        if self.gradient is not None:
            return self.gradient.activations
        if not self._forward:
            if self.pending:
                return None
            self._forward.append(tuple(self.network.forward(self.current.vector)))
        return self._forward[0]

    def tile_scale(self) -> float:
        """The colour range of the first-layer tiles, ``color_scale(-dL/dW1)`` (computed once)."""
        if not self._tile_scale:
            self._tile_scale.append(color_scale(self.gradient.weight_gradient(0)) if self.gradient is not None
                                    else 1e-6)
        return self._tile_scale[0]

    def neuron(self, layer: int, index: int) -> NeuronDetails | None:
        """Details of neuron ``index`` of layer ``layer`` (1 = first hidden .. L = output), or None."""
        g = self.gradient
        if g is None or not 1 <= layer <= len(g.deltas) or not 0 <= index < g.deltas[layer - 1].size:
            return None
        p = self.preview
        after = (p.activations_after or p.after.forward(self.current.vector))[layer][index]
        delta = float(g.deltas[layer - 1][index])
        return NeuronDetails(layer, index, float(g.activations[layer][index]),
                             float(g.pre_activations[layer - 1][index]), delta,
                             -self.learning_rate * delta, float(after))

    def edge(self, pair: int, source: int, target: int) -> EdgeDetails | None:
        """Details of the weight from neuron ``source`` of layer ``pair`` to ``target`` of layer ``pair + 1``."""
        g = self.gradient
        if g is None or not 0 <= pair < len(g.deltas):
            return None
        if not (0 <= source < g.activations[pair].size and 0 <= target < g.deltas[pair].size):
            return None
        grad = float(g.activations[pair][source] * g.deltas[pair][target])  # one entry of dL/dW = a x delta
        return EdgeDetails(pair, source, target, float(self.network.weights[pair][source, target]),
                           float(g.activations[pair][source]), float(g.deltas[pair][target]),
                           grad, -self.learning_rate * grad)


def big_network(network: Network) -> bool:
    """True when ``network``'s gradient is computed in the background (over BACKGROUND_WEIGHTS weights)."""
    return sum(w.size for w in network.weights) > BACKGROUND_WEIGHTS


def moment_parts(network: Network, vector: np.ndarray, target: int | None, learning_rate: float) -> tuple:
    """Everything a big network's moment needs, for a background job: ``(gradient, preview,
    activations, tile scale)`` (the first two None without a target)."""
    with np.errstate(all="ignore"):  # enormous imported weights may overflow; views check finiteness
        if target is None:
            return None, None, tuple(network.forward(vector)), 1e-6
        gradient = example_gradient(network, vector, target)
        preview = preview_step(network, vector, target, learning_rate, gradient=gradient, example=gradient)
        return gradient, preview, gradient.activations, color_scale(gradient.weight_gradient(0))


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
    ready()
        A big network's moment computed in the background has arrived and is still the one
        wanted: draw again (:meth:`moment` now returns it).
    """

    def __init__(self, session, *, cache_size: int = 4):
        self.session = session
        self.cache = GradientCache(cache_size)
        self._chosen: int | None = None  # what the user said the drawing or image should be
        self._chosen_for: CurrentInput | None = None
        self.target_changed = Event("target_changed")
        self.ready = Event("gradient_ready")
        # Background moments of big networks: the one wanted last, the one computing, the results.
        self._wanted: tuple | None = None
        self._running: tuple | None = None
        self._done: OrderedDict[tuple, GradientMoment] = OrderedDict()
        self._shown_last: GradientMoment | None = None  # the newest result, drawn while the next computes
        self.dropped = 0  # background results that arrived too late to be drawn
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

    def moment(self, snap=None, current: CurrentInput | None = None, *, wait: bool = False) -> GradientMoment | None:
        """What the gradient views draw for ``current`` (default: the input) under ``snap`` (default: the moment shown).

        For a big network (:func:`big_network`) the answer comes at once: the finished moment
        if it was computed, else a ``pending`` one while a background job computes it (``ready``
        follows). ``wait``: compute it here instead (an explicit action such as Explain one step).
        """
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
        lr, optimizer = float(config.learning_rate), config.optimizer
        if not big_network(net):
            gradient = None if target is None else self.cache.gradient(net, current.vector, target)
            return GradientMoment(net, current, target, gradient, lr, optimizer, reason, digit=digit)
        key = (id(net), id(current), target, lr)  # the objects are held with the key: ids stay unique
        if wait and self._computed(key, net, current) is None:
            self._finished(key, net, current, target, lr, optimizer, reason, moment_parts(net, current.vector, target, lr))
        if self._computed(key, net, current) is None:
            self._want(key, net, current, target, lr, optimizer, reason)
        done = self._computed(key, net, current)  # also when the jobs ran at once (tests, benches)
        if done is not None:
            return done
        last = self._shown_last
        if (last is not None and last.current is current and last.target == target
                and last.network.same_architecture(net)):
            return replace(last, pending=True)  # the same example under an earlier network, until this one is done
        return GradientMoment(net, current, None, None, lr, optimizer,
                              f"Computing what {current.name.lower()} asks of this network's "
                              f"{sum(w.size for w in net.weights):,} weights…", pending=True)

    # -- background moments -------------------------------------------------------------------
    def _computed(self, key, net, current) -> GradientMoment | None:
        done = self._done.get(key)
        return done if done is not None and done.network is net and done.current is current else None

    def _want(self, key, net, current, target, lr, optimizer, reason) -> None:
        self._wanted = (key, net, current, target, lr, optimizer, reason)
        if self._running is None:
            self._submit()

    def _submit(self) -> None:
        wanted = self._wanted
        self._running = wanted
        key, net, current, target, lr, optimizer, reason = wanted
        self.session.jobs.submit(moment_parts, net, current.vector, target, lr,
                                 on_success=lambda parts: self._on_parts(wanted, parts),
                                 on_error=lambda _exc: self._on_failed(wanted))

    def _on_parts(self, job: tuple, parts: tuple) -> None:
        self._running = None
        if self._wanted is not None and job[0] == self._wanted[0]:
            self._finished(*job, parts)
            self._wanted = None
            self.ready.emit()
        else:
            # Another network or input is wanted by now: not drawn as current. The same example
            # under an earlier network still replaces the placeholder of a pending moment, so a
            # run whose snapshots outpace the jobs shows its gradient (late) rather than nothing.
            self.dropped += 1
            wanted = self._wanted
            if wanted is not None and job[2] is wanted[2] and job[3] == wanted[3] and job[4] == wanted[4]:
                self._finished(*job, parts)
            if wanted is not None:
                self._submit()

    def _on_failed(self, job: tuple) -> None:
        self._running = None
        if self._wanted is not None and job[0] == self._wanted[0]:
            self._wanted = None  # asked again on the next draw; a newer wish is computed now
        if self._wanted is not None:
            self._submit()

    def _finished(self, key, net, current, target, lr, optimizer, reason, parts) -> GradientMoment:
        gradient, preview, activations, scale = parts
        moment = GradientMoment(net, current, target, gradient, lr, optimizer, reason,
                                _preview=[preview] if preview is not None else [],
                                _forward=[activations], _tile_scale=[scale])
        self._done[key] = moment
        while len(self._done) > BACKGROUND_KEPT:  # each holds a big network and its step's: ~25 MB at 1024,1024,1024
            self._done.popitem(last=False)
        self._shown_last = moment
        return moment
