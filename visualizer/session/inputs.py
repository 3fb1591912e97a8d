"""The network's current input and its analysis, computed once per (network, input) and shared by every view."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from visualizer.core.config import INPUT_SIZE
from visualizer.core.network import Network
from visualizer.core.saliency import saliency


class InputSource(Enum):
    """Where the current input came from."""

    DRAWING = "drawing"
    IMAGE = "image"
    TEST_DIGIT = "test digit"


@dataclass(frozen=True, eq=False)
class CurrentInput:
    """One 28×28 input as the network sees it: 784 values in [0, 1], read-only.

    ``label`` is the true digit when known (a test digit); ``name`` says what it is in captions
    ("Test digit #12", "Image seven.png", "Your drawing"); ``test_index`` is set for test digits.
    """

    vector: np.ndarray
    source: InputSource = InputSource.DRAWING
    label: int | None = None
    name: str = "Your drawing"
    test_index: int | None = None

    def __post_init__(self):
        x = np.array(self.vector, dtype=np.float32).reshape(-1)
        if x.size != INPUT_SIZE:
            raise ValueError(f"expected {INPUT_SIZE} values, got {x.size}")
        x.flags.writeable = False
        object.__setattr__(self, "vector", x)
        if self.label is not None:
            object.__setattr__(self, "label", int(self.label))

    def same_pixels(self, other: CurrentInput | None) -> bool:
        return other is not None and (other.vector is self.vector or np.array_equal(other.vector, self.vector))


@dataclass(frozen=True, eq=False)
class InputAnalysis:
    """Everything the views show about one input under one network, computed once.

    ``activations`` is ``[input, hidden_1, ..., output]``; ``probabilities`` the output layer;
    ``predicted`` the winning class (for a one-neuron network: 1 = yes); ``saliency`` gradient ×
    input of the winning class, (784,), computed on first use.
    """

    network: Network
    vector: np.ndarray
    activations: list[np.ndarray]
    _saliency: list = field(default_factory=list, repr=False)

    @property
    def probabilities(self) -> np.ndarray:
        return self.activations[-1]

    @property
    def predicted(self) -> int:
        p = self.probabilities
        return int(p[0] >= 0.5) if self.network.is_binary else int(np.argmax(p))

    @property
    def confidence(self) -> float:
        p = self.probabilities
        return float(p[0] if self.predicted else 1.0 - p[0]) if self.network.is_binary else float(p[self.predicted])

    @property
    def saliency(self) -> np.ndarray:
        if not self._saliency:
            net = self.network
            target = 0 if net.is_binary else self.predicted
            self._saliency.append(saliency(net, self.vector, target))
        return self._saliency[0]

    @property
    def finite(self) -> bool:
        return bool(np.isfinite(self.probabilities).all())


class AnalysisCache:
    """Latest-wins memo of :class:`InputAnalysis` by (network identity, input pixels).

    A handful of entries is enough: while training, each new snapshot's network replaces the
    old one; the views of one frame (network view, pad, test browser) then share one entry. The
    pixels are keyed by content (hashing 784 floats costs about a microsecond), so the test
    browser's row of the test set and the pad's copy of it are one input.
    ``computed`` counts forward passes actually run (the tests assert it).
    """

    def __init__(self, size: int = 4):
        self._size = size
        self._entries: OrderedDict[tuple[int, int], InputAnalysis] = OrderedDict()
        self.computed = 0

    def analyze(self, network: Network, vector: np.ndarray) -> InputAnalysis:
        x = np.asarray(vector, dtype=np.float32).reshape(-1)
        key = (id(network), hash(x.tobytes()))
        hit = self._entries.get(key)
        if hit is not None and hit.network is network and np.array_equal(hit.vector, x):
            self._entries.move_to_end(key)
            return hit
        x = x.copy()
        x.flags.writeable = False
        with np.errstate(all="ignore"):  # enormous imported weights may overflow; views check .finite
            result = InputAnalysis(network, x, network.forward(x))
        self.computed += 1
        self._entries[key] = result
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return result

    def clear(self) -> None:
        self._entries.clear()
