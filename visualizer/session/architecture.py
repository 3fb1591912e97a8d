"""How a network relates to the training settings: can a run continue from it, and what to ask when not."""

from __future__ import annotations

from visualizer.core.config import ACTIVATIONS, TrainingConfig
from visualizer.core.errors import ConfigError
from visualizer.core.network import Network
from visualizer.session.messages import shape_text


def trains_as(net: Network, config: TrainingConfig) -> bool:
    """True when training with ``config`` can continue from ``net`` (same layers, same activations)."""
    return net.layer_sizes == config.layer_sizes and net.activations == (
        (config.activation,) * len(config.hidden) + ("softmax",))


def config_for(net: Network, base: TrainingConfig | None = None) -> TrainingConfig | None:
    """``base`` (default settings) with ``net``'s architecture, or None when training cannot express it.

    Training builds 1 to 6 hidden layers sharing relu, sigmoid or tanh, with 10 softmax outputs;
    an imported network may have mixed or linear hidden layers, none, or a yes/no output.
    """
    acts = set(net.hidden_activations)
    if not net.hidden or net.output != "softmax" or len(acts) != 1 or not acts <= set(ACTIVATIONS):
        return None
    try:
        return (base or TrainingConfig()).with_changes(hidden=net.hidden, activation=acts.pop())
    except ConfigError:
        return None


def nearest_config(net: Network, base: TrainingConfig) -> TrainingConfig:
    """The settings the controls show for a network training cannot express: its hidden sizes
    (when there are any) and its first trainable hidden activation."""
    activation = next((a for a in net.hidden_activations if a in ACTIVATIONS), base.activation)
    try:
        return base.with_changes(hidden=net.hidden or base.hidden, activation=activation)
    except ConfigError:
        return base


def change_text(net: Network, config: TrainingConfig, imported_from: str | None = None) -> str:
    """The "Change the network?" question: why Start would discard ``net``, and what it builds instead."""
    now = f"The network is now {net.describe()}"
    if imported_from:
        now += f" (imported from {imported_from})"
    if config_for(net) is None:
        why = ("; nnviz trains networks whose hidden layers all use one activation (relu, sigmoid or tanh) "
               "with a softmax output, so it cannot train this one further.")
        question = f"Start a new {shape_text(config)} network instead?"
    else:
        why = f"; you asked for {shape_text(config)}."
        question = "Discard these weights and start a new network?"
    return (f"{now}{why}\n\n{question} (Cancel keeps them; File ▸ Export weights… saves them; "
            "the views work with them either way.)")
