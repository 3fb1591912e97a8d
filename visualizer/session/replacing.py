"""Before a file replaces the network: is there trained work it would discard, and how to ask about it.

Start asks "Change the network?" when the entered layers differ from a trained network's
(``architecture.change_text``); importing weights of another architecture and opening a run
over a run not saved yet ask in the same words, through the session's ``confirm``.
"""

from __future__ import annotations

from visualizer.core.network import Network
from visualizer.core.snapshot import TrainingSnapshot
from visualizer.core.timeline import Timeline

KEEP = "Cancel keeps it; File ▸ Export weights… saves it"


def trained(latest: TrainingSnapshot | None, imported_from: str | None) -> bool:
    """True when the current network holds work worth asking about: trained batches, or imported weights."""
    return latest is not None and (latest.step > 0 or bool(imported_from))


def now_text(latest: TrainingSnapshot, imported_from: str | None) -> str:
    """'The network is now 784-16-16-10 relu (trained for 1,200 batches)' or '(imported from w.npz)'."""
    text = f"The network is now {latest.network.describe()}"
    if imported_from:
        return f"{text} (imported from {imported_from})"
    return f"{text} (trained for {latest.step:,} batch{'es' if latest.step != 1 else ''})"


def import_question(latest: TrainingSnapshot | None, imported_from: str | None, new: Network,
                    name: str) -> str | None:
    """The "Replace the network?" question for importing ``new`` from file ``name``, or None when
    nothing trained would be lost (no network yet, an untrained one, or the same architecture)."""
    if not trained(latest, imported_from) or new.same_architecture(latest.network):
        return None
    return (f"{now_text(latest, imported_from)}; {name} holds {new.describe()}.\n\n"
            f"Replace the network with the imported one? ({KEEP} first.)")


def unsaved(timeline: Timeline | None, saved: tuple[int, int] | None) -> bool:
    """True when ``timeline`` recorded training that was not saved since (``saved``: its
    ``saved_mark`` when last saved or opened)."""
    return timeline is not None and timeline.batch_count > 0 and saved_mark(timeline) != saved


def saved_mark(timeline: Timeline) -> tuple[int, int]:
    """What identifies a recording as it is now: a later change makes it unsaved again."""
    return (id(timeline), timeline.version)


def open_run_question(latest: TrainingSnapshot | None, imported_from: str | None, timeline: Timeline | None,
                      saved: tuple[int, int] | None, name: str, batches: int) -> str | None:
    """The "Open the run?" question when opening run file ``name`` (``batches`` recorded) would
    discard a trained recording not saved yet; None when nothing would be lost."""
    if not trained(latest, imported_from) or not unsaved(timeline, saved):
        return None
    return (f"{now_text(latest, imported_from)}, and this run is not saved. Opening {name} ({batches:,} "
            f"batch{'es' if batches != 1 else ''}) replaces it and its recording.\n\n"
            "Open the run? (Cancel keeps the current one; File ▸ Save run… saves it first.)")
