"""TrainingConfig: every bad setting is one readable ConfigError, the default is 784-16-16-10."""

import pytest

from visualizer.core.config import TrainingConfig, parse_hidden
from visualizer.core.errors import ConfigError


def test_default_network_has_13002_parameters():
    config = TrainingConfig()
    assert config.layer_sizes == (784, 16, 16, 10)
    assert config.parameter_count == 13002


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(hidden=(16,) * 7), "hidden"),
        (dict(hidden=(0,)), "between 1 and 1024"),
        (dict(hidden=(2048,)), "between 1 and 1024"),
        (dict(hidden=("a",)), "whole numbers"),
        (dict(activation="gelu"), "activation"),
        (dict(optimizer="rmsprop"), "optimizer"),
        (dict(learning_rate=0), "learning rate"),
        (dict(learning_rate=float("nan")), "learning rate"),
        (dict(learning_rate="fast"), "numbers"),
        (dict(momentum=1.0), "momentum"),
        (dict(batch_size=0), "batch size"),
        (dict(epochs=0), "epochs"),
        (dict(validation_split=1.0), "validation split"),
        (dict(seed=-1), "seed"),
    ],
)
def test_invalid_settings_raise_config_error(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainingConfig(**changes)


def test_parse_hidden():
    assert parse_hidden("16,16") == (16, 16)
    assert parse_hidden("32 16") == (32, 16)
    assert parse_hidden(" 64, 32 ,10 ") == (64, 32, 10)
    for bad in (" , ", "16,x", "1.5"):
        with pytest.raises(ConfigError):
            parse_hidden(bad)


@pytest.mark.parametrize("text", ["", "none", " None "])
def test_no_hidden_layer_is_softmax_regression(text):
    config = TrainingConfig(hidden=parse_hidden(text))
    assert config.hidden == () and config.layer_sizes == (784, 10)
    assert config.parameter_count == 784 * 10 + 10


def test_one_vs_rest_is_one_output_neuron():
    config = TrainingConfig(hidden=(), one_vs_rest=6)
    assert config.layer_sizes == (784, 1) and config.outputs == 1
    assert config.task == "is it a 6?" and TrainingConfig(one_vs_rest=8).task == "is it an 8?"
    assert TrainingConfig().task == "digits 0–9"
    assert not config.same_architecture(config.with_changes(one_vs_rest=None))
    assert config.same_architecture(config.with_changes(one_vs_rest=6, epochs=2))
    assert config.to_dict()["one_vs_rest"] == 6
    assert TrainingConfig(**config.to_dict()) == config


@pytest.mark.parametrize("bad", [10, -1, 2.5, True, "six"])
def test_one_vs_rest_digit_is_validated(bad):
    with pytest.raises(ConfigError):
        TrainingConfig(one_vs_rest=bad)


def test_train_subset_is_validated():
    assert TrainingConfig(train_subset=500).train_subset == 500
    with pytest.raises(ConfigError, match="subset"):
        TrainingConfig(train_subset=0)
    # Too many images: the message names the real limit, not "at least 1 image".
    with pytest.raises(ConfigError, match=r"between 1 and 10,000,000 images \(got 99,999,999\)"):
        TrainingConfig(train_subset=99_999_999)
    with pytest.raises(ConfigError, match=r"between 1 and 10,000,000 images \(got 0\)"):
        TrainingConfig(train_subset=0)


def test_with_changes_validates_and_compares_architecture():
    config = TrainingConfig()
    wider = config.with_changes(hidden=[32, 16])
    assert wider.hidden == (32, 16) and wider.parameter_count == 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    assert not config.same_architecture(wider)
    assert config.same_architecture(config.with_changes(learning_rate=0.01))
    with pytest.raises(ConfigError):
        config.with_changes(batch_size=-5)
    assert config.to_dict()["hidden"] == [16, 16] and "extra" not in config.to_dict()
