"""The application model, Qt-free: run state, dataset, network, snapshots, input, selection, background jobs.

Views never hold this state; they listen to :class:`Session` events and draw what it says.
Nothing here imports Qt, TensorFlow or the ui (an import-linter contract in pyproject.toml).
"""

from visualizer.session.events import Event
from visualizer.session.inputs import CurrentInput, InputAnalysis, InputSource
from visualizer.session.selection import NeuronRef, Selection
from visualizer.session.session import Backend, Jobs, Runner, Session
from visualizer.session.state import RunState

__all__ = ["Backend", "CurrentInput", "Event", "InputAnalysis", "InputSource", "Jobs", "NeuronRef", "RunState",
           "Runner", "Selection", "Session"]
