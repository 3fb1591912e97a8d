"""Remembered preferences (QSettings, org "nnviz", app "nnviz"): training config, view options, layout."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings

from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ConfigError
from visualizer.session.moments import DEFAULT_PACE
from visualizer.ui.common.options import RangeMode, Theme

ORG = "nnviz"
APP = "nnviz"
REDRAW_RATES = (10, 30, 60)
DEFAULT_REDRAW_HZ = 30
KEPT_ON_RESET = ("paths",)  # groups Reset settings leaves alone: the folders last used are no trap


def open_settings() -> QSettings:
    """The app's settings store: the application's own names when set (run_app sets "nnviz";
    tests set their own and redirect the folder with QSettings.setPath), else org/app "nnviz"."""
    if QCoreApplication.organizationName() and QCoreApplication.applicationName():
        return QSettings()
    return QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope, ORG, APP)


def _int(s: QSettings, key: str, default: int) -> int:
    try:
        return int(s.value(key, default))
    except (TypeError, ValueError):
        return default


def _bool(s: QSettings, key: str, default: bool) -> bool:
    value = s.value(key, default)
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


_OPTIONAL_INTS = ("one_vs_rest", "train_subset")  # TrainingConfig fields that may be None


class Settings:
    """Typed access to the few values nnviz remembers; bad stored values fall back to defaults."""

    def __init__(self, store: QSettings | None = None):
        self._s = store or open_settings()

    # -- training config ------------------------------------------------------------------
    def config(self) -> TrainingConfig:
        d = TrainingConfig().to_dict()
        self._s.beginGroup("training")
        try:
            for key, default in d.items():
                value = self._s.value(key, None)
                if value is None:
                    continue
                if key == "hidden":
                    items = value if isinstance(value, list) else str(value).split(",")
                    d[key] = [int(v) for v in items if str(v).strip()]
                elif key in _OPTIONAL_INTS:  # None is stored as "" (QSettings keeps no None)
                    d[key] = int(value) if str(value).strip() else None
                else:
                    d[key] = type(default)(value)
            return TrainingConfig(**d)
        except (TypeError, ValueError, ConfigError):
            return TrainingConfig()
        finally:
            self._s.endGroup()

    def set_config(self, config: TrainingConfig) -> None:
        self._s.beginGroup("training")
        for key, value in config.to_dict().items():
            if key == "hidden":
                value = ",".join(map(str, value))
            elif key in _OPTIONAL_INTS and value is None:
                value = ""
            self._s.setValue(key, value)
        self._s.endGroup()

    # -- view options ---------------------------------------------------------------------
    @property
    def redraw_hz(self) -> int:
        hz = _int(self._s, "view/redraw_hz", DEFAULT_REDRAW_HZ)
        return hz if hz in REDRAW_RATES else DEFAULT_REDRAW_HZ

    @redraw_hz.setter
    def redraw_hz(self, hz: int) -> None:
        self._s.setValue("view/redraw_hz", int(hz))

    @property
    def pace(self) -> float | None:
        """Training speed in batches per second (None: full speed); a new user gets a watchable pace."""
        value = str(self._s.value("run/pace", "default"))
        if value == "full":
            return None
        try:
            pace = float(value)
        except ValueError:
            return DEFAULT_PACE
        return pace if 0 < pace <= 1e6 else DEFAULT_PACE

    @pace.setter
    def pace(self, value: float | None) -> None:
        self._s.setValue("run/pace", "full" if value is None else repr(float(value)))

    @property
    def theme(self) -> Theme:
        return Theme.parse(self._s.value("view/theme", Theme.SYSTEM.value), Theme.SYSTEM)

    @theme.setter
    def theme(self, value: Theme | str) -> None:
        self._s.setValue("view/theme", Theme.parse(value).value)

    @property
    def weight_range(self) -> RangeMode:
        """How the weight maps' colour ranges follow the weights (default: they grow)."""
        # A new key: the old "view/range_locked" defaulted to a lock that saturated every map.
        return RangeMode.parse(self._s.value("view/weight_range", RangeMode.GROW.value), RangeMode.GROW)

    @weight_range.setter
    def weight_range(self, value: RangeMode | str) -> None:
        self._s.setValue("view/weight_range", RangeMode.parse(value).value)

    def last_dir(self, kind: str) -> str:
        return str(self._s.value(f"paths/{kind}", ""))

    def set_last_dir(self, kind: str, path: str) -> None:
        self._s.setValue(f"paths/{kind}", path)

    # -- window layout --------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def state(self) -> QByteArray | None:
        value = self._s.value("window/state")
        return value if isinstance(value, QByteArray) else None

    def set_layout(self, geometry: QByteArray, state: QByteArray) -> None:
        self._s.setValue("window/geometry", geometry)
        self._s.setValue("window/state", state)

    def reset(self) -> None:
        """Forget every remembered preference (config, view options, layout) except the folders last used."""
        for key in self._s.childKeys() + self._s.childGroups():
            if key not in KEPT_ON_RESET:
                self._s.remove(key)

    def sync(self) -> None:
        self._s.sync()
