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


class ActivationRequired(WeightsError):
    """A weights file stores kernels and biases but not the activations, and none was given.

    nnviz never guesses them: the caller asks the user (``--activation``, a choice in the window)
    and reads the file again. ``path`` is the file, ``choices`` the hidden activations to offer,
    ``reason`` what the file is and why it cannot say (for callers that word the request their way).
    """

    def __init__(self, message: str, path: str, choices: tuple[str, ...], reason: str = ""):
        super().__init__(message)
        self.path = path
        self.choices = choices
        self.reason = reason


class RunFileError(NnvizError):
    """A run file (a recorded run) could not be read, validated or written."""
