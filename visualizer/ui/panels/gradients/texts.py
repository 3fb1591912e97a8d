"""The gradient views' words: hover texts for neurons, connections and pixels, and the loss line."""

from __future__ import annotations

import numpy as np

from visualizer.core.config import yes_no_text
from visualizer.session.gradients import EdgeDetails, GradientMoment, NeuronDetails

MINUS = "\N{MINUS SIGN}"


def num(value: float, digits: int = 3) -> str:
    """A signed number with a real minus sign, in ``digits`` significant figures (1.2e-05 for tiny ones)."""
    if value == 0:
        return "0"  # never '+0' or '−0'
    return f"{value:+.{digits}g}".replace("-", MINUS)


def _neuron_name(moment: GradientMoment, layer: int, index: int) -> str:
    names = moment.network.layer_names
    if layer == len(names) - 1:
        return f"Output ({moment.network.question})" if moment.network.is_binary else f"Output {index}"
    return f"{names[layer]} #{index}"


def wants(value: float) -> str:
    """How a desired change reads: 'should go up' for +, 'down' for -, nothing asked for 0."""
    if value > 0:
        return "should go up"
    if value < 0:
        return "should go down"
    return "nothing asked (no error reaches it)"


def neuron_text(moment: GradientMoment, d: NeuronDetails) -> str:
    """What one neuron did for this example, the error it got and what one SGD step changes."""
    output = d.layer == len(moment.network.layer_sizes) - 1
    word = "probability" if output else "activation"
    lr = f"{moment.learning_rate:g}"
    lines = [_neuron_name(moment, d.layer, d.index),
             f"{word} {d.activation:.4f}" + ("" if output else f"  (z = {d.pre_activation:.3f})"),
             f"δ = ∂L/∂z = {num(d.delta)}: {wants(-d.delta)}",
             f"∂L/∂b = δ = {num(d.delta)}",
             f"one SGD step (lr {lr}): bias {num(d.bias_change, 3)}; {word} for this input "
             f"{d.activation:.4f} → {d.activation_after:.4f}"]
    if output and moment.network.is_binary:  # one neuron: the target is its answer, yes (1) or no (0)
        lines.insert(2, f"nudge {num(-d.delta)} ({'the answer should be yes: up' if moment.target else 'the answer should be no: down'})")
    elif output:
        target = moment.target == d.index
        lines.insert(2, f"nudge {num(-d.delta)} ({'the target: up' if target else 'not the target: down'})")
    return "\n".join(lines)


def edge_text(moment: GradientMoment, e: EdgeDetails) -> str:
    """What one weight carried and which way it wants to move."""
    lr = f"{moment.learning_rate:g}"
    src = "pixel " + str(divmod(e.source, 28)) if e.pair == 0 else _neuron_name(moment, e.pair, e.source)
    return "\n".join([
        f"{src} → {_neuron_name(moment, e.pair + 1, e.target)}",
        f"weight {num(e.weight)}",
        f"∂L/∂w = input × δ = {e.source_activation:.3f} × {num(e.target_delta)} = {num(e.gradient)}",
        f"−∂L/∂w {num(-e.gradient)}: this weight {wants(-e.gradient)}",
        f"one SGD step (lr {lr}): {num(e.change)} → {num(e.weight + e.change, 5)}",
    ])


def neuron_summary(moment: GradientMoment, d: NeuronDetails) -> str:
    """The hover inset's few short lines for a neuron (the readout under the diagram has the rest)."""
    output = d.layer == len(moment.network.layer_sizes) - 1
    word = "p" if output else "a"
    return "\n".join([_neuron_name(moment, d.layer, d.index),
                      f"{word} = {d.activation:.3f}, δ = {num(d.delta)}",
                      wants(-d.delta),
                      f"one step: {word} → {d.activation_after:.4f}"])


def edge_summary(moment: GradientMoment, e: EdgeDetails) -> str:
    """The hover inset's short lines for a connection."""
    src = "pixel " + str(divmod(e.source, 28)) if e.pair == 0 else _neuron_name(moment, e.pair, e.source)
    return "\n".join([f"{src} → {_neuron_name(moment, e.pair + 1, e.target)}",
                      f"w = {num(e.weight)}, −∂L/∂w = {num(-e.gradient)}",
                      f"one step: w → {num(e.weight + e.change, 5)}"])


def pixel_text(moment: GradientMoment, index: int) -> str:
    """One input pixel: its value and how the loss would change with it."""
    r, c = divmod(int(index), 28)
    value = float(moment.current.vector[index])
    lines = [f"Input pixel ({r}, {c})", f"value {value:.3f}"]
    g = moment.gradient
    if g is not None:
        dx = float(g.input_gradient[index])
        effect = ("a brighter pixel would lower the loss" if dx < 0 else
                  "a darker pixel would lower the loss" if dx > 0 else "the loss does not depend on it")
        lines.append(f"∂L/∂x = {num(dx)}: {effect}")
    return "\n".join(lines)


def loss_text(moment: GradientMoment) -> str:
    """'Loss −log p(3) = −log 0.1240 = 2.0875 (guess 5, wrong)' in rich text."""
    g = moment.gradient
    t = moment.target
    if moment.network.is_binary:
        return binary_loss_text(moment)
    p = float(g.probabilities[t])
    guess = int(np.argmax(g.probabilities))
    verdict = "right" if guess == t else "wrong"
    return (f"Loss = −log p({t}) = −log {p:.4f} = <b>{g.loss:.4f}</b> &nbsp; (it says {guess}: {verdict})")


TILES_TITLE = "−∂L/∂W₁: what this example asks of each first-layer neuron's 28×28 template (red: grow)"


def tiles_title(network) -> str:
    """The first-layer tiles' title: whose 28×28 templates they are (hidden neurons', or with no
    hidden layer the outputs' own)."""
    if network is None or network.hidden:
        return TILES_TITLE
    if network.is_binary:
        return ("−∂L/∂W₁: what this example asks of the output neuron's 28×28 template: with no hidden "
                "layer each pixel's weight goes straight to it (red: grow)")
    return ("−∂L/∂W₁: what this example asks of each output's 28×28 template, one per digit: with no "
            "hidden layer the pixels' weights go straight to the outputs (red: grow)")


def target_text(moment: GradientMoment) -> str:
    """The target in words: "3", or for one neuron "yes, a 6" / "no, not a 6"."""
    if moment.network.is_binary:
        return yes_no_text(bool(moment.target), moment.network.digit)
    return str(moment.target)


def binary_loss_text(moment: GradientMoment) -> str:
    """'Loss = −log(1 − P(6)) = −log 0.9100 = 0.0943 (it says no: right)': binary cross-entropy of one neuron."""
    g, net = moment.gradient, moment.network
    p_yes = float(g.probabilities[0])
    name = "yes" if net.digit is None else str(net.digit)
    p, term = (p_yes, f"P({name})") if moment.target else (1.0 - p_yes, f"(1 − P({name}))")
    said = p_yes >= 0.5
    verdict = "right" if said == bool(moment.target) else "wrong"
    return (f"Loss = −log {term} = −log {p:.4f} = <b>{g.loss:.4f}</b> &nbsp; "
            f"(it says {'yes' if said else 'no'}: {verdict})")
