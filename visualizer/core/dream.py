"""The network's idea of a digit: activation maximization, what it says to noise, and inputs that fool it.

All three differentiate the network with respect to its *input* (numpy backpropagation from
:mod:`visualizer.core.backprop`) and return 28x28 images with pixels in [0, 1], ready for the pad.

- :func:`maximize_activation` / :func:`dream_digit`: gradient ascent on the input so one neuron's
  pre-activation grows, with L2 decay, a light blur and clipping so the picture stays an image.
- :func:`feed_noise`: random pixels in, the network's answer and why it is confident out.
- :func:`fool`: the smallest L-infinity change (iterated gradient-sign steps within a growing
  pixel budget) that makes the network answer another digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.core.backprop import backpropagate, check_target
from visualizer.core.config import INPUT_SIZE
from visualizer.core.network import Network

DREAM_STEPS = 200
DREAM_STEP = 0.05  # the largest pixel change per ascent step
DREAM_L2 = 0.05  # weight decay toward black, relative to the normalised gradient
DREAM_BLUR = 0.3  # share of a 3x3 blur mixed in after each step: smooth strokes rather than speckle
NOISE_START = 0.2  # a noisy start draws pixels uniformly from [0, NOISE_START]
FOOL_BUDGET = 0.3  # the largest change of any pixel "fool it" allows
FOOL_EPSILON_STEP = 0.01  # the budget grows by this much until the network gives in
FOOL_STEPS_PER_BUDGET = 8


def _as_image(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if x.size != INPUT_SIZE:
        raise ValueError(f"expected {INPUT_SIZE} pixels (28x28), got {x.size}")
    if not np.isfinite(x).all():
        raise ValueError("the image contains NaN or infinite pixels")
    return x


def blur(image: np.ndarray) -> np.ndarray:
    """A 3x3 binomial blur ([1, 2, 1] / 4 along each axis) of a 28x28 image, edges repeated."""
    img = np.asarray(image, dtype=np.float64).reshape(28, 28)
    p = np.pad(img, 1, mode="edge")
    rows = 0.25 * p[:-2] + 0.5 * p[1:-1] + 0.25 * p[2:]
    return 0.25 * rows[:, :-2] + 0.5 * rows[:, 1:-1] + 0.25 * rows[:, 2:]


def _neuron_gradient(network: Network, x: np.ndarray, layer: int, index: int) -> tuple[float, float, np.ndarray]:
    """(pre-activation, activation, d pre-activation / dx) of one neuron for one input."""
    zs, acts = network.forward_full(x)
    delta = np.zeros(zs[layer - 1].shape[-1])
    delta[index] = 1.0
    _, grad = backpropagate(network, acts, delta, layer)
    return float(zs[layer - 1][index]), float(acts[layer][index]), grad


@dataclass(frozen=True, eq=False)
class Dream:
    """The input found by activation maximization for one neuron.

    Attributes
    ----------
    layer, index, name
        The neuron (1-based layer as in ``Network.layer_names``), e.g. "Output 3", "Hidden 1 #5".
    image, start
        (28, 28) float32 in [0, 1]: the result and where the ascent began.
    value_start, value
        The objective (the neuron's pre-activation, negated when asking a yes/no network for "no")
        at the start and at the end; ``history`` has it after every step.
    activation_start, activation
        The neuron's output (a probability for an output neuron) at the start and at the end.
    probabilities
        The network's whole output for ``image``.
    """

    layer: int
    index: int
    name: str
    image: np.ndarray
    start: np.ndarray
    value_start: float
    value: float
    activation_start: float
    activation: float
    history: np.ndarray
    probabilities: np.ndarray


def _start_image(start, seed: int) -> np.ndarray:
    if isinstance(start, str):
        if start == "blank":
            return np.zeros(INPUT_SIZE)
        if start == "noise":
            return np.random.default_rng(seed).uniform(0.0, NOISE_START, INPUT_SIZE)
        raise ValueError(f"start must be 'blank', 'noise' or an image, not {start!r}")
    return np.clip(_as_image(start), 0.0, 1.0)


def maximize_activation(network: Network, layer: int, index: int, *, start="blank", steps: int = DREAM_STEPS,
                        step_size: float = DREAM_STEP, l2: float = DREAM_L2, blur_mix: float = DREAM_BLUR,
                        seed: int = 0, minimize: bool = False) -> Dream:
    """The 28x28 input that excites one neuron most, by gradient ascent on its pre-activation.

    Parameters
    ----------
    network
        The network.
    layer
        1 to ``len(network.weights)``: a hidden layer, or the output layer.
    index
        The neuron in that layer (for the output of a softmax network: the digit).
    start
        "blank" (all black), "noise" (uniform in [0, 0.2], from ``seed``) or a 784-pixel image.
    steps, step_size
        Ascent steps; the gradient is scaled so the most-changed pixel moves by ``step_size``.
    l2
        Pull toward black per step (relative to that scaled gradient): keeps pixels that do not
        help dark.
    blur_mix
        Share of a 3x3 blur mixed in after each step (0 turns it off): smooth strokes, not speckle.
    minimize
        Drive the pre-activation down instead (what the neuron is most against; "no" for a
        yes/no network).

    Notes
    -----
    The pre-activation is climbed rather than the activation so a relu that is off, or a
    saturated sigmoid, still has a gradient. When the gradient is exactly zero (every relu on
    the path off, e.g. at a blank start), a faint seeded noise is added so the ascent can begin.
    Pixels are clipped to [0, 1] after every step.
    """
    n_layers = len(network.weights)
    if not 1 <= int(layer) <= n_layers:
        raise ValueError(f"layer must be between 1 and {n_layers}, got {layer}")
    layer = int(layer)
    width = network.layer_sizes[layer]
    if not 0 <= int(index) < width:
        raise ValueError(f"{network.layer_names[layer]} has neurons 0 to {width - 1}, not {index}")
    index = int(index)
    sign = -1.0 if minimize else 1.0
    rng = np.random.default_rng(seed)
    x = _start_image(start, seed)
    first = x.copy()
    history = np.empty(max(0, int(steps)) + 1)
    value = activation = 0.0
    for step in range(len(history)):
        z, activation, grad = _neuron_gradient(network, x, layer, index)
        value = sign * z
        history[step] = value
        if step == len(history) - 1:
            break
        grad = sign * grad
        top = np.abs(grad).max()
        if top == 0.0:
            x = np.clip(x + rng.uniform(0.0, 0.05, INPUT_SIZE), 0.0, 1.0)
            continue
        x = x + step_size * (grad / top - l2 * x)
        if blur_mix > 0:
            x = (1.0 - blur_mix) * x + blur_mix * blur(x).reshape(-1)
        x = np.clip(x, 0.0, 1.0)
    name = network.layer_names[layer]
    if layer < n_layers:
        label = f"{name} #{index + 1}"
    else:
        label = f"{name} {('no' if minimize else 'yes') if network.is_binary else index}"
    z0, a0, _ = _neuron_gradient(network, first, layer, index)
    return Dream(layer, index, label, x.reshape(28, 28).astype(np.float32), first.reshape(28, 28).astype(np.float32),
                 sign * z0, value, a0, activation, history, network.probabilities(x).astype(np.float64))


def dream_digit(network: Network, digit: int, **options) -> Dream:
    """"What does it think a 3 looks like?": :func:`maximize_activation` of one output class.

    For a one-neuron sigmoid network ``digit`` is 1 ("yes") or 0 ("no": the neuron's input is
    driven down instead). ``options`` are those of :func:`maximize_activation`.
    """
    digit = check_target(network, digit)
    if network.is_binary:
        return maximize_activation(network, len(network.weights), 0, minimize=not digit, **options)
    return maximize_activation(network, len(network.weights), digit, **options)


@dataclass(frozen=True, eq=False)
class NoiseAnswer:
    """What the network says to random pixels, and why.

    ``prediction`` is a digit (or 1/0 for yes/no), ``confidence`` the probability of that answer,
    ``explanation`` a few plain sentences for a learner.
    """

    image: np.ndarray
    probabilities: np.ndarray
    prediction: int
    confidence: float
    explanation: str


def _noise_explanation(network: Network, prediction: int, confidence: float, probabilities: np.ndarray) -> str:
    if network.is_binary:
        answer = "yes" if prediction else "no"
        return (f"Random pixels, and the network answers \u201c{answer}\u201d ({confidence:.0%} sure). It only ever "
                "learned to tell its digit from other digits, so it has no way to say \u201cthis is not a digit at "
                "all\u201d: every input, noise included, lands on one side of the line it learned, and the farther "
                "from that line, the surer it sounds.")
    runner_up = int(np.argsort(probabilities)[-2])
    how = "confidently" if confidence >= 0.5 else "without much confidence, but still"
    return (f"Random pixels, and the network {how} says {prediction} ({confidence:.0%}; next is {runner_up} at "
            f"{probabilities[runner_up]:.0%}). It was trained only on digits, so \u201cnone of these\u201d is not an "
            "answer it can give: softmax always shares out 100% among the ten digits. Noise lights up pixels all "
            "over the image, each first-layer neuron adds up its template against them, and whichever output "
            "those sums happen to push highest wins. A high probability means one output beat the others by a "
            "wide margin, not that the picture looks like a digit.")


def feed_noise(network: Network, *, seed: int | None = None) -> NoiseAnswer:
    """Feed random pixels (uniform in [0, 1], 3Blue1Brown's experiment) and explain the answer."""
    image = np.random.default_rng(seed).uniform(0.0, 1.0, (28, 28)).astype(np.float32)
    p = network.probabilities(image).astype(np.float64)
    prediction = int(network.predict(image))
    confidence = float(p[0] if prediction == 1 else 1.0 - p[0]) if network.is_binary else float(p[prediction])
    return NoiseAnswer(image, p, prediction, confidence, _noise_explanation(network, prediction, confidence, p))


@dataclass(frozen=True, eq=False)
class FoolResult:
    """The outcome of :func:`fool`.

    Attributes
    ----------
    target : int
        The answer asked for.
    succeeded : bool
        True when the network answers ``target`` for ``image``.
    epsilon : float
        The pixel budget reached: no pixel moved by more than this (the smallest budget on the
        search grid that worked, or the largest tried).
    image, original, perturbation : np.ndarray
        (28, 28) float32: the changed input, the input, and their difference.
    probabilities_before, probabilities_after : np.ndarray
        The network's output for the original and for the changed input.
    prediction_before, prediction_after : int
    steps : int
        Gradient-sign steps taken.
    message : str
        One line for the view, e.g. "No pixel changed by more than 0.07, and it answers 3 (54%)".
    """

    target: int
    succeeded: bool
    epsilon: float
    image: np.ndarray
    original: np.ndarray
    perturbation: np.ndarray
    probabilities_before: np.ndarray
    probabilities_after: np.ndarray
    prediction_before: int
    prediction_after: int
    steps: int
    message: str


def _target_loss_gradient(network: Network, x: np.ndarray, target: int) -> tuple[np.ndarray, int]:
    """(d loss(target) / dx, the network's answer for x), the loss being -log p[target] (binary
    cross-entropy for yes/no); one forward pass gives both."""
    _, acts = network.forward_full(x)
    error = acts[-1].astype(np.float64)
    answer = int(error[0] >= 0.5) if network.is_binary else int(np.argmax(error))
    if network.is_binary:
        error -= float(target)
    else:
        error[target] -= 1.0
    return backpropagate(network, acts, error)[1], answer


def _answer_text(network: Network, answer: int) -> str:
    return ("yes" if answer else "no") if network.is_binary else str(answer)


def fool(network: Network, x: np.ndarray, target: int, *, max_epsilon: float = FOOL_BUDGET,
         epsilon_step: float = FOOL_EPSILON_STEP, steps_per_epsilon: int = FOOL_STEPS_PER_BUDGET) -> FoolResult:
    """The smallest change to ``x`` (largest pixel change, L-infinity) that makes the network answer ``target``.

    The budget epsilon grows by ``epsilon_step`` up to ``max_epsilon``; at each budget,
    ``steps_per_epsilon`` targeted gradient-sign steps of epsilon/4 lower the loss for ``target``,
    each followed by a projection back into the budget and into [0, 1]. The search stops as soon
    as the network answers ``target``; it says so when even ``max_epsilon`` is not enough.
    """
    target = check_target(network, target)
    original = np.clip(_as_image(x), 0.0, 1.0)
    if not 0 < epsilon_step <= max_epsilon <= 1:
        raise ValueError(f"need 0 < epsilon_step <= max_epsilon <= 1, got {epsilon_step} and {max_epsilon}")
    p_before = network.probabilities(original).astype(np.float64)
    grad, before = _target_loss_gradient(network, original, target)
    adv, answer, steps, eps = original.copy(), before, 0, 0.0
    levels = np.arange(1, int(np.floor(max_epsilon / epsilon_step + 1e-9)) + 1) * epsilon_step
    for level in levels if before != target else ():
        for _ in range(int(steps_per_epsilon)):
            # Step against the gradient's sign, then back into the budget around the original and into [0, 1].
            adv = np.clip(np.clip(adv - level / 4 * np.sign(grad), original - level, original + level), 0.0, 1.0)
            steps, eps = steps + 1, float(level)
            grad, answer = _target_loss_gradient(network, adv, target)
            if answer == target:
                break
        if answer == target:
            break
    p_after = network.probabilities(adv).astype(np.float64)
    change = float(np.abs(adv - original).max())
    shown = float(p_after[0] if target == 1 else 1 - p_after[0]) if network.is_binary else float(p_after[target])
    t_text = _answer_text(network, target)
    if before == target:
        message = f"It already answers {t_text} ({shown:.0%}); nothing to change"
    elif answer == target:
        message = f"No pixel changed by more than {change:.2f}, and it answers {t_text} ({shown:.0%})"
    else:
        message = (f"Could not make it answer {t_text} within \u00b1{max_epsilon:g} per pixel; it still says "
                   f"{_answer_text(network, answer)} ({t_text} at {shown:.0%})")
    img = adv.reshape(28, 28).astype(np.float32)
    orig = original.reshape(28, 28).astype(np.float32)
    return FoolResult(target, answer == target, eps, img, orig, img - orig, p_before, p_after,
                      before, answer, steps, message)
