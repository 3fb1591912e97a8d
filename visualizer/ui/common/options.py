"""View options as enums, one definition each: the weight maps' colour range mode and the theme."""

from __future__ import annotations

from enum import Enum


class _Option(Enum):
    """An option whose value is what the settings store."""

    @classmethod
    def parse(cls, value, default=None):
        """The member named by ``value`` (a stored string or a member); ``default`` for anything else.

        Without a default, an unknown value is a ValueError naming the choices.
        """
        try:
            return value if isinstance(value, cls) else cls(str(value))
        except ValueError:
            if default is None:
                choices = ", ".join(m.value for m in cls)
                raise ValueError(f"unknown {cls.__name__} {value!r} (expected one of {choices})") from None
            return default


class RangeMode(_Option):
    """How the weight maps' symmetric colour ranges follow the weights."""

    GROW = "grow"  # widen when the weights outgrow it, never narrow during a run (the default)
    LOCK = "lock"  # stay where they were when chosen
    AUTO = "auto"  # fit each update


class Theme(_Option):
    """The colour theme: follow the system's light/dark scheme, or force one."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


class WeightView(_Option):
    """What the weight maps draw: the weights of the moment shown, or what training changed."""

    WEIGHTS = "weights"
    BATCH_CHANGE = "batch"  # the change the moment's own batch made
    TOTAL_CHANGE = "start"  # the change since the first recorded moment (batch 0)
