"""What the hidden neurons respond to: the neuron analysis of the current network, scheduled latest-wins.

:class:`NeuronsModel` runs :func:`visualizer.core.neurons.analyze_neurons` over the test set
in the background at every settled snapshot (epoch and run ends, reset, imported weights) and
when asked ("Analyse now"), one analysis at a time, and keeps the newest answer as a
:class:`NeuronResult`. An answer for a network older than the one it would replace, for another
run than the one shown, or for a dataset no longer loaded is dropped. Qt-free: the views draw
``result_changed``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.core.neurons import LayerResponses, NeuronAnalysis, analyze_neurons
from visualizer.core.snapshot import SnapshotEvent, TrainingSnapshot
from visualizer.session.events import Event
from visualizer.session.latest import LatestWins
from visualizer.session.messages import describe_error
from visualizer.session.selection import NeuronRef

SAMPLE = 10_000  # test digits analysed at most: all of MNIST's; a larger set gets a fixed sample of this many


def analyse_test_set(network, images: np.ndarray, labels: np.ndarray) -> NeuronAnalysis:
    """The analysis the panel shows: every test digit, or a fixed sample of ``SAMPLE`` of a larger set."""
    sample = SAMPLE if len(images) > SAMPLE else None
    return analyze_neurons(network, images, labels, sample=sample)


def moment_text(snap: TrainingSnapshot) -> str:
    """Which network an analysis belongs to, for captions: 'after epoch 3', 'at step 1,234', 'this network'."""
    if snap.event is SnapshotEvent.EPOCH_END:
        return f"after epoch {round(snap.epoch_float)}"
    if snap.epochs == 0:
        return "this network"  # imported weights, or a network from outside any run
    return "untrained" if snap.step == 0 else f"at step {snap.step:,}"


@dataclass(frozen=True, eq=False)
class NeuronResult:
    """One finished analysis: the network it describes, the answer, and the images its indices refer to."""

    snapshot: TrainingSnapshot
    analysis: NeuronAnalysis
    images: np.ndarray  # (n, 784): the test set the analysis' indices point into
    labels: np.ndarray  # (n,)

    @property
    def layers(self) -> tuple[LayerResponses, ...]:
        return self.analysis.layers

    def layer(self, layer: int) -> LayerResponses | None:
        """The responses of hidden layer ``layer`` (1 = Hidden 1), None for the input or output layer."""
        return self.layers[layer - 1] if 1 <= layer <= len(self.layers) else None

    def has(self, ref: NeuronRef | None) -> bool:
        """True when ``ref`` is a hidden neuron this analysis describes."""
        responses = None if ref is None else self.layer(ref.layer)
        return responses is not None and ref.index < responses.units

    def top(self, ref: NeuronRef, digit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(test-set indices, activations) of the digits that excite ``ref`` most, strongest first;
        with ``digit``, only test digits of that class (fewer when the class has fewer)."""
        responses = self.layer(ref.layer)
        if digit is None:
            ids, values = responses.top_images[ref.index], responses.top_values[ref.index]
        else:
            ids, values = responses.top_by_class[digit, ref.index], responses.top_by_class_values[digit, ref.index]
        keep = ids >= 0
        return ids[keep], values[keep]

    def template(self, ref: NeuronRef) -> np.ndarray | None:
        """A Hidden 1 neuron's 784 incoming weights as a 28x28 image (None for deeper neurons)."""
        if ref.layer != 1:
            return None
        return np.asarray(self.snapshot.network.weights[0][:, ref.index]).reshape(28, 28)

    def dead_masks(self) -> list[np.ndarray]:
        """Per hidden layer, which neurons never fire on the analysed digits."""
        return [layer.dead for layer in self.layers]

    def caption(self) -> str:
        """'10,000 test digits, after epoch 3'."""
        return f"{self.analysis.count:,} test digits, {moment_text(self.snapshot)}"


class NeuronsModel:
    """The neuron analysis the views show, recomputed in the background, latest wins.

    Parameters
    ----------
    session
        The :class:`~visualizer.session.Session`; its ``jobs`` run the analyses and its
        ``snapshot_settled``, ``network_adopted`` and ``dataset_changed`` say when to run them.

    Attributes
    ----------
    result : NeuronResult | None
        The newest analysis kept (None before the first, or after the network or dataset changed).
    result_changed : Event
        ``(NeuronResult | None)``.
    failed : Event
        ``(message)``: an analysis raised.
    busy_changed : Event
        ``(bool)``: an analysis runs or waits.
    """

    def __init__(self, session):
        self.session = session
        self.result: NeuronResult | None = None
        self.result_changed = Event("neurons_result_changed")
        self.failed = Event("neurons_failed")
        self._generation = 0  # bumped with every dataset: answers computed on an older one are dropped
        self._worker = LatestWins(session.jobs, on_result=self._on_result, on_error=self._on_error,
                                  keeps=self._keeps)
        self.busy_changed = self._worker.busy_changed
        session.network_adopted.connect(self._on_network_adopted)
        session.snapshot_settled.connect(self.request)
        session.dataset_changed.connect(self._on_dataset_changed)
        # The timeline's cursor came to rest: the analysis follows the moment shown (latest wins);
        # one per rest, not one per move of a drag, which would only compete with the drawing.
        session.cursor_rested.connect(lambda _step: self.request(self.session.shown))

    @property
    def busy(self) -> bool:
        return self._worker.busy

    @property
    def analyses_started(self) -> int:
        return self._worker.started

    def analyse_now(self) -> bool:
        """Analyse the network shown now; False when there is no network or no test digit."""
        return self.request(self.session.shown)

    def request(self, snap: TrainingSnapshot | None) -> bool:
        """Analyse ``snap``'s network on the test set after the analysis running now (if any)."""
        dataset = self.session.dataset
        if snap is None or dataset is None or not len(dataset.y_test):
            return False
        self._worker.request((snap, self._generation), analyse_test_set, snap.network, dataset.x_test,
                             dataset.y_test)
        return True

    def close(self) -> None:
        """No more analyses; one still running is not delivered (the window is closing)."""
        self._worker.close()

    def _keeps(self, done, waiting) -> bool:
        # An epoch's answer is worth showing while the next epoch's is computed; one for a
        # previous run (Reset, Import) or dataset is wrong, not just old.
        return done[1] == waiting[1] and done[0].run_id == waiting[0].run_id

    def _on_result(self, tag, analysis: NeuronAnalysis) -> None:
        snap, generation = tag
        dataset = self.session.dataset
        shown, old = self.session.shown, self.result
        if generation != self._generation or dataset is None:
            return
        if shown is not None and shown.run_id != snap.run_id:
            return  # another network is shown by now
        if shown is not None and shown.replayed:
            if snap.step != shown.step:
                return  # the cursor has moved on to another moment
        elif old is not None and old.snapshot.run_id == snap.run_id and old.snapshot.step > snap.step:
            return  # older than what is shown ("Analyse now" on a later moment arrived first)
        self.result = NeuronResult(snap, analysis, dataset.x_test, dataset.y_test)
        self.result_changed.emit(self.result)

    def _on_error(self, tag, exc: BaseException) -> None:
        self.failed.emit(f"Could not analyse the neurons: {describe_error(exc)}")

    def _clear(self) -> None:
        self._worker.cancel()
        if self.result is not None:
            self.result = None
            self.result_changed.emit(None)

    def _on_network_adopted(self, snap: TrainingSnapshot) -> None:
        # A new network (initial, reset, imported): the old one's dead neurons are not its own.
        # snapshot_settled follows at once and asks for the new analysis.
        if self.result is not None and self.result.snapshot.run_id != snap.run_id:
            self._clear()

    def _on_dataset_changed(self, _dataset) -> None:
        self._generation += 1
        self._clear()
        self.request(self.session.shown)
