"""Neuron analysis: how each hidden neuron responds to each digit, its top images, histogram and dead flag.

:func:`analyze_neurons` runs a set of images (the test set, or a fixed sample of it) through a
:class:`~visualizer.core.network.Network` in chunks and returns one :class:`LayerResponses` per
hidden layer. Memory is bounded whatever the set's size: one chunk's activations
(``CHUNK_BYTES``), plus the hidden activations of the whole set only while they fit in
``KEEP_BYTES`` (they spare the histogram pass a second forward pass; 640 KB for 10,000 images
and 16 + 16 neurons).

"Fires" and "never fires" by activation:

- relu: a neuron fires on an image when its output is > 0; it never fires (is *dead*) when it
  outputs 0 for every image — it then passes nothing on and, with a zero gradient, never learns
  again (the classic dead ReLU).
- sigmoid, tanh, linear: the output is never exactly "off", so a neuron fires when it is above
  its midpoint (0.5 for sigmoid, 0 otherwise), and it counts as dead when its output is stuck:
  it varies by less than ``FLAT_TOLERANCE`` of the activation's range (1 for sigmoid, 2 for tanh,
  1 for linear) over the whole set. Such a neuron is saturated or constant: it tells the next
  layer the same thing for every digit and its gradient is (nearly) zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from visualizer.core.config import INPUT_SIZE, NUM_CLASSES
from visualizer.core.network import ACTIVATION_FUNCTIONS, Network

TOP_IMAGES = 9  # the 3x3 grid of most exciting digits per neuron
HISTOGRAM_BINS = 24
CHUNK_BYTES = 32 * 2**20  # per forward pass: input rows (when copied from a sample) and hidden activations
KEEP_BYTES = 64 * 2**20  # hidden activations up to this size are kept for the histogram pass, else recomputed
FLAT_TOLERANCE = 1e-3
_MIDPOINT = {"relu": 0.0, "sigmoid": 0.5, "tanh": 0.0, "linear": 0.0}
_SPAN = {"sigmoid": 1.0, "tanh": 2.0, "linear": 1.0}


def dead_rule(activation: str) -> str:
    """What "never fires" means for ``activation``, in words."""
    if activation == "relu":
        return "outputs 0 for every image"
    return f"output varies by less than {FLAT_TOLERANCE * _SPAN[activation]:g} over every image (stuck)"


@dataclass(frozen=True, eq=False)
class LayerResponses:
    """One hidden layer's responses over the analysed images (``units`` neurons, 10 digit classes).

    Attributes
    ----------
    layer, name, activation
        1-based layer index, "Hidden 1", and its activation.
    mean_by_class : np.ndarray
        (10, units) mean activation per true digit (rows) and neuron (columns); NaN for a digit
        with no images.
    class_counts : np.ndarray
        (10,) images per digit.
    mean, minimum, maximum, fire_rate : np.ndarray
        (units,) over all images; ``fire_rate`` is the share of images it fires on.
    top_images, top_values : np.ndarray
        (units, k): rows of the given images that excite each neuron most, strongest first, and
        the activations they cause.
    top_by_class, top_by_class_values : np.ndarray
        (10, units, k): the same within each digit; index -1 and value NaN where a digit has fewer
        than k images.
    histogram, histogram_edges : np.ndarray
        (units, bins) counts and (units, bins + 1) edges, each neuron over its own range.
    dead : np.ndarray
        (units,) bool: never fires on these images (see the module notes).
    """

    layer: int
    name: str
    activation: str
    mean_by_class: np.ndarray
    class_counts: np.ndarray
    mean: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    fire_rate: np.ndarray
    top_images: np.ndarray
    top_values: np.ndarray
    top_by_class: np.ndarray
    top_by_class_values: np.ndarray
    histogram: np.ndarray
    histogram_edges: np.ndarray
    dead: np.ndarray

    @property
    def units(self) -> int:
        return int(self.dead.size)

    @property
    def dead_count(self) -> int:
        return int(self.dead.sum())

    @property
    def dead_rule(self) -> str:
        return dead_rule(self.activation)

    def dead_text(self) -> str:
        """'3 of 16 in Hidden 1 never fire' (sigmoid/tanh add what that means: '... (output stuck)')."""
        n = self.dead_count
        verb = "never fires" if n == 1 else "never fire"
        text = f"{n} of {self.units} in {self.name} {verb}"
        return text if self.activation == "relu" else f"{text} (output stuck)"


@dataclass(frozen=True, eq=False)
class NeuronAnalysis:
    """Every hidden layer's :class:`LayerResponses` over ``count`` images.

    ``indices`` are the rows of the given images that were analysed (all of them, or the fixed
    sample); top-image indices refer to rows of the given images, not to positions in the sample.
    """

    layers: tuple[LayerResponses, ...]
    count: int
    indices: np.ndarray

    @property
    def dead_count(self) -> int:
        return sum(layer.dead_count for layer in self.layers)

    def dead_summary(self) -> str:
        """One line per hidden layer that has dead neurons, '' when none has."""
        return "\n".join(layer.dead_text() for layer in self.layers if layer.dead_count)


def _top_of(values: np.ndarray, ids: np.ndarray, k: int):
    """The ``k`` largest per row of (units, m) ``values`` with their ``ids`` ((m,) or (units, m)), unsorted."""
    ids = np.broadcast_to(ids, values.shape)
    if values.shape[1] <= k:
        return values, ids
    keep = np.argpartition(-values, k - 1, axis=1)[:, :k]
    return np.take_along_axis(values, keep, axis=1), np.take_along_axis(ids, keep, axis=1)


def _merge_top(best, values: np.ndarray, ids: np.ndarray, k: int):
    """``best`` (values, ids) joined with this chunk's candidates, the ``k`` largest per neuron kept."""
    new_v, new_i = _top_of(values, ids, k)
    if best is None:
        return new_v, new_i
    return _top_of(np.concatenate([best[0], new_v], axis=1), np.concatenate([best[1], new_i], axis=1), k)


def _sorted_top(best, units: int, k: int):
    """(units, k) values and ids strongest first, padded with NaN / -1 when fewer than k exist."""
    out_v, out_i = np.full((units, k), np.nan), np.full((units, k), -1, np.int64)
    if best is not None:
        order = np.argsort(-best[0], axis=1, kind="stable")
        have = order.shape[1]
        out_v[:, :have] = np.take_along_axis(best[0], order, axis=1)
        out_i[:, :have] = np.take_along_axis(best[1], order, axis=1)
    return out_v, out_i


class _Accumulator:
    """One hidden layer's running statistics over chunks of class-sorted, transposed activations."""

    def __init__(self, units: int, activation: str, top: int):
        self.units, self.activation, self.top = units, activation, top
        self.sums = np.zeros((NUM_CLASSES, units))
        self.lo = np.full(units, np.inf)
        self.hi = np.full(units, -np.inf)
        self.fired = np.zeros(units, np.int64)
        self.best = None
        self.best_by_class = [None] * NUM_CLASSES

    def add(self, s: np.ndarray, ids: np.ndarray, bounds: np.ndarray) -> None:
        """``s``: (units, m) activations with images sorted by digit, digit c in ``bounds[c]:bounds[c + 1]``."""
        self.lo = np.minimum(self.lo, s.min(axis=1))
        self.hi = np.maximum(self.hi, s.max(axis=1))
        self.fired += (s > _MIDPOINT[self.activation]).sum(axis=1)
        self.best = _merge_top(self.best, s, ids, self.top)
        for c in range(NUM_CLASSES):
            a, b = bounds[c], bounds[c + 1]
            if b > a:
                self.sums[c] += s[:, a:b].sum(axis=1, dtype=np.float64)
                self.best_by_class[c] = _merge_top(self.best_by_class[c], s[:, a:b], ids[a:b], self.top)

    def histogram_edges(self, bins: int) -> np.ndarray:
        lo, hi = self.lo.copy(), self.hi.copy()
        flat = hi - lo <= 1e-12
        lo[flat] -= 0.5  # as numpy.histogram does for a single value
        hi[flat] += 0.5
        return lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, bins + 1)

    def dead(self) -> np.ndarray:
        if self.activation == "relu":
            return self.hi <= 0
        return self.hi - self.lo < FLAT_TOLERANCE * _SPAN[self.activation]


def _add_histogram(counts: np.ndarray, s: np.ndarray, edges: np.ndarray) -> None:
    """Count (units, m) activations ``s`` into (units, bins) ``counts``, each neuron over its own edges."""
    units, bins = counts.shape
    scale = (bins / (edges[:, -1] - edges[:, 0])).astype(np.float32)[:, None]
    b = (s - edges[:, :1].astype(np.float32)) * scale
    np.clip(b, 0, bins - 1, out=b)
    np.floor(b, out=b)
    b += (np.arange(units, dtype=np.float32) * bins)[:, None]  # one bincount for all neurons
    counts += np.bincount(b.astype(np.intp).ravel(), minlength=units * bins).reshape(units, bins)


def _hidden_chunks(network: Network, images: np.ndarray, rows: np.ndarray, chunk: int) -> Iterator[list[np.ndarray]]:
    """The hidden layers' activations, ``chunk`` images at a time (the input is sliced, not copied, when
    ``rows`` are all the images); the output layer is not computed."""
    everything = rows.size == images.shape[0]
    for start in range(0, rows.size, chunk):
        a = images[start : start + chunk] if everything else images[rows[start : start + chunk]]
        a = np.asarray(a, dtype=np.float32)
        layers = []
        for w, b, name in zip(network.weights[:-1], network.biases[:-1], network.hidden_activations, strict=True):
            a = ACTIVATION_FUNCTIONS[name](a @ w + b)
            layers.append(a)
        yield layers


def default_chunk(network: Network) -> int:
    """Images per forward pass so that one pass stays within ``CHUNK_BYTES`` (the whole MNIST test set
    at once for 784-16-16-10: fewer, larger passes are faster)."""
    per_image = 4 * (INPUT_SIZE + sum(network.hidden))
    return max(256, CHUNK_BYTES // per_image)


def _pick_sample(n: int, sample: int | None, seed: int) -> np.ndarray:
    if sample is None or sample >= n:
        return np.arange(n)
    if sample < 1:
        raise ValueError(f"the sample needs at least one image, got {sample}")
    return np.sort(np.random.default_rng(seed).choice(n, int(sample), replace=False))


def analyze_neurons(network: Network, images: np.ndarray, labels: np.ndarray, *, top: int = TOP_IMAGES,
                    bins: int = HISTOGRAM_BINS, sample: int | None = None, seed: int = 0,
                    chunk: int | None = None) -> NeuronAnalysis:
    """Mean activation per digit and neuron, top images, histograms and dead flags for every hidden layer.

    Parameters
    ----------
    network
        The network to analyse (no hidden layers: an analysis with no layers).
    images, labels
        (n, 784) float images in [0, 1] (e.g. ``Dataset.x_test``) and their true digits (n,).
    top
        Images kept per neuron and per (digit, neuron).
    bins
        Histogram bins per neuron.
    sample
        Analyse a fixed random sample of this many images instead of all (same ``seed``, same sample).
    chunk
        Images per forward pass; bounds the memory used (default :func:`default_chunk`).
    """
    images = np.asarray(images)
    labels = np.asarray(labels).reshape(-1)
    if images.ndim != 2 or images.shape[1] != INPUT_SIZE:
        raise ValueError(f"expected images of shape (n, {INPUT_SIZE}), got {images.shape}")
    if images.shape[0] != labels.size or not labels.size:
        raise ValueError(f"{images.shape[0]} images for {labels.size} labels; at least one of each is needed")
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise ValueError(f"labels must be digits 0 to {NUM_CLASSES - 1}")
    rows = _pick_sample(images.shape[0], sample, seed)
    top, bins = max(1, int(top)), max(1, int(bins))
    chunk = default_chunk(network) if chunk is None else max(1, int(chunk))
    sizes, acts = network.hidden, network.hidden_activations
    accs = [_Accumulator(u, a, top) for u, a in zip(sizes, acts, strict=True)]
    # Kept (transposed) activations spare the histogram pass a second forward pass.
    keep = rows.size * sum(sizes) * 4 <= KEEP_BYTES
    kept = []
    for start, hidden in zip(range(0, rows.size, chunk), _hidden_chunks(network, images, rows, chunk), strict=True):
        r = rows[start : start + chunk]
        y = labels[r]
        # Sorted by digit and transposed, each digit's images are one contiguous slice per neuron row.
        order = np.argsort(y, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(y, minlength=NUM_CLASSES))])
        ids = r[order]
        chunk_rows = []
        for acc, a in zip(accs, hidden, strict=True):
            s = a.T[:, order]
            acc.add(s, ids, bounds)
            chunk_rows.append(s)
        if keep:
            kept.append(chunk_rows)
    # Histograms need each neuron's range, known only now: a second pass over kept or recomputed chunks.
    edges = [acc.histogram_edges(bins) for acc in accs]
    counts = [np.zeros((u, bins), np.int64) for u in sizes]
    for chunk_rows in kept if keep else ([a.T for a in h] for h in _hidden_chunks(network, images, rows, chunk)):
        for j, s in enumerate(chunk_rows):
            _add_histogram(counts[j], s, edges[j])
    class_counts = np.bincount(labels[rows], minlength=NUM_CLASSES)
    names = network.layer_names[1:-1]
    layers = []
    for j, acc in enumerate(accs):
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_by_class = acc.sums / class_counts[:, None]
        top_v, top_i = _sorted_top(acc.best, acc.units, top)
        per_class = [_sorted_top(b, acc.units, top) for b in acc.best_by_class]
        layers.append(LayerResponses(
            layer=j + 1, name=names[j], activation=acc.activation, mean_by_class=mean_by_class,
            class_counts=class_counts, mean=acc.sums.sum(axis=0) / rows.size, minimum=acc.lo, maximum=acc.hi,
            fire_rate=acc.fired / rows.size, top_images=top_i, top_values=top_v,
            top_by_class=np.stack([p[1] for p in per_class]), top_by_class_values=np.stack([p[0] for p in per_class]),
            histogram=counts[j], histogram_edges=edges[j], dead=acc.dead(),
        ))
    return NeuronAnalysis(tuple(layers), int(rows.size), rows)
