"""User-facing error types: each carries one readable sentence for a dialog or a CLI line."""


class NnvizError(Exception):
    """An error whose message is meant for the user (no traceback needed)."""


class DataError(NnvizError):
    """A dataset could not be found, read or validated."""


class WeightsError(NnvizError):
    """A weights file could not be read, validated or written."""


class ConfigError(NnvizError):
    """A training setting is out of range or inconsistent."""


class TrainingDiverged(NnvizError):
    """The loss became NaN or infinite; the last good weights were kept."""


class RunFileError(NnvizError):
    """A run file (a recorded run) could not be read, validated or written."""
