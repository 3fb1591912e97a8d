"""Build the dense MNIST classifier in code, from a validated config (never from a user's file)."""

from __future__ import annotations

from visualizer.core.config import INPUT_SIZE, TrainingConfig
from visualizer.training.tfenv import import_keras


def build_model(config: TrainingConfig, *, seed: int | None = None):
    """Return an uncompiled ``keras.Sequential``: 784 -> hidden... -> 10 softmax (or 1 sigmoid for one digit vs the rest).

    ``config.hidden`` may be empty: 784 -> 10 is softmax regression.

    Layers are named ``dense_1`` ... ``dense_N`` so exported files have stable names, and each
    initializer gets its own seed derived from ``config.seed`` so the same config gives the same
    initial weights.
    """
    keras = import_keras()

    seed = config.seed if seed is None else seed
    layers = [keras.Input(shape=(INPUT_SIZE,), name="pixels")]
    sizes = (*config.hidden, config.outputs)
    output = "softmax" if config.one_vs_rest is None else "sigmoid"
    for i, units in enumerate(sizes):
        last = i == len(sizes) - 1
        layers.append(
            keras.layers.Dense(
                units,
                activation=output if last else config.activation,
                kernel_initializer=keras.initializers.GlorotUniform(seed=seed * 100 + i),
                bias_initializer="zeros",
                name=f"dense_{i + 1}",
            )
        )
    return keras.Sequential(layers, name="nnviz_mlp")


def make_optimizer(config: TrainingConfig):
    """The optimizer named by the config (Adam, or SGD with momentum)."""
    keras = import_keras()

    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=config.learning_rate, momentum=config.momentum)
    return keras.optimizers.Adam(learning_rate=config.learning_rate)


def build_model_for(layer_sizes, activations, *, name: str = "nnviz_mlp"):
    """An uncompiled ``keras.Sequential`` of the given shape, one activation per layer after the input.

    For exporting any :class:`visualizer.core.network.Network` (mixed activations, no hidden
    layer, a yes/no neuron); layers are named ``dense_1`` ... like :func:`build_model`'s, and
    their weights are set by the caller.
    """
    keras = import_keras()

    layers = [keras.Input(shape=(layer_sizes[0],), name="pixels")]
    for i, (units, activation) in enumerate(zip(layer_sizes[1:], activations, strict=True)):
        layers.append(keras.layers.Dense(units, activation=activation, name=f"dense_{i + 1}"))
    return keras.Sequential(layers, name=name)
