"""Presets: each one produces the config of what it follows (no Qt, no TensorFlow)."""

import pytest

from visualizer.core.config import TrainingConfig
from visualizer.session.presets import PRESETS, matching_preset, preset, preset_name


def _shape(config: TrainingConfig) -> tuple:
    return (config.layer_sizes, config.activation, config.optimizer, config.learning_rate, config.batch_size,
            config.epochs, config.one_vs_rest, config.train_subset)


EXPECTED = {
    "keras": ((784, 16, 16, 10), "relu", "sgd", 0.01, 32, 5, None, None),
    "one_hidden": ((784, 32, 10), "relu", "adam", 1e-3, 32, 5, None, None),
    "3b1b": ((784, 16, 16, 10), "sigmoid", "adam", 3e-3, 32, 5, None, None),
    "no_hidden": ((784, 10), "relu", "adam", 1e-3, 32, 5, None, None),
    "one_neuron": ((784, 1), "relu", "adam", 1e-3, 32, 10, 6, None),
    "lr_too_high": ((784, 16, 16, 10), "relu", "sgd", 3.0, 32, 3, None, None),
    "too_narrow": ((784, 16, 2, 10), "relu", "adam", 1e-3, 32, 5, None, None),
    "overfitting": ((784, 64, 64, 10), "relu", "adam", 1e-3, 32, 100, None, 500),
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_preset_produces_its_config(key):
    p = preset(key)
    config = p.config()
    assert _shape(config) == EXPECTED[key]
    assert matching_preset(config) is p and matching_preset(config.with_changes(seed=7)) is p
    assert p.name and p.follows


def test_every_preset_is_tested_and_named_once():
    assert sorted(p.key for p in PRESETS) == sorted(EXPECTED)
    assert len({p.name for p in PRESETS}) == len(PRESETS)


def test_the_one_neuron_digit_is_selectable():
    p = preset("one_neuron")
    assert p.digit_selectable and not preset("keras").digit_selectable
    config = p.config(digit=3)
    assert config.one_vs_rest == 3 and config.task == "is it a 3?"
    assert preset_name(p, 3) == "One neuron: is it a 3?" and preset_name(p) == "One neuron: is it a 6?"
    assert matching_preset(config) is p
    assert preset("keras").config(digit=3).one_vs_rest is None


def test_a_changed_config_matches_no_preset():
    assert matching_preset(preset("keras").config().with_changes(epochs=6)) is None
    with pytest.raises(KeyError):
        preset("nope")
