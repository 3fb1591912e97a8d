"""The pinned neuron as one session-level selection, and the network's idea of a digit through the session's jobs."""

from __future__ import annotations

import numpy as np
import pytest

from visualizer.core.dream import Dream, FoolResult, NoiseAnswer
from visualizer.session import CurrentInput, InputSource, NeuronRef, Selection
from visualizer.session.ideas import IdeaKind


def test_pin_toggle_hover_and_focus():
    selection = Selection()
    seen = []
    selection.changed.connect(lambda s: seen.append((s.pinned, s.hovered)))
    a, b = NeuronRef(1, 3), NeuronRef(2, 0)
    selection.hover(b)
    assert selection.focus == b
    selection.toggle(a)
    assert selection.pinned == a and selection.focus == a, "a pin outranks the mouse"
    selection.pin(a)  # the same again: no event
    selection.toggle(a)
    assert selection.pinned is None and seen == [(None, b), (a, b), (None, b)]
    with pytest.raises(ValueError):
        NeuronRef(-1, 0)


def test_a_pinned_neuron_the_new_network_lacks_is_released(make_session):
    session = make_session()
    session.start_loading()  # 784-16-16-10
    session.selection.pin(NeuronRef(1, 12))
    session.selection.hover(NeuronRef(2, 1))
    session.import_weights("w.npz")  # 784-3-3-10
    assert session.selection.pinned is None and session.selection.hovered == NeuronRef(2, 1)
    session.selection.pin(NeuronRef(3, 9))  # an output: every digit network has it
    session.reset()
    assert session.selection.pinned == NeuronRef(3, 9)


def ideas(session):
    got, failed = [], []
    session.ideas.ready.connect(got.append)
    session.ideas.failed.connect(lambda kind, text: failed.append((kind, text)))
    return got, failed


def test_dream_of_a_digit_and_of_a_hidden_neuron_can_be_sent_to_the_pad(make_session):
    session = make_session()
    session.start_loading()
    got, failed = ideas(session)
    assert session.ideas.dream_digit(3)
    (idea,) = got
    assert idea.kind is IdeaKind.DREAM and isinstance(idea.value, Dream) and idea.name == "Dream of 3"
    assert idea.image.shape == (28, 28) and 0 <= idea.image.min() and idea.image.max() <= 1
    assert idea.value.value > idea.value.value_start, "the ascent raised the digit's output"
    session.ideas.send_to_pad(idea)
    assert session.input.name == "Dream of 3" and session.input.source is InputSource.IMAGE
    np.testing.assert_allclose(session.input.vector, idea.image.reshape(-1), atol=1e-6)
    assert session.ideas.dream(NeuronRef(1, 4))
    assert got[-1].name == "Dream of Hidden 1 · neuron 4" and got[-1].neuron == NeuronRef(1, 4)
    assert not session.ideas.dream(NeuronRef(0, 5)) and failed[-1][0] is IdeaKind.DREAM


def test_feed_noise_makes_random_pixels_the_input_and_explains_the_answer(make_session):
    session = make_session()
    session.start_loading()
    got, _ = ideas(session)
    session.ideas.feed_noise()
    (idea,) = got
    assert isinstance(idea.value, NoiseAnswer) and "softmax always shares out 100%" in idea.value.explanation
    assert session.input.name == "Random noise"
    np.testing.assert_allclose(session.input.vector, idea.image.reshape(-1), atol=1e-6)
    session.ideas.feed_noise()
    assert not np.array_equal(got[0].image, got[1].image), "each press is new noise"


def test_fool_it_changes_the_current_input_and_needs_one(make_session):
    session = make_session()
    session.start_loading()
    got, failed = ideas(session)
    before = session.input
    assert session.ideas.fool(7)
    (idea,) = got
    assert isinstance(idea.value, FoolResult) and idea.value.target == 7
    np.testing.assert_allclose(idea.value.original.reshape(-1), before.vector, atol=1e-6)
    assert idea.name == "Test digit #1 fooled into 7"
    assert session.input is before, "the fooled image goes to the pad only when asked"
    session.set_input(None)
    assert not session.ideas.fool(7) and "Draw a digit" in failed[-1][1]


def test_only_the_newest_question_of_a_kind_is_answered(make_session, fakes):
    _, jobs, _ = fakes
    session = make_session()
    session.start_loading()
    got, _ = ideas(session)
    jobs.hold = True
    session.ideas.dream_digit(3)
    session.ideas.dream_digit(5)
    session.ideas.dream_digit(8)
    assert session.ideas.busy(IdeaKind.DREAM) and len(jobs.held) == 1
    jobs.release()
    assert [i.name for i in got] == ["Dream of 8"], "3 was asked before 8 and is moot; 5 never ran"
    assert session.ideas.latest[IdeaKind.DREAM] is got[0] and not session.ideas.busy(IdeaKind.DREAM)


def test_no_network_no_idea(make_session):
    session = make_session()  # still loading
    got, failed = ideas(session)
    assert not session.ideas.feed_noise() and failed == [(IdeaKind.NOISE, "There is no network yet.")]
    session.set_input(CurrentInput(np.zeros(784)))
    assert not session.ideas.fool(1) and not got


def test_a_network_of_another_depth_releases_every_pin(make_session):
    """Layer 2 of 784-16-16-10 is Hidden 2; of 784-32-10 it is the output: the same number, another neuron."""
    session = make_session()
    session.start_loading()  # 784-16-16-10
    selection = session.selection
    selection.fit((784, 16, 16, 10))
    selection.pin(NeuronRef(2, 5))
    selection.hover(NeuronRef(1, 3))
    selection.fit((784, 32, 10))
    assert selection.pinned is None and selection.hovered is None
    selection.pin(NeuronRef(1, 3))
    selection.fit((784, 64, 10))  # the same depth, a wider layer: Hidden 1 neuron 3 is still one
    assert selection.pinned == NeuronRef(1, 3)
