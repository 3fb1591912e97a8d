"""IdeasView: "What does it think a 3 looks like?", "Feed noise" and "Fool it", with one stage for the answer."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from visualizer.session.ideas import Idea, IdeaKind, neuron_text
from visualizer.session.selection import NeuronRef
from visualizer.ui.common.images import ImageTile, diverging_qimage, gray_to_qimage
from visualizer.ui.common.probabilities import ProbabilityBars

TILE_MAX = 150  # pixels: a 28x28 image at about 5x
BUSY_TEXT = {IdeaKind.DREAM: "Dreaming…", IdeaKind.NOISE: "Feeding noise…", IdeaKind.FOOL: "Looking for the smallest change…"}


def _answer(probabilities: np.ndarray, binary: bool) -> tuple[str, float]:
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if binary:
        yes = p[0] >= 0.5
        return ("yes" if yes else "no"), float(p[0] if yes else 1 - p[0])
    k = int(np.argmax(p))
    return str(k), float(p[k])


class IdeasView(QWidget):
    """Ask the network for its idea of a digit or a neuron, feed it noise, or fool it; see the answer.

    Signals
    -------
    dream_requested(object)
        A :class:`NeuronRef` to dream of (an output digit or the pinned hidden neuron).
    noise_requested()
    fool_requested(int)
        The digit the current input should be mistaken for.
    send_requested(object)
        The :class:`Idea` whose image should become the network's input (the pad shows it).
    """

    dream_requested = Signal(object)
    noise_requested = Signal()
    fool_requested = Signal(int)
    send_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._outputs = 10
        self._binary = False
        self._last_layer = 3
        self._pinned: NeuronRef | None = None
        self._idea: Idea | None = None
        self._busy: set[IdeaKind] = set()

        self.dream_heading = QLabel("<b>What does it think a digit looks like?</b>")
        self.digit_buttons: list[QToolButton] = []
        self._digit_row = QHBoxLayout()
        self._digit_row.setSpacing(2)
        self.pinned_button = QPushButton("Dream of the pinned neuron")
        self.pinned_button.setToolTip("The input that excites the neuron pinned in any view the most")
        self.pinned_button.clicked.connect(lambda: self._pinned is not None and self.dream_requested.emit(self._pinned))
        self.noise_button = QPushButton("Feed noise")
        self.noise_button.setToolTip("Random pixels become the network's input: see how sure it is, and why")
        self.noise_button.clicked.connect(self.noise_requested)
        self.target = QComboBox()
        self.target.setToolTip("The digit the network should answer for the current input")
        self.fool_button = QPushButton("Fool it")
        self.fool_button.setToolTip("The smallest change to the current input that makes the network answer the "
                                    "chosen digit (at most \N{PLUS-MINUS SIGN}0.3 per pixel)")
        self.fool_button.clicked.connect(lambda: self.fool_requested.emit(int(self.target.currentData())))
        self.fool_input = QLabel()
        self.fool_input.setWordWrap(True)

        self.tiles = [ImageTile("", minimum=110) for _ in range(3)]
        for tile in self.tiles:
            # Big enough to see every pixel, small enough that the answer and its explanation fit below.
            tile.setMaximumSize(TILE_MAX, TILE_MAX + tile.fontMetrics().height() + 4)
        self.bars = [ProbabilityBars(""), ProbabilityBars("")]
        for bars in self.bars:
            bars.setMinimumSize(150, 100)
            bars.setMaximumHeight(150)  # ten bars read as well at 150 px; the explanation needs the room
        self.message = QLabel("Ask a question above: the answer appears here.")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.busy_label = QLabel()
        self.send_button = QPushButton("Send to the pad")
        self.send_button.setToolTip("Make this image the network's input: the pad and the network view show it")
        self.send_button.clicked.connect(lambda: self._idea is not None and self.send_requested.emit(self._idea))
        self._build_layout()
        self.set_network(None)
        self.show_idea(None)

    def _build_layout(self) -> None:
        controls = QGridLayout()
        controls.setHorizontalSpacing(6)
        controls.addWidget(self.dream_heading, 0, 0, 1, 3)
        controls.addLayout(self._digit_row, 1, 0, 1, 3)
        controls.addWidget(self.pinned_button, 2, 0)
        controls.addWidget(self.noise_button, 2, 1)
        fool = QHBoxLayout()
        fool.addWidget(QLabel("Make it say"))
        fool.addWidget(self.target)
        fool.addWidget(self.fool_button)
        fool.addStretch(1)
        controls.addLayout(fool, 3, 0, 1, 3)
        controls.addWidget(self.fool_input, 4, 0, 1, 3)
        tiles = QHBoxLayout()
        for tile in self.tiles:
            tiles.addWidget(tile)
        tiles.addStretch(1)
        bars = QHBoxLayout()
        for b in self.bars:
            bars.addWidget(b)
        foot = QHBoxLayout()
        foot.addWidget(self.busy_label, 1)
        foot.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addSpacing(6)
        layout.addLayout(tiles)
        layout.addLayout(bars)
        layout.addWidget(self.message)
        layout.addLayout(foot)
        layout.addStretch(1)

    # ---- API ----------------------------------------------------------------------------------

    def set_network(self, snapshot) -> None:
        """The network the questions go to (its outputs name the buttons); None disables them."""
        net = None if snapshot is None else snapshot.network
        outputs, binary = (10, False) if net is None else (net.layer_sizes[-1], net.is_binary)
        self._last_layer = 3 if net is None else len(net.layer_sizes) - 1
        if (outputs, binary) != (self._outputs, self._binary) or not self.digit_buttons:
            self._outputs, self._binary = outputs, binary
            self._rebuild_digits()
        for w in (*self.digit_buttons, self.noise_button, self.fool_button, self.target):
            w.setEnabled(net is not None)
        self._update_pinned_button(net is not None)

    def _rebuild_digits(self) -> None:
        while self._digit_row.count():
            item = self._digit_row.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()
                item.widget().deleteLater()
        names = ["no", "yes"] if self._binary else [str(d) for d in range(self._outputs)]
        self.digit_buttons = []
        for value, name in enumerate(names):
            b = QToolButton()
            b.setText(name)
            b.setToolTip(f"What does it think a {name} looks like? (the input that excites that output most)")
            b.clicked.connect(lambda _=False, v=value: self.dream_requested.emit(NeuronRef(self._last_layer, v)))
            self._digit_row.addWidget(b)
            self.digit_buttons.append(b)
        self._digit_row.addStretch(1)
        self.target.clear()
        for value, name in enumerate(names):
            self.target.addItem(name, value)
        self.target.setCurrentIndex(min(3, len(names) - 1))

    def set_pinned(self, ref: NeuronRef | None) -> None:
        self._pinned = ref
        self._update_pinned_button(self.noise_button.isEnabled())

    def _update_pinned_button(self, have_network: bool) -> None:
        hidden = self._pinned is not None and 1 <= self._pinned.layer < self._last_layer
        self.pinned_button.setEnabled(have_network and hidden)
        self.pinned_button.setText(f"Dream of neuron {self._pinned.index} (Hidden {self._pinned.layer})" if hidden
                                   else "Dream of the pinned neuron")

    def set_input_name(self, name: str | None) -> None:
        """What Fool it would change (the current input's name), or None when there is none."""
        self.fool_input.setText(f"Fool it changes the current input: {name}." if name else
                                "Fool it needs an input: draw a digit or pick a test digit.")

    def set_busy(self, kind: IdeaKind, busy: bool) -> None:
        (self._busy.add if busy else self._busy.discard)(kind)
        self.busy_label.setText(" ".join(BUSY_TEXT[k] for k in IdeaKind if k in self._busy))

    def show_failure(self, kind: IdeaKind, message: str) -> None:
        self.message.setText(message)

    def idea(self) -> Idea | None:
        return self._idea

    def show_idea(self, idea: Idea | None) -> None:
        """Put an answer on the stage (None: an empty stage)."""
        self._idea = idea
        self.send_button.setEnabled(idea is not None)
        for tile in self.tiles:
            tile.set_image(None)
            tile.set_caption("")
        if idea is None:
            self.tiles[1].setVisible(False)
            self.tiles[2].setVisible(False)
            self.bars[1].setVisible(False)
            for b in self.bars:
                b.set_probabilities(None)
            self.bars[0].set_title("The network's answer")
            self.bars[0].set_empty_text("nothing asked yet")
            return
        net = idea.snapshot.network
        binary = net.is_binary
        fooled = idea.kind is IdeaKind.FOOL
        self.tiles[1].setVisible(fooled)
        self.tiles[2].setVisible(fooled)
        self.bars[1].setVisible(fooled)
        self.send_button.setText("Send the fooled image to the pad" if fooled else "Send to the pad")
        value = idea.value
        if idea.kind is IdeaKind.DREAM:
            self._show_dream(idea, binary)
        elif idea.kind is IdeaKind.NOISE:
            self.tiles[0].set_image(gray_to_qimage(value.image))
            self.tiles[0].set_caption("random pixels")
            self.bars[0].set_title("It says")
            self.bars[0].set_probabilities(value.probabilities)
            self.message.setText(value.explanation)
        else:
            before, _ = _answer(value.probabilities_before, binary)
            after, _ = _answer(value.probabilities_after, binary)
            self.tiles[0].set_image(gray_to_qimage(value.original))
            self.tiles[0].set_caption(f"before: says {before}")
            image, m = diverging_qimage(value.perturbation, self.palette())
            self.tiles[1].set_image(image)
            self.tiles[1].set_caption(f"change \N{PLUS-MINUS SIGN}{m:.2f}")
            self.tiles[2].set_image(gray_to_qimage(value.image))
            self.tiles[2].set_caption(f"after: says {after}")
            self.bars[0].set_title("Before")
            self.bars[0].set_probabilities(value.probabilities_before)
            self.bars[1].set_title("After")
            self.bars[1].set_probabilities(value.probabilities_after)
            tail = (" The same picture to a person, another digit to the network: it never learned what a digit "
                    "looks like, only where the lines between its answers lie." if value.succeeded else "")
            self.message.setText(f"{value.message}.{tail}")

    def _show_dream(self, idea: Idea, binary: bool) -> None:
        d = idea.value
        net = idea.snapshot.network
        ref = idea.neuron
        self.tiles[0].set_image(gray_to_qimage(d.image))
        self.tiles[0].set_caption(idea.name)
        self.bars[0].set_title("It says")
        self.bars[0].set_probabilities(d.probabilities)
        answer, p = _answer(d.probabilities, binary)
        what = neuron_text(net, ref) if ref is not None else idea.name
        output = ref is not None and ref.layer == len(net.layer_sizes) - 1
        what_rose = "Its probability" if output else "Its activation"
        if d.value > d.value_start + 1e-6:
            rise = f"{what_rose} rose from {d.activation_start:.3g} to {d.activation:.3g}"
        else:  # every relu on the way is off: the pixels get no gradient
            rise = (f"{what_rose} did not rise ({d.activation:.3g}): no gradient reaches the pixels, because the "
                    "neurons in between never fire")
        self.message.setText(
            f"The input that excites {what} most, grown pixel by pixel from a blank image by gradient ascent "
            f"(with a little blur and decay). {rise}; the network answers {answer} ({p:.0%}). It rarely looks like "
            "a digit to us: the network learned which pixels separate the digits, not what digits look like.")
