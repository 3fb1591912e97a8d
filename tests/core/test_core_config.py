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
        (dict(hidden=()), "hidden"),
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
    for bad in ("", " , ", "16,x", "1.5"):
        with pytest.raises(ConfigError):
            parse_hidden(bad)


def test_with_changes_validates_and_compares_architecture():
    config = TrainingConfig()
    wider = config.with_changes(hidden=[32, 16])
    assert wider.hidden == (32, 16) and wider.parameter_count == 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    assert not config.same_architecture(wider)
    assert config.same_architecture(config.with_changes(learning_rate=0.01))
    with pytest.raises(ConfigError):
        config.with_changes(batch_size=-5)
    assert config.to_dict()["hidden"] == [16, 16] and "extra" not in config.to_dict()
