"""Test helpers for timelines: tiny networks whose weights say their step, and a trainer-like feeder."""

from __future__ import annotations

import numpy as np

from visualizer.core.network import Network
from visualizer.core.timeline import Batches, Timeline

SIZES = (784, 2, 10)
ROW = 784 * 2 + 2 + 2 * 10 + 10  # parameters of a 784-2-10 network
ROW_BYTES = ROW * 4


def network(value: float = 0.0, sizes=SIZES, activation="relu") -> Network:
    """A network whose every weight and bias is ``value`` (so a moment's step can be read back from it)."""
    weights = [np.full((a, b), value, np.float32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [np.full(b, value, np.float32) for b in sizes[1:]]
    return Network.from_arrays(weights, biases, activation)


def row(step: int) -> np.ndarray:
    return np.full(ROW, float(step), np.float32)


def feed(timeline: Timeline, batches: int, *, per_epoch: int, block: int = 7, start: int | None = None,
         every_row: bool = True, epoch: int = 0, trainer_like: bool = False) -> None:
    """Append ``batches`` batches as the trainer does: blocks that never cross an epoch end.

    Batch at step s has loss s and accuracy 1/s, and its weights are all ``s``. ``every_row``:
    one weight row per batch (else only what the capture plan asks for, plus the last);
    ``trainer_like``: the captured rows as one 2-D block, then the last row, as the trainer sends them.
    """
    step = timeline.last_step if start is None else start
    pos = 0
    done = 0
    while done < batches:
        n = min(block, per_epoch - pos, batches - done)
        steps = list(range(step + 1, step + n + 1))
        stride, keep_until = timeline.capture_plan()
        captured = [s for s in steps if every_row or s <= keep_until or s % stride == 0 or s == steps[-1]]
        if captured[-1] != steps[-1]:
            captured.append(steps[-1])
        timeline.append(Batches(
            first_step=step + 1, epoch=epoch, first_batch=pos + 1, batches_per_epoch=per_epoch,
            loss=np.array(steps, np.float32), accuracy=1.0 / np.array(steps, np.float32),
            weight_steps=captured, weights=_weights(captured, trainer_like), epoch_end=pos + n == per_epoch,
        ))
        step, pos, done = step + n, pos + n, done + n
        if pos == per_epoch:
            timeline.set_validation(step, -step, step / 1e6)
            pos, epoch = 0, epoch + 1


def _weights(steps: list[int], trainer_like: bool) -> list[np.ndarray]:
    if not trainer_like:
        return [row(s) for s in steps]
    captured = np.array([row(s) for s in steps[:-1]], dtype=np.float32).reshape(-1, ROW)
    return [captured, row(steps[-1])] if len(captured) else [row(steps[-1])]


def started(budget_moments: int, **kwargs) -> Timeline:
    tl = Timeline(budget_moments * ROW_BYTES, **kwargs)
    tl.extend(network(0.0))
    return tl
