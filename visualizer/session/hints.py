"""Warnings that teach, and when to give them: checked at the end of every epoch and run, shown in the banner.

:class:`HintWatcher` decides *when* :func:`visualizer.core.diagnostics.diagnose` looks at a run:
at each epoch end and run end of a training run, as soon as that moment's neuron analysis is in
(dead ReLUs are counted on it), or without it when the analysis failed. Networks merely adopted
(initial weights, Reset, Import) are not judged. The most fundamental hint goes to the session's
banner as a one-line warning; the others are listed by the views that show ``changed``. A hint
the user dismissed stays quiet for the rest of that run; a healthy check takes an old hint down.
"""

from __future__ import annotations

from visualizer.core.config import NUM_CLASSES
from visualizer.core.diagnostics import Hint, HintKind, RunMetrics, diagnose
from visualizer.core.snapshot import SnapshotEvent, TrainingSnapshot
from visualizer.session.events import Event

CHECKED_EVENTS = (SnapshotEvent.EPOCH_END, SnapshotEvent.TRAIN_END)


def banner_text(hints: list[Hint]) -> str:
    """The banner's line: the first hint, and how many more the Neurons panel lists."""
    first = f"Hint: {hints[0].text}."
    more = len(hints) - 1
    return first if not more else f"{first} ({more} more {'hint' if more == 1 else 'hints'} in the Neurons panel.)"


class HintWatcher:
    """Runs the diagnostics at the right moments and keeps the hints that apply.

    Parameters
    ----------
    session
        The :class:`~visualizer.session.Session`: its snapshots, run events and banner.
    neurons
        Its :class:`~visualizer.session.neurons.NeuronsModel` (the dead-ReLU count comes from it).

    Attributes
    ----------
    hints : list[Hint]
        What the last check found (empty for a healthy run).
    changed : Event
        ``(list[Hint])`` after every check, and when a new network clears them.
    checks : int
        How many times the diagnostics ran (the tests count them).
    """

    def __init__(self, session, neurons):
        self.session = session
        self.hints: list[Hint] = []
        self.changed = Event("hints_changed")
        self.checks = 0
        self._settled: TrainingSnapshot | None = None  # the newest epoch or run end
        self._shown = ""  # the banner text this watcher put up
        self._shown_kinds: set[HintKind] = set()
        self._silenced: set[HintKind] = set()  # dismissed during this run
        session.snapshot_settled.connect(self._on_settled)
        session.network_adopted.connect(self._on_network_adopted)
        session.run_started.connect(lambda _config: self._silenced.clear())
        session.banner_changed.connect(self._on_banner_changed)
        neurons.result_changed.connect(self._on_neurons)
        neurons.failed.connect(self._on_neurons_failed)

    def check(self, snap: TrainingSnapshot, neurons=None) -> list[Hint]:
        """Diagnose ``snap``'s run (its curves, and ``neurons`` when given); show the first hint."""
        if snap.history is None:
            return self.hints
        classes = 2 if snap.network.is_binary else NUM_CLASSES
        self.checks += 1
        self.hints = diagnose(RunMetrics.from_history(snap.history, num_classes=classes), neurons)
        self.changed.emit(self.hints)
        self._show([h for h in self.hints if h.kind not in self._silenced])
        return self.hints

    def _show(self, hints: list[Hint]) -> None:
        if not hints:
            self._take_down()
            return
        text = banner_text(hints)
        if text == self._shown and self.session.banner == (text, "warning"):
            return
        previous, self._shown = self._shown, text  # before the banner event, so it is known as ours
        if self.session.show_hint(text):
            self._shown_kinds = {h.kind for h in hints}
        else:
            self._shown = previous  # an error message stays in front

    def _take_down(self) -> None:
        ours = self._shown and self.session.banner == (self._shown, "warning")
        self._shown, self._shown_kinds = "", set()
        if ours:
            self.session.dismiss_banner("warning")

    def _on_banner_changed(self, text: str, level: str) -> None:
        if self._shown and text != self._shown:
            # Dismissed (or replaced by an error): these stay quiet for the rest of the run.
            self._silenced |= self._shown_kinds
            self._shown, self._shown_kinds = "", set()

    def _on_settled(self, snap: TrainingSnapshot) -> None:
        if snap.event in CHECKED_EVENTS:
            self._settled = snap

    def _on_neurons(self, result) -> None:
        if result is not None and result.snapshot.event in CHECKED_EVENTS:
            self.check(result.snapshot, result.analysis)

    def _on_neurons_failed(self, _message: str) -> None:
        if self._settled is not None:
            snap, self._settled = self._settled, None
            self.check(snap)  # the curves alone still tell a stuck loss

    def _on_network_adopted(self, _snap) -> None:
        # A new network (Reset, Import): the old run's hints do not describe it.
        self._settled = None
        self._silenced.clear()
        self._take_down()
        if self.hints:
            self.hints = []
            self.changed.emit(self.hints)
