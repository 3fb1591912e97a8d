"""The panels' explanations, the tour's order and the verdict on a prediction (no Qt)."""

from __future__ import annotations

import pytest

from visualizer.session.explanations import (
    EXPLANATIONS,
    NETWORK,
    TIMELINE,
    TOUR_ORDER,
    explanation,
    guess_threshold,
    shading_legend,
    tour_steps,
    verdict,
)

PANELS = ("Training", "Draw", "Test set", "Neurons", "Gradients", "Weights", "Curves")


@pytest.mark.parametrize("title", (NETWORK, TIMELINE, *PANELS))
def test_every_part_is_explained_in_words_that_name_its_subject(title):
    e = explanation(title)
    assert e is not None and e.title == title
    assert 80 < len(e.text) < 700  # a few sentences, not a page
    text = e.text.lower()
    assert e.terms and all(term in text for term in e.terms)
    assert e.caption().startswith(title)


def test_the_network_explanation_covers_the_beginners_words():
    text = explanation(NETWORK).text.lower()
    for word in ("neuron", "activation", "weight", "bias", "softmax"):
        assert word in text
    assert "loss" in explanation("Gradients").text.lower() and "gradient" in explanation("Gradients").text.lower()
    assert "timeline" in " ".join(explanation(TIMELINE).terms)


def test_the_tour_follows_the_lesson_order_and_skips_what_is_hidden():
    shown = [TIMELINE, "Curves", "Draw", NETWORK, "Weights"]  # as the window lists them
    assert [e.title for e in tour_steps(shown)] == [NETWORK, "Draw", "Weights", "Curves", TIMELINE]
    assert set(TOUR_ORDER) == set(EXPLANATIONS)


def test_a_panel_the_tour_does_not_know_still_gets_a_step():
    steps = tour_steps([NETWORK, "Histogram"])
    assert [e.title for e in steps] == [NETWORK, "Histogram"] and steps[1].text


def test_a_right_answer_at_chance_confidence_is_a_guess():
    v = verdict(4, 4, 0.12)
    assert v.right and v.guess and "guess" in v.words and "12%" in v.note and "10%" in v.note
    assert not verdict(4, 4, 0.93).guess
    wrong = verdict(3, 4, 0.12)
    assert not wrong.right and not wrong.guess and wrong.mark == "✗"
    assert guess_threshold(10) == pytest.approx(0.2)
    assert guess_threshold(2) == pytest.approx(0.6)  # a yes/no neuron: chance is 50%
    assert verdict(1, 1, 0.55, num_classes=2).guess and not verdict(1, 1, 0.9, num_classes=2).guess


def test_the_shading_legend_names_negative_activations():
    left, right, tip = shading_legend()
    assert "−" in left and "+" in right and "negative" in tip.lower()


def _network(sizes, digit=None):
    import numpy as np

    from visualizer.core.network import Network

    weights = [np.zeros((a, b), np.float32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [np.zeros(b, np.float32) for b in sizes[1:]]
    return Network.from_arrays(weights, biases, "relu", digit=digit)


def test_the_network_text_names_no_theme_bound_shade():
    """"Brighter means a larger activation" is wrong in the light theme, where larger is darker."""
    for net in (None, _network((784, 16, 10)), _network((784, 1), digit=6)):
        text = explanation(NETWORK, net).text
        assert "brighter" not in text.lower() and "darker" not in text.lower()
        assert "stronger shade" in text and "key" in text


def test_the_network_text_says_what_this_networks_outputs_do():
    ten = explanation(NETWORK, _network((784, 16, 16, 10))).text
    assert "10 outputs" in ten and "softmax" in ten and "sigmoid" not in ten
    one = explanation(NETWORK, _network((784, 1), digit=6))
    assert "softmax" not in one.text and "sigmoid" in one.text and "is it a 6?" in one.text
    assert "single neuron" in one.text and all(term in one.text.lower() for term in one.terms)
    hidden = explanation(NETWORK, _network((784, 16, 16, 1), digit=3)).text
    assert "is it a 3?" in hidden and "single neuron" not in hidden
    # No network yet: the text covers both kinds of output.
    both = explanation(NETWORK).text
    assert "softmax" in both and "sigmoid" in both
    # The tour says the same as the "?".
    assert tour_steps([NETWORK], _network((784, 1), digit=6))[0].text == one.text
    # The other panels are not changed by a network.
    assert explanation("Curves", _network((784, 1), digit=6)) == explanation("Curves")
