"""The network's idea of a digit: dreams, noise and fooling, computed in the background for the views.

:class:`IdeasModel` asks :mod:`visualizer.core.dream` for "What does it think a 3 looks like?"
(activation maximization of an output or hidden neuron), "Feed noise" (random pixels become the
network's input, with its answer and why it is confident) and "Fool it" (the smallest change to
the current input that makes the network answer another digit). Each kind runs latest-wins
through the session's jobs; every answer can be sent to the pad as the network's input.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from visualizer.core.dream import Dream, FoolResult, NoiseAnswer, dream_digit, feed_noise, fool, maximize_activation
from visualizer.core.snapshot import TrainingSnapshot
from visualizer.session.events import Event
from visualizer.session.inputs import CurrentInput, InputSource
from visualizer.session.latest import LatestWins
from visualizer.session.messages import describe_error
from visualizer.session.selection import NeuronRef


class IdeaKind(Enum):
    """Which question an :class:`Idea` answers."""

    DREAM = "dream"
    NOISE = "noise"
    FOOL = "fool"


@dataclass(frozen=True, eq=False)
class Idea:
    """One answer: the question's kind, the network asked, what core returned, and a name for the pad."""

    kind: IdeaKind
    snapshot: TrainingSnapshot
    value: Dream | NoiseAnswer | FoolResult
    name: str  # "Dream of 3", "Random noise", "Test digit #4 fooled into 5": the input's name on the pad
    neuron: NeuronRef | None = None  # the neuron dreamed of

    @property
    def image(self) -> np.ndarray:
        """The 28x28 image in [0, 1] that answers the question (the dream, the noise, the fooled input)."""
        return self.value.image


def _noise(network, seed: int) -> NoiseAnswer:
    return feed_noise(network, seed=seed)


def neuron_text(network, ref: NeuronRef) -> str:
    """'digit 3' for an output of a digit network, 'Hidden 1 · neuron 5' otherwise (0-based, as the views number them)."""
    last = len(network.layer_sizes) - 1
    if ref.layer == last:
        return ("“yes”" if ref.index else "“no”") if network.is_binary else f"digit {ref.index}"
    return f"{network.layer_names[ref.layer]} · neuron {ref.index}"


class IdeasModel:
    """Dreams, noise and fooling for the network shown, each kind one job at a time, newest wins.

    Attributes
    ----------
    latest : dict[IdeaKind, Idea]
        The newest answer of each kind.
    ready : Event
        ``(Idea)`` when an answer arrives.
    failed : Event
        ``(IdeaKind, message)``: a question could not be asked (no network, no input) or raised.
    busy_changed : Event
        ``(IdeaKind, bool)``.
    """

    def __init__(self, session, *, seed: int | None = None):
        self.session = session
        self.latest: dict[IdeaKind, Idea] = {}
        self.ready = Event("idea_ready")
        self.failed = Event("idea_failed")
        self.busy_changed = Event("idea_busy_changed")
        self._rng = np.random.default_rng(seed)
        self._workers = {}
        for kind in IdeaKind:
            worker = LatestWins(session.jobs, on_result=self._on_result,
                                on_error=lambda tag, exc, k=kind: self.failed.emit(k, describe_error(exc)))
            worker.busy_changed.connect(lambda busy, k=kind: self.busy_changed.emit(k, busy))
            self._workers[kind] = worker

    def close(self) -> None:
        """No more questions; answers still being computed are not delivered (the window is closing)."""
        for worker in self._workers.values():
            worker.close()

    def busy(self, kind: IdeaKind) -> bool:
        return self._workers[kind].busy

    def _snapshot(self, kind: IdeaKind) -> TrainingSnapshot | None:
        snap = self.session.shown
        if snap is None:
            self.failed.emit(kind, "There is no network yet.")
        return snap

    def dream(self, ref: NeuronRef) -> bool:
        """"What does it think ``ref`` looks like?": the input that excites an output or hidden neuron most."""
        snap = self._snapshot(IdeaKind.DREAM)
        if snap is None:
            return False
        net = snap.network
        last = len(net.layer_sizes) - 1
        if not (1 <= ref.layer <= last and ref.exists_in(net.layer_sizes)):
            self.failed.emit(IdeaKind.DREAM, "Pick an output or a hidden neuron to dream of.")
            return False
        what = neuron_text(net, ref)
        name = f"Dream of {ref.index}" if ref.layer == last and not net.is_binary else f"Dream of {what}"
        tag = (IdeaKind.DREAM, snap, name, ref)
        if ref.layer == last:
            self._workers[IdeaKind.DREAM].request(tag, dream_digit, net, ref.index)
        else:
            self._workers[IdeaKind.DREAM].request(tag, maximize_activation, net, ref.layer, ref.index)
        return True

    def dream_digit(self, digit: int) -> bool:
        """"What does it think a ``digit`` looks like?" (an output class)."""
        snap = self.session.shown
        last = 0 if snap is None else len(snap.network.layer_sizes) - 1
        return self.dream(NeuronRef(last, digit))

    def feed_noise(self) -> bool:
        """Random pixels become the network's input; the answer says what it thinks they are, and why."""
        snap = self._snapshot(IdeaKind.NOISE)
        if snap is None:
            return False
        seed = int(self._rng.integers(2**31))
        self._workers[IdeaKind.NOISE].request((IdeaKind.NOISE, snap, "Random noise", None), _noise, snap.network, seed)
        return True

    def fool(self, target: int) -> bool:
        """The smallest change to the current input that makes the network answer ``target``."""
        snap = self._snapshot(IdeaKind.FOOL)
        if snap is None:
            return False
        current = self.session.input
        if current is None:
            self.failed.emit(IdeaKind.FOOL, "Draw a digit or pick a test digit first: Fool it changes the current input.")
            return False
        target = int(target)
        if not snap.network.is_binary and not 0 <= target < snap.network.layer_sizes[-1]:
            self.failed.emit(IdeaKind.FOOL, f"There is no digit {target} to aim for.")
            return False
        tag = (IdeaKind.FOOL, snap, f"{current.name} fooled into {target}", None)
        self._workers[IdeaKind.FOOL].request(tag, fool, snap.network, current.vector, target)
        return True

    def _on_result(self, tag, value) -> None:
        kind, snap, name, ref = tag
        idea = Idea(kind, snap, value, name, ref)
        self.latest[kind] = idea
        if kind is IdeaKind.NOISE:
            self.send_to_pad(idea)  # "random pixels as the input": the network view lights up for it
        self.ready.emit(idea)

    def send_to_pad(self, idea: Idea) -> None:
        """Make ``idea``'s image the network's input (the pad, the network view and the bars follow)."""
        self.session.set_input(CurrentInput(np.clip(idea.image, 0.0, 1.0).reshape(-1), InputSource.IMAGE, None, idea.name))
