"""Selection: the neuron the user pinned (and the one under the mouse), shared by every view.

Pinning a neuron in one view (the network view, the response matrix) lights it in all of them:
its connections in the network view, its tile or matrix row and column in the weight maps, its
column in the response matrix. Views report what the user did through :meth:`Selection.pin`,
:meth:`Selection.toggle` and :meth:`Selection.hover` and draw what :attr:`Selection.changed`
says; none of them asks another view.
"""

from __future__ import annotations

from dataclasses import dataclass

from visualizer.session.events import Event


@dataclass(frozen=True)
class NeuronRef:
    """One neuron: ``layer`` as in ``Network.layer_sizes`` (0 = an input pixel, 1 = Hidden 1, the
    last = the outputs) and its 0-based ``index`` in that layer."""

    layer: int
    index: int

    def __post_init__(self):
        object.__setattr__(self, "layer", int(self.layer))
        object.__setattr__(self, "index", int(self.index))
        if self.layer < 0 or self.index < 0:
            raise ValueError(f"a neuron needs a layer and an index of at least 0, got {self.layer}, {self.index}")

    def exists_in(self, layer_sizes) -> bool:
        """True when a network of these layer sizes has this neuron."""
        return self.layer < len(layer_sizes) and self.index < int(layer_sizes[self.layer])


class Selection:
    """The pinned neuron and the hovered one; ``changed(selection)`` after either moves.

    ``focus`` is what a detail view describes: the pinned neuron, else the hovered one (a pin
    stays put while the mouse wanders, as the network view's inset does).
    """

    def __init__(self):
        self.pinned: NeuronRef | None = None
        self.hovered: NeuronRef | None = None
        self._depth: int | None = None  # layers of the network the neurons are in (None: not known yet)
        self.changed = Event("selection_changed")  # (Selection)

    @property
    def focus(self) -> NeuronRef | None:
        return self.pinned if self.pinned is not None else self.hovered

    def pin(self, ref: NeuronRef | None) -> None:
        """Pin ``ref`` (None unpins)."""
        if ref != self.pinned:
            self.pinned = ref
            self.changed.emit(self)

    def toggle(self, ref: NeuronRef) -> None:
        """Pin ``ref``, or unpin it when it is pinned already (a second click releases)."""
        self.pin(None if ref == self.pinned else ref)

    def hover(self, ref: NeuronRef | None) -> None:
        if ref != self.hovered:
            self.hovered = ref
            self.changed.emit(self)

    def fit(self, layer_sizes) -> None:
        """Forget neurons that a network of ``layer_sizes`` does not have (another architecture).

        A network of another depth has none of them: the same layer number is another layer
        there (16,16's Hidden 2 neuron 5 would become output 5 of a 784-32-10).
        """
        before, self._depth = self._depth, len(layer_sizes)
        same_depth = before is None or before == self._depth

        def kept(ref):
            return ref if ref is not None and same_depth and ref.exists_in(layer_sizes) else None

        pinned, hovered = kept(self.pinned), kept(self.hovered)
        if (pinned, hovered) != (self.pinned, self.hovered):
            self.pinned, self.hovered = pinned, hovered
            self.changed.emit(self)
