"""Network: one dense network as a value (weights, biases, one activation per layer) and its forward pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from visualizer.core.config import INPUT_SIZE, NUM_CLASSES, task_question
from visualizer.core.errors import WeightsError

HIDDEN_ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear")
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid")
MAX_HIDDEN_LAYERS = 6
MAX_HIDDEN_SIZE = 1024


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, split by sign so exp never overflows."""
    z = np.asarray(z)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis."""
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


ACTIVATION_FUNCTIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": np.tanh, "linear": lambda z: z,
                        "softmax": softmax}


def activation_derivative(name: str, a: np.ndarray) -> np.ndarray:
    """d act / d z in terms of the activation's output ``a`` (element-wise activations only).

    relu's derivative is 0 at z == 0, as TensorFlow's relu gradient is.
    """
    if name == "relu":
        return (a > 0).astype(a.dtype)
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    if name == "linear":
        return np.ones_like(a)
    raise ValueError(f"no element-wise derivative for {name!r}")


def layer_names(n_layers: int) -> tuple[str, ...]:
    """("Input", "Hidden 1", ..., "Output") for a network of ``n_layers`` layers of neurons."""
    return ("Input", *(f"Hidden {i}" for i in range(1, n_layers - 1)), "Output")


def _frozen_float32(a, what: str, copy: bool) -> np.ndarray:
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError):
        raise WeightsError(f"{what} is not a rectangular array of numbers") from None
    if arr.dtype.kind != "f":
        raise WeightsError(f"{what} must hold floating-point numbers, not {arr.dtype}")
    if copy or arr.dtype != np.float32 or arr.flags.writeable:
        with np.errstate(over="ignore"):  # float64 beyond float32 range becomes inf; validation refuses it
            arr = np.array(arr, dtype=np.float32, copy=True)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class Network:
    """A dense network 784 -> hidden... -> outputs, with one activation per layer.

    ``weights[i]`` is (in, out) like a Keras Dense kernel and ``biases[i]`` is (out,);
    ``activations[i]`` is the activation of layer ``i + 1`` (the output of ``weights[i]``): a
    hidden one (relu, sigmoid, tanh, linear) for every layer but the last, and ``"softmax"`` (10
    digits) or ``"sigmoid"`` (one neuron: "is it this digit?") for the output. Arrays are
    read-only float32; construction validates, so an existing object is always usable.
    ``digit`` is the digit a one-neuron network answers "is it a ...?" for (None: not known, or
    a ten-digit network); it travels with the weights so every view and file knows the question.

    Build one with :meth:`from_arrays`.
    """

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    activations: tuple[str, ...]
    digit: int | None = None

    def __post_init__(self):
        try:
            w = tuple(_frozen_float32(a, f"weight matrix {i + 1}", False) for i, a in enumerate(self.weights))
            b = tuple(_frozen_float32(a, f"bias vector {i + 1}", False) for i, a in enumerate(self.biases))
            acts = tuple(str(a) for a in self.activations)
        except TypeError:
            raise WeightsError("weights and biases must be sequences of arrays") from None
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "biases", b)
        object.__setattr__(self, "activations", acts)
        object.__setattr__(self, "digit", task_digit(self.digit, acts[-1] if acts else ""))
        self.validate()

    @classmethod
    def from_arrays(cls, weights: Sequence, biases: Sequence, activation: str | Sequence[str] = "relu",
                    *, output: str | None = None, digit: int | None = None, copy: bool = True) -> Network:
        """Build a network from kernels and biases.

        Parameters
        ----------
        weights, biases
            One (in, out) kernel and one (out,) bias per layer.
        activation
            The hidden activation (one name for every hidden layer) or a sequence with one name
            per hidden layer.
        output
            The output activation; default softmax, or sigmoid when the last layer has one unit.
        digit
            For a sigmoid output: the digit it answers "is it a ...?" for (None: unknown).
        copy
            False to take ownership of float32 arrays without copying (they are made read-only).
        """
        weights, biases = list(weights), list(biases)
        if not weights:
            raise WeightsError("the network has no layers")
        hidden_count = len(weights) - 1
        if isinstance(activation, str):
            hidden = (activation,) * hidden_count
        else:
            hidden = tuple(activation)
            if len(hidden) != hidden_count:
                raise WeightsError(f"{len(hidden)} hidden activations for {hidden_count} hidden layers")
        if output is None:
            output = "sigmoid" if np.shape(weights[-1])[-1:] == (1,) else "softmax"
        w = tuple(_frozen_float32(a, f"weight matrix {i + 1}", copy) for i, a in enumerate(weights))
        b = tuple(_frozen_float32(a, f"bias vector {i + 1}", copy) for i, a in enumerate(biases))
        return cls(w, b, (*hidden, output), digit)

    # -- shape ------------------------------------------------------------------------------
    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """All layer widths, input to output, e.g. (784, 16, 16, 10)."""
        return (self.weights[0].shape[0], *(w.shape[1] for w in self.weights))

    @property
    def hidden(self) -> tuple[int, ...]:
        """Hidden layer widths, e.g. (16, 16) — what ``TrainingConfig.hidden`` expects."""
        return self.layer_sizes[1:-1]

    @property
    def hidden_activations(self) -> tuple[str, ...]:
        return self.activations[:-1]

    @property
    def activation(self) -> str:
        """The hidden activation when every hidden layer has the same one (relu for none), else "mixed"."""
        kinds = set(self.hidden_activations)
        if not kinds:
            return "relu"
        return kinds.pop() if len(kinds) == 1 else "mixed"

    @property
    def output(self) -> str:
        """The output activation: "softmax" (digits) or "sigmoid" (one yes/no neuron)."""
        return self.activations[-1]

    @property
    def is_binary(self) -> bool:
        """True for a one-neuron sigmoid output ("is it this digit?")."""
        return self.output == "sigmoid"

    @property
    def question(self) -> str:
        """What the output answers: "which digit?", "is it a 6?", or "yes or no?" for a one-neuron
        network whose digit is not known."""
        if not self.is_binary:
            return "which digit?"
        return "yes or no?" if self.digit is None else task_question(self.digit)

    def positive_name(self) -> str:
        """The "yes" class in words: "6" (or "yes" when the digit is not known)."""
        return "yes" if self.digit is None else str(self.digit)

    def with_arrays(self, weights: Sequence, biases: Sequence, *, copy: bool = True) -> Network:
        """A network of the same kind (activations, digit) with other weights and biases."""
        return Network.from_arrays(weights, biases, self.hidden_activations, output=self.output,
                                   digit=self.digit, copy=copy)

    @property
    def layer_names(self) -> tuple[str, ...]:
        return layer_names(len(self.weights) + 1)

    @property
    def parameter_count(self) -> int:
        return int(sum(w.size + b.size for w, b in zip(self.weights, self.biases, strict=True)))

    @property
    def nbytes(self) -> int:
        return int(sum(w.nbytes + b.nbytes for w, b in zip(self.weights, self.biases, strict=True)))

    def describe(self) -> str:
        """'784-16-16-10 relu' (per-layer names when they differ; the output named when not softmax)."""
        shape = "-".join(map(str, self.layer_sizes))
        act = self.activation if self.activation != "mixed" else "/".join(self.hidden_activations)
        text = f"{shape} {act}" if self.hidden else shape
        if self.output == "softmax":
            return text
        return f"{text}, {self.output} output" + (f" ({self.question})" if self.digit is not None else "")

    def same_architecture(self, other: Network) -> bool:
        return (self.layer_sizes == other.layer_sizes and self.activations == other.activations
                and self.digit == other.digit)

    # -- computation -------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's activations: ``[input, hidden_1, ..., output]``.

        ``x`` is one input (784 values in [0, 1], any shape with 784 elements, e.g. 28x28) or a
        batch (n, 784); results are 1-D arrays for one input, 2-D for a batch.
        """
        return self.forward_full(x)[1]

    def forward_full(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``(pre_activations, activations)``: z of every layer after the input, and every layer's output.

        ``pre_activations[i]`` is ``activations[i] @ weights[i] + biases[i]``; backpropagation
        needs both.
        """
        x = np.asarray(x, dtype=np.float32)
        # A 28x28 image is 2-D too: only (n, inputs) is a batch, anything else is one input.
        single = not (x.ndim == 2 and x.shape[1] == self.weights[0].shape[0])
        a = x.reshape(1, -1) if single else x
        if a.shape[1] != self.weights[0].shape[0]:
            raise ValueError(f"expected {self.weights[0].shape[0]} input values, got {a.shape[1]}")
        zs, acts = [], [a]
        for w, b, name in zip(self.weights, self.biases, self.activations, strict=True):
            z = a @ w + b
            a = ACTIVATION_FUNCTIONS[name](z)
            zs.append(z)
            acts.append(a)
        if single:
            return [z[0] for z in zs], [layer[0] for layer in acts]
        return zs, acts

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """The output layer for ``x``: 10 softmax probabilities, or P(yes) for a sigmoid neuron."""
        return self.forward(x)[-1]

    def predict(self, x: np.ndarray) -> np.ndarray | int:
        """The predicted class: a digit, or 1/0 (yes/no) for a one-neuron network."""
        p = self.probabilities(x)
        if self.is_binary:
            out = (p[..., 0] >= 0.5).astype(np.int64)
        else:
            out = np.argmax(p, axis=-1)
        return int(out) if np.ndim(out) == 0 else out

    # -- validation --------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise WeightsError (one sentence, no file name) unless this is a usable network.

        Checks: 784 inputs; 10 softmax outputs or 1 sigmoid output; 0 to 6 hidden layers of 1 to
        1024 units with known activations; kernels that chain, matching biases, finite values.
        """
        w, b, acts = self.weights, self.biases, self.activations
        if not w:
            raise WeightsError("the network has no layers")
        if len(w) != len(b):
            raise WeightsError(f"{len(w)} weight matrices but {len(b)} bias vectors")
        if len(acts) != len(w):
            raise WeightsError(f"{len(acts)} activations for {len(w)} layers")
        for i, wi in enumerate(w):
            if wi.ndim != 2:
                raise WeightsError(f"weight matrix {i + 1} must be 2-D (inputs x outputs), not {wi.ndim}-D")
        validate_architecture(self.layer_sizes, acts)
        for i, (wi, bi) in enumerate(zip(w, b, strict=True)):
            n = i + 1
            if i and wi.shape[0] != w[i - 1].shape[1]:
                raise WeightsError(f"weight matrix {n} has shape {wi.shape}, expected {(w[i - 1].shape[1], wi.shape[1])}")
            if bi.shape != (wi.shape[1],):
                raise WeightsError(f"bias vector {n} has shape {bi.shape}, expected {(wi.shape[1],)}")
            if not (np.isfinite(wi).all() and np.isfinite(bi).all()):
                raise WeightsError(f"layer {n} contains NaN or infinite values")


def task_digit(digit, output: str) -> int | None:
    """``digit`` checked as the digit of a one-neuron (sigmoid) network: None or an int 0-9."""
    if digit is None:
        return None
    if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not 0 <= int(digit) <= 9:
        raise WeightsError(f"the digit a one-neuron network answers for must be 0-9, not {digit!r}")
    if output != "sigmoid":
        raise WeightsError("only a one-neuron (sigmoid) network answers for one digit")
    return int(digit)


def validate_architecture(layer_sizes: Sequence[int], activations: str | Sequence[str]) -> None:
    """Raise WeightsError unless the sizes and activations describe a network nnviz runs.

    ``activations``: one per layer after the input (the last is the output's), or one hidden
    activation name for every hidden layer with a softmax output. Cheap (no arrays), so loaders
    call it before reading any weights.
    """
    sizes = tuple(int(s) for s in layer_sizes)
    if len(sizes) < 2:
        raise WeightsError("the network needs an input and an output layer")
    if isinstance(activations, str):
        activations = (activations,) * (len(sizes) - 2) + ("softmax",)
    acts = tuple(activations)
    hidden = sizes[1:-1]
    if len(hidden) > MAX_HIDDEN_LAYERS:
        raise WeightsError(f"the network may have at most {MAX_HIDDEN_LAYERS} hidden layers, not {len(hidden)}")
    if len(acts) != len(sizes) - 1:
        raise WeightsError(f"{len(acts)} activations for {len(sizes) - 1} layers")
    for name in acts[:-1]:
        if name not in HIDDEN_ACTIVATIONS:
            raise WeightsError(f"hidden activation must be one of {', '.join(HIDDEN_ACTIVATIONS)}, not {name!r}")
    if sizes[0] != INPUT_SIZE:
        raise WeightsError(f"the first layer must take {INPUT_SIZE} inputs (28x28 pixels), not {sizes[0]}")
    output = acts[-1]
    if output == "softmax" and sizes[-1] != NUM_CLASSES:
        raise WeightsError(f"a softmax output must have {NUM_CLASSES} units (digits), not {sizes[-1]}")
    if output == "sigmoid" and sizes[-1] != 1:
        raise WeightsError(f"a sigmoid output must be one unit (yes/no), not {sizes[-1]}")
    if output not in OUTPUT_ACTIVATIONS:
        raise WeightsError(f"the output activation must be softmax or sigmoid, not {output!r}")
    for h in hidden:
        if not 1 <= h <= MAX_HIDDEN_SIZE:
            raise WeightsError(f"hidden layers must have 1 to {MAX_HIDDEN_SIZE} units, not {h}")
