"""RunState: the application's run states, their allowed transitions and what each state enables."""

from __future__ import annotations

from enum import Enum


class RunState(Enum):
    """Where the application is. ``value`` is the word shown to people."""

    LOADING = "Loading…"  # TensorFlow and the first dataset are loading
    READY = "Ready"  # a network and data: Start, Step, Reset, files
    RUNNING = "Training"
    PAUSED = "Paused"
    STOPPING = "Stopping…"  # stop asked; the training thread ends after its batch
    BUSY = "Working…"  # a file task (dataset, import, reset) runs
    NO_DATA = "No dataset"  # loading failed; only File ▸ Open dataset… helps

    @property
    def text(self) -> str:
        return self.value

    @property
    def is_active(self) -> bool:
        """A run exists (running or paused): Pause, Step and Stop apply."""
        return self in (RunState.RUNNING, RunState.PAUSED)

    @property
    def is_training(self) -> bool:
        """The training thread is busy producing snapshots (views redraw at their own rates)."""
        return self in (RunState.RUNNING, RunState.STOPPING)

    @property
    def config_editable(self) -> bool:
        """The network and training settings may be edited (they apply at the next Start)."""
        return self in (RunState.READY, RunState.BUSY, RunState.LOADING)

    @property
    def can_start(self) -> bool:
        return self is RunState.READY

    @property
    def can_step(self) -> bool:
        return self in (RunState.READY, RunState.RUNNING, RunState.PAUSED)

    @property
    def can_open_dataset(self) -> bool:
        return self in (RunState.READY, RunState.NO_DATA)

    @property
    def can_import(self) -> bool:
        return self is RunState.READY


# Every allowed move; anything else is a bug in the session (asserted in tests).
TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    RunState.LOADING: frozenset({RunState.READY, RunState.NO_DATA}),
    RunState.READY: frozenset({RunState.RUNNING, RunState.PAUSED, RunState.BUSY, RunState.READY, RunState.NO_DATA}),
    RunState.RUNNING: frozenset({RunState.PAUSED, RunState.STOPPING, RunState.READY}),
    RunState.PAUSED: frozenset({RunState.RUNNING, RunState.STOPPING, RunState.READY}),
    RunState.STOPPING: frozenset({RunState.READY}),
    RunState.BUSY: frozenset({RunState.READY, RunState.NO_DATA, RunState.BUSY}),
    RunState.NO_DATA: frozenset({RunState.BUSY, RunState.READY, RunState.NO_DATA}),
}


def can_move(old: RunState | None, new: RunState) -> bool:
    """True when the session may go from ``old`` to ``new`` (None: the very first state)."""
    if old is None:
        return new is RunState.LOADING
    return new in TRANSITIONS[old]
