"""Backpropagation in numpy: one example's loss and every gradient, batch averages, one SGD step.

Everything takes a :class:`visualizer.core.network.Network` and returns plain dataclasses of
numpy arrays (float64: the views show small differences of small numbers). Layers are counted
as in ``Network.layer_names``: layer 0 is the input, layer ``len(network.weights)`` the output;
``weights[i]`` maps layer ``i`` to layer ``i + 1``.

Loss: categorical cross-entropy ``-log p[target]`` for a softmax network (the target is a digit),
binary cross-entropy for a one-neuron sigmoid network (the target is 1 for "yes", 0 for "no").
Both are computed from the output's pre-activation, so they stay exact where a probability
rounds to 0 or 1 (Keras clips probabilities to [1e-7, 1 - 1e-7]; the two agree everywhere else).
For both, the output error ``dL/dz`` is simply ``probabilities - one-hot target``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from visualizer.core.config import INPUT_SIZE
from visualizer.core.edges import EdgeSelection, candidates, edges_per_neuron
from visualizer.core.network import Network, activation_derivative

BATCH_CHUNK = 4096  # batch gradients run this many examples at a time (bounded memory)


def check_target(network: Network, target) -> int:
    """``target`` as an int, or ValueError unless it is a digit (softmax) or 0/1 (sigmoid network)."""
    n_classes = 2 if network.is_binary else network.layer_sizes[-1]
    try:
        t = int(target)
    except (TypeError, ValueError):
        raise ValueError(f"the target must be a whole number, not {target!r}") from None
    if t != target or not 0 <= t < n_classes:
        what = "0 (no) or 1 (yes)" if network.is_binary else f"a digit between 0 and {n_classes - 1}"
        raise ValueError(f"the target must be {what}, got {target!r}")
    return t


def check_targets(network: Network, targets) -> np.ndarray:
    """Many targets at once as int64 (n,), or the ValueError :func:`check_target` gives for the first bad one."""
    t = np.asarray(targets).reshape(-1)
    if t.dtype.kind not in "iubf":
        raise ValueError(f"targets must be whole numbers, not {t.dtype}")
    n_classes = 2 if network.is_binary else network.layer_sizes[-1]
    bad = (t < 0) | (t >= n_classes)
    if t.dtype.kind == "f":
        bad |= ~np.isfinite(t) | (t != np.round(t))
    if bad.any():
        check_target(network, t[bad][0].item())
    return t.astype(np.int64)


def _one_hot(network: Network, targets: np.ndarray) -> np.ndarray:
    """(n, outputs) targets: one-hot digits, or the 0/1 target itself for a sigmoid neuron."""
    if network.is_binary:
        return targets.astype(np.float64).reshape(-1, 1)
    out = np.zeros((targets.size, network.layer_sizes[-1]))
    out[np.arange(targets.size), targets] = 1.0
    return out


def _losses(network: Network, logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per-example loss from the output pre-activations (n, outputs), computed stably."""
    z = np.asarray(logits, dtype=np.float64)
    if network.is_binary:
        z = z[:, 0]
        # -[y log s(z) + (1 - y) log(1 - s(z))] = softplus(z) - y z
        return np.logaddexp(0.0, z) - targets * z
    top = z.max(axis=1)
    log_sum = top + np.log(np.exp(z - top[:, None]).sum(axis=1))
    return log_sum - z[np.arange(z.shape[0]), targets]


def backpropagate(network: Network, activations: Sequence[np.ndarray], delta: np.ndarray,
                  layer: int | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Carry the gradient of any quantity J with respect to one layer's pre-activations back to the input.

    Parameters
    ----------
    network
        The network the activations came from.
    activations
        ``network.forward(x)``: ``[input, hidden_1, ..., output]``, for one input or a batch.
    delta
        ``dJ/dz`` of layer ``layer`` (shape of that layer's activations): ``p - y`` for the loss,
        a one-hot vector for one neuron's pre-activation (saliency, activation maximization).
    layer
        The layer ``delta`` belongs to, 1 to ``len(network.weights)`` (default: the output).

    Returns
    -------
    deltas : list of np.ndarray
        ``dJ/dz`` for layers 1 to ``layer`` (``deltas[i]`` is the pre-activation gradient of the
        output of ``weights[i]``), float64; ``deltas[-1]`` is ``delta``.
    input_gradient : np.ndarray
        ``dJ/dx``, float64, shaped like the input rows (784, or (n, 784) for a batch).
    """
    n_layers = len(network.weights)
    layer = n_layers if layer is None else int(layer)
    if not 1 <= layer <= n_layers:
        raise ValueError(f"layer must be between 1 and {n_layers}, got {layer}")
    deltas = [np.asarray(delta, dtype=np.float64)]
    for i in range(layer - 1, 0, -1):
        # dJ/da_i = delta_{i+1} W_i^T, then through layer i's activation: delta_i = dJ/da_i * f'(a_i).
        upstream = _times_transpose(deltas[0], network.weights[i])
        a = np.asarray(activations[i], dtype=np.float64)
        deltas.insert(0, upstream * activation_derivative(network.activations[i - 1], a))
    return deltas, _times_transpose(deltas[0], network.weights[0])


def _times_transpose(delta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``delta @ w.T`` as float64, multiplied in float32 like the forward pass (and TensorFlow):
    a float64 product would first copy the whole matrix to float64, 10x slower at 1024x1024."""
    return (delta.astype(np.float32) @ w.T).astype(np.float64)


def input_tiles(matrix: np.ndarray) -> np.ndarray:
    """A (784, n) first-layer matrix (weights, or their gradient) as n tiles of 28x28, one per neuron."""
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[0] != INPUT_SIZE:
        raise ValueError(f"expected a ({INPUT_SIZE}, n) first-layer matrix, got shape {m.shape}")
    return np.ascontiguousarray(m.T).reshape(m.shape[1], 28, 28)


@dataclass(frozen=True, eq=False)
class ExampleGradient:
    """The forward and backward pass of one example with its target (all float64 but ``target``).

    Attributes
    ----------
    target : int
        The digit the example should be (0/1 for a one-neuron sigmoid network).
    loss : float
        Cross-entropy ``-log p[target]`` (binary cross-entropy for a sigmoid network).
    probabilities : np.ndarray
        The output layer, (10,) or (1,).
    output_error : np.ndarray
        ``dL/dz`` at the output: ``probabilities - one-hot target``. Negative for the target (it
        should go up), positive for the others; ``nudges`` is its negation.
    pre_activations, activations : tuple of np.ndarray
        ``z`` of layers 1..L and the outputs ``[x, hidden_1, ..., output]``.
    deltas : tuple of np.ndarray
        ``dL/dz`` for layers 1..L (``deltas[-1]`` is ``output_error``).
    weight_gradients, bias_gradients : tuple of np.ndarray
        ``dL/dW`` (in, out) and ``dL/db`` (out,) for every layer, shaped like the weights.
        ``dL/dW`` of layer i is the outer product ``activations[i] x deltas[i]``: it is built on
        first use (as big as the weights: 25 MB at 1024,1024,1024), and views that need only a
        few of its entries use :meth:`weight_gradient` or :func:`strongest_descent_edges` instead.
    input_gradient : np.ndarray
        ``dL/dx`` (784,): how each pixel would change the loss.
    """

    target: int
    loss: float
    probabilities: np.ndarray
    output_error: np.ndarray
    pre_activations: tuple[np.ndarray, ...]
    activations: tuple[np.ndarray, ...]
    deltas: tuple[np.ndarray, ...]
    bias_gradients: tuple[np.ndarray, ...]
    input_gradient: np.ndarray
    _weight_gradients: list = field(default_factory=list, repr=False)

    @property
    def weight_gradients(self) -> tuple[np.ndarray, ...]:
        if not self._weight_gradients:
            self._weight_gradients.append(tuple(np.outer(a, d) for a, d in
                                                zip(self.activations[:-1], self.deltas, strict=True)))
        return self._weight_gradients[0]

    def weight_gradient(self, layer: int, rows=slice(None), cols=slice(None)) -> np.ndarray:
        """``dL/dW`` of ``weights[layer]`` at ``rows`` x ``cols`` only (indices or slices): the
        block's cost, not the matrix's."""
        return np.outer(self.activations[layer][rows], self.deltas[layer][cols])

    @property
    def nudges(self) -> np.ndarray:
        """What this example asks of each output (3Blue1Brown's nudge): up for the target, down for the rest."""
        return -self.output_error

    @property
    def desired_changes(self) -> tuple[np.ndarray, ...]:
        """``-delta`` per layer 1..L: which way each neuron's pre-activation should move, and how hard."""
        return tuple(-d for d in self.deltas)

    def first_layer_tiles(self) -> np.ndarray:
        """``dL/dW1`` as one 28x28 tile per first-layer neuron: what this example asks of each template."""
        return input_tiles(self.weight_gradients[0])


def strongest_descent_edges(gradient: ExampleGradient, layer: int, limit: int, *,
                            per_neuron: int | None = None) -> EdgeSelection:
    """The edges of ``weights[layer]`` with the largest ``|dL/dw|``, valued ``-dL/dw``, the same
    number into every target neuron: what ``core.edges.strongest_edges(-weight_gradients[layer],
    limit, per_neuron=per_neuron)`` picks (up to ties), without building the matrix.

    ``dL/dW = a x delta`` has rank one, so in every column the strongest rows are those of the
    largest ``|a|``, and the largest entry is ``max|a| * max|delta|``: the cost is that of the
    two vectors, whatever the size of the matrix.
    """
    a, d = gradient.activations[layer], gradient.deltas[layer]
    k = edges_per_neuron(a.size, d.size, limit, per_neuron)
    top = np.argpartition(-np.abs(a), k - 1)[:k] if k < a.size else np.arange(a.size)
    rows = np.repeat(top[:, None], d.size, axis=1).ravel()
    cols = np.tile(np.arange(d.size), k)
    return _descent_selection(a, d, rows, cols, k, a.size * d.size)


def strongest_descent_block(gradient: ExampleGradient, layer: int, limit: int) -> EdgeSelection:
    """The ``limit`` edges of ``weights[layer]`` with the largest ``|dL/dw|`` among the sources of
    largest ``|a|`` and the targets of largest ``|delta|`` (``core.edges.CANDIDATES`` each), valued
    ``-dL/dw``: for layer pairs with a wide side, so the cost stays bounded at any width."""
    a, d = gradient.activations[layer], gradient.deltas[layer]
    src, dst = candidates(a.size, a), candidates(d.size, d)
    strength = np.abs(np.outer(a[src], d[dst])).ravel()
    k = min(int(limit), strength.size)
    if k <= 0:
        empty = np.empty(0, np.int64)
        return EdgeSelection(empty, empty, np.empty(0), 1.0, 0, 0)
    pick = np.argpartition(-strength, k - 1)[:k] if k < strength.size else np.arange(strength.size)
    r, c = np.divmod(pick, dst.size)
    return _descent_selection(a, d, src[r], dst[c], 0, a.size * d.size)


def _descent_selection(a, d, rows, cols, per_neuron: int, offered: int) -> EdgeSelection:
    top = float(np.max(np.abs(a), initial=0.0) * np.max(np.abs(d), initial=0.0))
    scale = top if np.isfinite(top) and top > 0 else 1e-6
    rows, cols = rows.astype(np.int64), cols.astype(np.int64)
    return EdgeSelection(rows, cols, -a[rows] * d[cols], scale, per_neuron, offered)


def example_gradient(network: Network, x: np.ndarray, target: int) -> ExampleGradient:
    """Loss, output error, every layer's delta and every gradient for one input and its target.

    Parameters
    ----------
    network
        The network to differentiate.
    x
        One input: 784 values in [0, 1] in any shape (e.g. 28x28).
    target
        The true digit (0-9), or 1/0 (yes/no) for a one-neuron sigmoid network.
    """
    target = check_target(network, target)
    x = np.asarray(x, dtype=np.float32).reshape(-1)
    zs, acts = network.forward_full(x)
    p = acts[-1].astype(np.float64)
    error = p - _one_hot(network, np.array([target]))[0]
    deltas, dx = backpropagate(network, acts, error)
    a64 = [np.asarray(a, dtype=np.float64) for a in acts]
    return ExampleGradient(
        target=target,
        loss=float(_losses(network, zs[-1][None, :], np.array([target]))[0]),
        probabilities=p,
        output_error=error,
        pre_activations=tuple(np.asarray(z, dtype=np.float64) for z in zs),
        activations=tuple(a64),
        deltas=tuple(deltas),
        bias_gradients=tuple(deltas),
        input_gradient=dx,
    )


@dataclass(frozen=True, eq=False)
class BatchGradient:
    """The loss and gradient averaged over a batch (3Blue1Brown's "average over all examples").

    Attributes
    ----------
    count : int
        Examples averaged.
    loss : float
        Mean loss, what Keras' training reports for the batch.
    losses, predictions, targets : np.ndarray
        Per example (n,): its loss, the network's answer and the target.
    weight_gradients, bias_gradients : tuple of np.ndarray
        Mean ``dL/dW`` and ``dL/db`` per layer: the direction one SGD step on this batch takes.
    """

    count: int
    loss: float
    losses: np.ndarray
    predictions: np.ndarray
    targets: np.ndarray
    weight_gradients: tuple[np.ndarray, ...]
    bias_gradients: tuple[np.ndarray, ...]

    @property
    def accuracy(self) -> float:
        """Share of the batch the network already gets right."""
        return float(np.mean(self.predictions == self.targets))


def batch_gradient(network: Network, x: np.ndarray, targets: np.ndarray, *, chunk: int = BATCH_CHUNK) -> BatchGradient:
    """Mean loss and gradient over ``x`` (n, 784) with ``targets`` (n,), vectorised, ``chunk`` rows at a time."""
    x = np.asarray(x, dtype=np.float32)
    targets = np.asarray(targets).reshape(-1)
    if x.ndim != 2 or x.shape[1] != INPUT_SIZE:
        raise ValueError(f"expected a batch of shape (n, {INPUT_SIZE}), got {x.shape}")
    if x.shape[0] != targets.size or not targets.size:
        raise ValueError(f"{x.shape[0]} images for {targets.size} targets; a batch needs at least one of each")
    targets = check_targets(network, targets)
    n = targets.size
    gw = [np.zeros(w.shape) for w in network.weights]
    gb = [np.zeros(b.shape) for b in network.biases]
    losses, predictions = np.empty(n), np.empty(n, np.int64)
    for start in range(0, n, max(1, int(chunk))):
        part = slice(start, start + max(1, int(chunk)))
        zs, acts = network.forward_full(x[part])
        t = targets[part]
        error = acts[-1].astype(np.float64) - _one_hot(network, t)
        deltas, _ = backpropagate(network, acts, error)
        for i, d in enumerate(deltas):
            gw[i] += acts[i].T.astype(np.float64) @ d
            gb[i] += d.sum(axis=0)
        losses[part] = _losses(network, zs[-1], t)
        predictions[part] = (acts[-1][:, 0] >= 0.5) if network.is_binary else np.argmax(acts[-1], axis=1)
    return BatchGradient(n, float(losses.mean()), losses, predictions, targets,
                         tuple(g / n for g in gw), tuple(g / n for g in gb))


def sgd_step(network: Network, gradient: ExampleGradient | BatchGradient, learning_rate: float) -> Network:
    """A new network after one plain SGD step: every weight and bias moved by ``-learning_rate * gradient``."""
    lr = float(learning_rate)
    if not np.isfinite(lr) or lr < 0:
        raise ValueError(f"the learning rate must be a finite number >= 0, got {learning_rate!r}")
    weights = [w - lr * g for w, g in zip(network.weights, gradient.weight_gradients, strict=True)]
    biases = [b - lr * g for b, g in zip(network.biases, gradient.bias_gradients, strict=True)]
    return network.with_arrays(weights, biases)


@dataclass(frozen=True, eq=False)
class StepPreview:
    """One SGD step seen from one example: the network before and after, and what it does to that example.

    ``after`` is a new Network; nothing is changed until the caller adopts it. The loss and
    probabilities are the example's, before and after the step (the step itself may come from a
    batch's average gradient).
    """

    learning_rate: float
    before: Network
    after: Network
    loss_before: float
    loss_after: float
    probabilities_before: np.ndarray
    probabilities_after: np.ndarray
    activations_after: tuple[np.ndarray, ...] = ()  # every layer for the example after the step

    @property
    def loss_change(self) -> float:
        return self.loss_after - self.loss_before

    @property
    def weight_changes(self) -> tuple[np.ndarray, ...]:
        """``after - before`` per weight matrix (float64): the weight maps' change."""
        return tuple(a.astype(np.float64) - b for a, b in zip(self.after.weights, self.before.weights, strict=True))


def preview_step(network: Network, x: np.ndarray, target: int, learning_rate: float,
                 gradient: ExampleGradient | BatchGradient | None = None, *,
                 example: ExampleGradient | None = None) -> StepPreview:
    """The network after one SGD step and the example's loss before and after.

    ``gradient`` is the step's direction: by default this example's own gradient; pass a
    :class:`BatchGradient` to preview the batch's step on this one example. ``example``: this
    example's gradient under ``network`` when it is already known (it is not computed again).
    """
    before = example_gradient(network, x, target) if example is None else example
    after_net = sgd_step(network, before if gradient is None else gradient, learning_rate)
    after = example_gradient(after_net, x, target)
    return StepPreview(float(learning_rate), network, after_net, before.loss, after.loss,
                       before.probabilities, after.probabilities, after.activations)
