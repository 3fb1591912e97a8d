"""User-facing wording shared by the session and its views: errors as one sentence, joined sentences."""

from __future__ import annotations

from visualizer.core.config import DATA_ENV_VAR as ENV_VAR
from visualizer.core.errors import NnvizError
from visualizer.core.safeio import one_line

OPEN_ANOTHER = "open another dataset with File ▸ Open dataset…"


def describe_error(exc: BaseException) -> str:
    """One line for a dialog or banner: our own errors carry it; anything else gets its type named."""
    if isinstance(exc, NnvizError):
        return one_line(str(exc))
    text = one_line(str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def join_sentences(*parts: str) -> str:
    """Join message parts as sentences: each ends with a full stop (unless it has its own
    punctuation) and starts with a capital letter."""
    out = []
    for part in (str(p).strip() for p in parts):
        if not part:
            continue
        part = part[0].upper() + part[1:]
        out.append(part if part[-1] in ".!?…" else part + ".")
    return " ".join(out)


def dataset_failed_message(spec, exc: BaseException) -> str:
    """The banner when the dataset the user named (``--data``, or $NNVIZ_DATA when ``spec`` is
    None) cannot be used and synthetic digits stand in."""
    where = "given with --data" if spec is not None else f"named by ${ENV_VAR}"
    return join_sentences(f"Could not open the dataset {where} \N{EM DASH} {describe_error(exc)}",
                          f"Training on synthetic digits instead; {OPEN_ANOTHER}")


def offline_message(reason: str) -> str:
    """The banner when no source was given and Keras' MNIST download is unavailable."""
    return join_sentences(reason, f"Synthetic digits stand in for MNIST; {OPEN_ANOTHER}")


def shape_text(config) -> str:
    """'784-16-16-10 relu' for a TrainingConfig ('784-10', '784-1 (is it a 6?)' without hidden layers)."""
    text = "-".join(map(str, config.layer_sizes)) + (f" {config.activation}" if config.hidden else "")
    return text if config.one_vs_rest is None else f"{text} ({config.task})"
