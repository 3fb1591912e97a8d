"""How a network relates to the training settings: can a run continue from it, and what to ask when not."""

from __future__ import annotations

from visualizer.core.config import ACTIVATIONS, TrainingConfig
from visualizer.core.errors import ConfigError
from visualizer.core.network import Network
from visualizer.session.messages import shape_text


def trains_as(net: Network, config: TrainingConfig) -> bool:
    """True when training with ``config`` can continue from ``net`` (same layers, activations and task)."""
    output = "softmax" if config.one_vs_rest is None else "sigmoid"
    return (net.layer_sizes == config.layer_sizes and net.digit == config.one_vs_rest
            and net.activations == (config.activation,) * len(config.hidden) + (output,))


def config_for(net: Network, base: TrainingConfig | None = None) -> TrainingConfig | None:
    """``base`` (default settings) with ``net``'s architecture and task, or None when training cannot express it.

    Training builds 0 to 6 hidden layers sharing relu, sigmoid or tanh, with 10 softmax outputs or
    one sigmoid neuron for a known digit; an imported network may have mixed or linear hidden
    layers, or a yes/no output whose digit the file does not say.
    """
    acts = set(net.hidden_activations)
    if (net.is_binary and net.digit is None) or len(acts) > 1 or not acts <= set(ACTIVATIONS):
        return None
    base = base or TrainingConfig()
    try:
        return base.with_changes(hidden=net.hidden, activation=acts.pop() if acts else base.activation,
                                 one_vs_rest=net.digit)
    except ConfigError:
        return None


def nearest_config(net: Network, base: TrainingConfig) -> TrainingConfig:
    """The settings the controls show for a network training cannot express: its hidden sizes,
    its first trainable hidden activation and its task (a yes/no neuron of unknown digit keeps
    the digit entered)."""
    activation = next((a for a in net.hidden_activations if a in ACTIVATIONS), base.activation)
    digit = None if not net.is_binary else (net.digit if net.digit is not None else base.one_vs_rest)
    try:
        return base.with_changes(hidden=net.hidden, activation=activation, one_vs_rest=digit)
    except ConfigError:
        return base


def change_text(net: Network, config: TrainingConfig, imported_from: str | None = None) -> str:
    """The "Change the network?" question: why Start would discard ``net``, and what it builds instead."""
    now = f"The network is now {net.describe()}"
    if imported_from:
        now += f" (imported from {imported_from})"
    if config_for(net) is None:
        why = ("; nnviz trains networks whose hidden layers all use one activation (relu, sigmoid or tanh) "
               "with a softmax output or one neuron for a known digit, so it cannot train this one further.")
        question = f"Start a new {shape_text(config)} network instead?"
    else:
        why = f"; you asked for {shape_text(config)}."
        question = "Discard these weights and start a new network?"
    return (f"{now}{why}\n\n{question} (Cancel keeps them; File ▸ Export weights… saves them; "
            "the views work with them either way.)")
