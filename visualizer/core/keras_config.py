"""What a Keras model computes at inference, read from its config as plain data, and its weights folded into a Network.

Tutorial models are stacks of Dense layers with extras that either do nothing at inference
(InputLayer, Flatten, Reshape, Dropout and noise layers) or can be folded into the Dense weights
(separate Activation layers, Rescaling, BatchNormalization with its moving statistics). This
module reads a Keras config — the ``config.json`` of a ``.keras`` file or the ``model_config`` of
a legacy ``.h5`` — as dictionaries: nothing is instantiated or executed, and every other layer
(Conv2D, Lambda, a custom class, a nested model) is refused by name. :func:`plan_model` checks
the whole structure before any weights are read; :func:`fold_network` then turns the stored
variables into a :class:`Network` that gives what ``model.predict`` gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from visualizer.core.config import INPUT_SIZE
from visualizer.core.errors import WeightsError
from visualizer.core.network import HIDDEN_ACTIVATIONS, MAX_HIDDEN_LAYERS
from visualizer.core.weights_format import ImportedNetwork, stored_network

# Layers that do nothing at inference: noise and dropout only act while training.
NO_OP_LAYERS = frozenset(
    {"Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Identity"}
)
SUPPORTED_LAYERS = ("Dense, with InputLayer, Flatten, Reshape, Dropout (and the noise layers), Activation, "
                    "Softmax, ReLU, Rescaling and BatchNormalization")
# A Rescaling at the input that maps 255 to at most this is there to scale 8-bit pixels (0-255)
# down, as Rescaling(1/255) and Rescaling(1/127.5, offset=-1) do: such a model reads 0-255.
_RAW_PIXEL_SCALE = 2.5 / 255
_MODEL_CLASSES = ("Sequential", "Functional", "Model")


@dataclass(frozen=True)
class Step:
    """One layer that changes values at inference, as read from the config.

    ``kind`` is "dense", "activation", "rescale", "batchnorm" or "reshape". ``group`` is where
    a Keras 3 weights file keeps the layer's variables (``dense_1``); legacy files use ``name``.
    """

    kind: str
    name: str
    group: str = ""
    units: int = 0
    activation: str = "linear"
    scale: float = 1.0
    offset: float = 0.0
    epsilon: float = 1e-3
    center: bool = True
    scaled: bool = True
    shape: tuple[int, ...] = ()


@dataclass(frozen=True)
class ModelPlan:
    """A checked model: its steps, the input shape it declares (None when it declares none)."""

    steps: tuple[Step, ...]
    input_shape: tuple[int, ...] | None
    digit: int | None = None  # the one-neuron network's digit, from nnviz's model name (see model_name)

    @property
    def dense(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.kind == "dense")

    @property
    def batchnorms(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.kind == "batchnorm")


def group_key(class_name: str, counters: dict[str, int]) -> str:
    """Keras 3's name for a layer's group in a weights file: snake_case class name, then _1, _2...

    ``counters`` counts the layers of each class met so far (updated).
    """
    snake = re.sub(r"\W+", "", class_name)
    snake = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", snake)
    snake = re.sub("([a-z])([A-Z])", r"\1_\2", snake).lower()
    n = counters.get(snake, -1) + 1
    counters[snake] = n
    return snake if n == 0 else f"{snake}_{n}"


# ------------------------------------------------------------------------------ reading a config


def plan_model(config) -> ModelPlan:
    """Check a Keras model config and return its :class:`ModelPlan`; raise WeightsError naming what is refused.

    Only plain dictionaries and lists are inspected. The structure is checked completely here
    (shapes, where activations may merge, the output), so a refused model costs no weights read.
    """
    layers, functional = _layer_list(config)
    counters: dict[str, int] = {}
    steps, previous = [], None
    shape = _declared_shape(config, layers)
    for index, layer in enumerate(layers):
        if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
            raise WeightsError("its config has a malformed layer entry")
        cls, cfg = layer.get("class_name"), layer["config"]
        name = cfg.get("name")
        name = name if isinstance(name, str) else f"layer {index + 1}"
        if not str(layer.get("module", "keras")).startswith("keras") or layer.get("registered_name") is not None:
            raise WeightsError(f"layer {name!r} is a custom {cls!r} class; nnviz reads only Keras' own layers "
                               f"({SUPPORTED_LAYERS}) and never runs a model's code")
        group = group_key(str(cls), counters)
        if cls == "InputLayer":
            if previous is not None:
                raise WeightsError("the model must have one input of 784 pixels (28x28)")
            previous = name
            continue
        if functional:
            _check_follows(layer, name, previous)
        previous = name
        if cls in NO_OP_LAYERS:
            continue
        steps.append(_step(str(cls), cfg, name, group))
    if functional:
        _check_output(config["config"], previous)
    plan = ModelPlan(tuple(steps), shape, digit_of_model_name(config["config"].get("name")))
    _Folder(plan, None).run()
    return plan


_DIGIT_NAME = re.compile(r"nnviz_is_it_([0-9])")


def model_name(digit: int | None) -> str:
    """The Keras model name nnviz writes: "nnviz_mlp", or "nnviz_is_it_6" for a one-neuron network,
    so a .keras or .h5 model's config says which digit it answers for (Keras keeps the name)."""
    return "nnviz_mlp" if digit is None else f"nnviz_is_it_{int(digit)}"


def digit_of_model_name(name) -> int | None:
    """The digit in a model name written by :func:`model_name`, else None."""
    match = _DIGIT_NAME.fullmatch(name) if isinstance(name, str) else None
    return int(match.group(1)) if match else None


def _layer_list(config) -> tuple[list, bool]:
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise WeightsError("its config does not describe a Keras model")
    kind = config.get("class_name")
    if kind not in _MODEL_CLASSES:
        raise WeightsError(f"the model is a {kind!r}, not a Sequential or Functional stack of layers")
    layers = config["config"].get("layers")
    if not isinstance(layers, list):
        raise WeightsError("its config has no list of layers")
    return layers, kind != "Sequential"


def _shape(value) -> tuple[int, ...] | None:
    """(28, 28) from a batch shape such as [None, 28, 28]; None when absent or not plain."""
    if not isinstance(value, list) or len(value) < 2 or not all(type(v) is int and v > 0 for v in value[1:]):
        return None
    return tuple(value[1:])


def _declared_shape(config, layers: list) -> tuple[int, ...] | None:
    """The input shape the model states: its InputLayer, a first layer's batch_input_shape (Keras 2
    style), or a Sequential's build_input_shape."""
    first = layers[0].get("config", {}) if layers and isinstance(layers[0], dict) else {}
    if not isinstance(first, dict):
        first = {}
    for value in (first.get("batch_shape"), first.get("batch_input_shape"), config["config"].get("build_input_shape")):
        if value is not None:
            shape = _shape(value)
            if shape is None or int(np.prod(shape)) != INPUT_SIZE or sorted(s for s in shape if s != 1) not in (
                [INPUT_SIZE],
                [28, 28],
            ):
                raise WeightsError(f"the model must have one input of 784 pixels (28x28), not {value[1:]}")
            return shape
    return None


def _number(value, what: str) -> float:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if type(value) not in (int, float) or not np.isfinite(value):
        raise WeightsError(f"{what} must be one number")
    return float(value)


def _activation_name(value, name: str) -> str:
    if not isinstance(value, str):
        raise WeightsError(f"layer {name!r} has no plain units/activation (a function of its own is never run)")
    return value


def _step(cls: str, cfg: dict, name: str, group: str) -> Step:
    if cls == "Dense":
        if type(cfg.get("units")) is not int or not isinstance(cfg.get("activation"), str):
            raise WeightsError(f"Dense layer {name!r} has no plain units/activation")
        if cfg.get("use_bias") is False or cfg.get("quantization_config") or cfg.get("lora_rank"):
            raise WeightsError(f"Dense layer {name!r} has no bias or is quantized/LoRA, which nnviz does not support")
        return Step("dense", name, group, units=cfg["units"], activation=cfg["activation"])
    if cls == "Activation":
        return Step("activation", name, activation=_activation_name(cfg.get("activation"), name))
    if cls == "Softmax":
        if cfg.get("axis", -1) not in (-1, [-1]):
            raise WeightsError(f"Softmax layer {name!r} is not over the last axis")
        return Step("activation", name, activation="softmax")
    if cls == "ReLU":
        if cfg.get("max_value") is not None or cfg.get("negative_slope", 0) or cfg.get("threshold", 0):
            raise WeightsError(f"ReLU layer {name!r} is capped, leaky or shifted; nnviz runs the plain relu")
        return Step("activation", name, activation="relu")
    if cls == "Rescaling":
        return Step("rescale", name, scale=_number(cfg.get("scale", 1.0), f"the scale of {name!r}"),
                    offset=_number(cfg.get("offset", 0.0), f"the offset of {name!r}"))
    if cls == "BatchNormalization":
        if cfg.get("axis", -1) not in (-1, [-1]) or cfg.get("renorm"):
            raise WeightsError(f"BatchNormalization layer {name!r} is not over the last axis (or uses renorm)")
        return Step("batchnorm", name, group, epsilon=_number(cfg.get("epsilon", 1e-3), f"the epsilon of {name!r}"),
                    center=cfg.get("center", True) is not False, scaled=cfg.get("scale", True) is not False)
    if cls == "Flatten":
        if cfg.get("data_format", "channels_last") not in ("channels_last", None):
            raise WeightsError(f"Flatten layer {name!r} reorders channels first; nnviz reads pixels row by row")
        return Step("reshape", name, shape=(-1,))
    if cls == "Reshape":
        target = cfg.get("target_shape")
        if not isinstance(target, list) or not target or not all(type(t) is int and (t > 0 or t == -1) for t in target):
            raise WeightsError(f"Reshape layer {name!r} has no plain target shape")
        return Step("reshape", name, shape=tuple(target))
    raise WeightsError(f"it contains a {cls!r} layer ({name!r}); nnviz reads dense networks: {SUPPORTED_LAYERS}")


def _node_source(node) -> tuple[str, dict] | None:
    """(source layer, call keyword arguments) of one inbound node, Keras 3 or Keras 2 style."""
    if isinstance(node, dict):  # Keras 3: {"args": [tensor], "kwargs": {...}}
        args, kwargs = node.get("args"), node.get("kwargs") or {}
        if isinstance(args, list) and len(args) == 1 and isinstance(args[0], dict):
            history = (args[0].get("config") or {}).get("keras_history")
            if isinstance(history, list) and history and isinstance(kwargs, dict):
                return history[0], kwargs
        return None
    if isinstance(node, list) and len(node) == 1 and isinstance(node[0], list) and len(node[0]) >= 3:
        entry = node[0]  # Keras 2: [[name, node index, tensor index, kwargs]]
        return entry[0], (entry[3] if len(entry) > 3 and isinstance(entry[3], dict) else {})
    return None


def _check_follows(layer: dict, name: str, previous) -> None:
    """In a Functional config, each layer must take exactly the previous layer's output."""
    nodes = layer.get("inbound_nodes")
    found = _node_source(nodes[0]) if isinstance(nodes, list) and len(nodes) == 1 else None
    # Dropout is called with training=False in a saved graph; nothing else may be passed.
    if found is None or found[0] != previous or any(v not in (None, False) for v in found[1].values()):
        raise WeightsError(f"layer {name!r} does not simply follow {previous!r}; nnviz reads a chain of layers")


def _check_output(model_config: dict, last) -> None:
    outputs = model_config.get("output_layers")
    if isinstance(outputs, list) and len(outputs) == 1 and isinstance(outputs[0], list):
        outputs = outputs[0]  # [[name, 0, 0]] (Keras 2) as [name, 0, 0] (Keras 3)
    if not (isinstance(outputs, list) and outputs and outputs[0] == last):
        raise WeightsError("the model's output is not its last layer")


# ------------------------------------------------------------------------------ folding weights


def plan_dense_stack(hidden: Sequence[str], output: str | None = None) -> ModelPlan:
    """The plan of a weights file without a config: Dense layers with these activations.

    ``hidden`` names one activation per hidden layer; ``output`` defaults to softmax, or sigmoid
    for a last layer of one unit (decided by :func:`fold_network` from the stored kernel).
    """
    acts = [*hidden, output or "auto"]
    return ModelPlan(tuple(Step("dense", f"dense_{i + 1}", activation=a) for i, a in enumerate(acts)), None)


def fold_network(plan: ModelPlan, arrays: Callable[[Step], tuple[np.ndarray, ...]]) -> ImportedNetwork:
    """The Network that computes what the planned model computes, with the variables ``arrays(step)`` gives.

    ``arrays(step)`` returns (kernel, bias) for a Dense step and the stored vectors of a
    BatchNormalization (gamma if scaled, beta if centered, moving mean, moving variance).
    Raises WeightsError when the stored variables do not fit the plan.
    """
    folder = _Folder(plan, arrays)
    folder.run()
    acts = list(folder.acts)
    if plan.dense and plan.dense[-1].activation == "auto":
        acts[-1] = "sigmoid" if folder.kernels[-1].shape[1] == 1 else "softmax"
    net = stored_network([k.astype(np.float32) for k in folder.kernels], [b.astype(np.float32) for b in folder.biases],
                   tuple(acts), plan.digit if acts[-1] == "sigmoid" else None)
    return ImportedNetwork(net, tuple(folder.notes))


class _Folder:
    """Walks the steps; with ``arrays`` None it only checks the structure (shapes and where
    activations go), with it it also folds the numbers (float64, like an exact pass)."""

    def __init__(self, plan: ModelPlan, arrays):
        self.plan, self.arrays = plan, arrays
        self.shape = plan.input_shape  # the current values' shape without the batch, None if unknown
        self.kernels: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        self.acts: list[str] = []
        self.names: list[str] = []
        self.open = False  # the last Dense still gives its pre-activation (linear, nothing after)
        self.scale = self.shift = None  # an affine map waiting for the next Dense's inputs
        self.pending: list[str] = []  # the layers in that map
        self.folded: list[str] = []
        self.notes: list[str] = []

    def run(self) -> None:
        for step in self.plan.steps:
            getattr(self, f"_{step.kind}")(step)
        self._finish()

    # -- steps -----------------------------------------------------------------------------------
    def _reshape(self, step: Step) -> None:
        if self.shape is None:
            return
        size = int(np.prod(self.shape))
        target = step.shape
        if -1 in target:
            known = int(np.prod([t for t in target if t != -1]))
            if target.count(-1) > 1 or size % known:
                raise WeightsError(f"layer {step.name!r} cannot reshape {self._shape_text()} values to {target}")
            target = tuple(size // known if t == -1 else t for t in target)
        if int(np.prod(target)) != size:
            raise WeightsError(f"layer {step.name!r} cannot reshape {self._shape_text()} values to {target}")
        if self.scale is not None and self.arrays is not None:
            self.scale = np.broadcast_to(self.scale, self.shape).reshape(target)
            self.shift = np.broadcast_to(self.shift, self.shape).reshape(target)
        self.shape = target

    def _dense(self, step: Step) -> None:
        if len(self.kernels) > MAX_HIDDEN_LAYERS:
            raise WeightsError(f"the model needs 1 to {MAX_HIDDEN_LAYERS + 1} Dense layers, not more")
        if self.shape is not None and len(self.shape) != 1:
            raise WeightsError(f"layer {step.name!r} gets {self._shape_text()} inputs, not 784 pixels in a row "
                               "(a Flatten layer must come before it)")
        inputs = self.shape[0] if self.shape is not None else None
        if not self.kernels and inputs not in (None, INPUT_SIZE):
            raise WeightsError(f"the model must have one input of 784 pixels (28x28), not {inputs}")
        if self.arrays is not None:
            kernel, bias = (np.asarray(a, np.float64) for a in self.arrays(step))
            if step.units and kernel.shape[1] != step.units:
                raise WeightsError(f"layer {step.name!r} has {step.units} units in the config but "
                                   f"{kernel.shape[1]} in its weights")
            if inputs is not None and kernel.shape[0] != inputs:
                raise WeightsError(f"layer {step.name!r} takes {kernel.shape[0]} inputs but gets {inputs}")
            if self.scale is not None:
                scale = np.broadcast_to(self.scale, (kernel.shape[0],))
                bias = bias + np.broadcast_to(self.shift, (kernel.shape[0],)) @ kernel
                kernel = kernel * scale[:, None]
            self.kernels.append(kernel)
            self.biases.append(bias)
            units = kernel.shape[1]
        else:
            self.kernels.append(np.empty((0, 0)))
            units = step.units or None
        self.scale = self.shift = None
        self.pending = []
        self.acts.append(step.activation)
        self.names.append(step.name)
        self.open = step.activation == "linear"
        self.shape = (units,) if units else None

    def _activation(self, step: Step) -> None:
        act = step.activation
        if act == "linear":
            return
        if not self.kernels:
            raise WeightsError(f"layer {step.name!r} applies {act} to the input pixels, before any Dense layer")
        if self.scale is not None:
            raise WeightsError(f"layer {step.name!r} applies {act} after {self.pending[-1]!r}, which comes after "
                               f"{self.names[-1]!r} and its {self.acts[-1]}; nnviz has one activation per layer, "
                               "right after its Dense weights")
        if not self.open:
            raise WeightsError(f"layer {step.name!r} applies {act} after {self.names[-1]!r}, which already has an "
                               f"activation ({self.acts[-1]}); nnviz has one activation per layer")
        self.acts[-1] = act
        self.open = False
        self.folded.append(step.name)

    def _rescale(self, step: Step) -> None:
        if not self.kernels and self.scale is None and abs(step.scale) <= _RAW_PIXEL_SCALE:
            # The model reads 8-bit pixels; nnviz's are 0-1, so 255 times them is what it gets.
            self._affine(step, 255.0 * step.scale, step.offset)
            self.notes.append(f"{step.name!r} (Rescaling by {step.scale:.6g}) is folded into the first layer: "
                              "the model reads pixels 0-255 and gets the same values from nnviz's 0-1 pixels")
        else:
            self._affine(step, step.scale, step.offset)

    def _batchnorm(self, step: Step) -> None:
        if self.shape is None and not self.open:
            raise WeightsError(f"BatchNormalization layer {step.name!r} comes before the model states its input shape")
        scale = shift = 0.0
        if self.arrays is not None:
            vectors = [np.asarray(v, np.float64) for v in self.arrays(step)]
            expected = 2 + step.center + step.scaled
            width = self.shape[-1] if self.shape is not None else None
            if len(vectors) != expected or any(v.shape != (width or v.shape[0],) for v in vectors):
                raise WeightsError(f"BatchNormalization layer {step.name!r} does not hold {expected} vectors "
                                   f"of {width} values")
            gamma = vectors.pop(0) if step.scaled else 1.0
            beta = vectors.pop(0) if step.center else 0.0
            mean, variance = vectors
            if (variance + step.epsilon <= 0).any():
                raise WeightsError(f"BatchNormalization layer {step.name!r} has a negative variance")
            scale = gamma / np.sqrt(variance + step.epsilon)
            shift = beta - mean * scale
        self._affine(step, scale, shift)

    # -- affine maps ----------------------------------------------------------------------------
    def _affine(self, step: Step, scale, shift) -> None:
        """x -> scale * x + shift (per last-axis value): into the open Dense's outputs, else onto
        the inputs of the next one."""
        self.folded.append(step.name)
        if self.open and self.scale is None:
            if self.arrays is not None:
                self.kernels[-1] = self.kernels[-1] * scale
                self.biases[-1] = self.biases[-1] * scale + shift
            return
        if self.arrays is not None:
            if self.scale is None:
                self.scale, self.shift = scale, shift
            else:
                self.scale, self.shift = self.scale * scale, self.shift * scale + shift
        else:
            self.scale = self.shift = 1.0
        self.pending.append(step.name)

    # -- the end ---------------------------------------------------------------------------------
    def _finish(self) -> None:
        if not self.kernels:
            raise WeightsError("the model has no Dense layer")
        if self.scale is not None:
            raise WeightsError(f"layer {self.pending[0]!r} comes after the output layer {self.names[-1]!r}")
        for name, act in zip(self.names[:-1], self.acts[:-1], strict=True):
            if act not in HIDDEN_ACTIVATIONS:
                raise WeightsError(f"layer {name!r} uses {act}; nnviz runs hidden layers with "
                                   f"{', '.join(HIDDEN_ACTIVATIONS)}")
        last, act = self.names[-1], self.acts[-1]
        units = self.shape[0] if self.shape is not None else None
        if act == "linear":
            output = "sigmoid" if units == 1 else "softmax"
            self.acts[-1] = output
            self.notes.append(f"the last layer {last!r} gives scores with no activation (logits): nnviz applies "
                              f"{output} to show them as probabilities")
        elif act == "auto":
            pass  # a weights file without its config: fold_network picks the output from the units
        elif act not in ("softmax", "sigmoid") or (act == "sigmoid" and units not in (None, 1)):
            raise WeightsError(f"the last layer {last!r} must give 10 digit scores (softmax or no activation) or one "
                               f"yes/no neuron (sigmoid), not {units or 'its'} units with {act}")
        batchnorms = [s.name for s in self.plan.batchnorms]
        if batchnorms:
            self.notes.append(f"BatchNormalization ({', '.join(batchnorms)}) is folded into the Dense weights "
                              "with its moving mean and variance, as at inference")

    def _shape_text(self) -> str:
        return "x".join(map(str, self.shape)) if self.shape else "unknown"
