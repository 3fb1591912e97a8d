"""View options as enums, one definition each: the weight maps' colour range mode and the theme."""

from __future__ import annotations

from enum import Enum


class RangeMode(Enum):
    """How the weight maps' symmetric colour ranges follow the weights (the value is what settings store)."""

    GROW = "grow"  # widen when the weights outgrow it, never narrow during a run (the default)
    LOCK = "lock"  # stay where they were when chosen
    AUTO = "auto"  # fit each update

    @classmethod
    def parse(cls, value, default: RangeMode | None = None) -> RangeMode:
        """The mode named by ``value`` (a stored string or a RangeMode); ``default`` for anything else."""
        try:
            return value if isinstance(value, cls) else cls(str(value))
        except ValueError:
            if default is None:
                raise ValueError(f"unknown range mode {value!r} (expected one of "
                                 f"{', '.join(m.value for m in cls)})") from None
            return default


class Theme(Enum):
    """The colour theme: follow the system's light/dark scheme, or force one."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"

    @classmethod
    def parse(cls, value, default: Theme | None = None) -> Theme:
        try:
            return value if isinstance(value, cls) else cls(str(value))
        except ValueError:
            if default is None:
                raise ValueError(f"unknown theme {value!r}") from None
            return default
