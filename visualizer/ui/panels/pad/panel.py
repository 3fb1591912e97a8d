"""PadPanel: draw a digit (or open an image) and see how it is preprocessed, classified and explained."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from visualizer.core.config import INPUT_SIZE, yes_no_text
from visualizer.core.preprocess import as_network_input, is_mnist_format, naive_downscale, preprocess
from visualizer.session.gradients import big_network
from visualizer.session.inputs import AnalysisCache, CurrentInput, InputSource
from visualizer.ui.common.images import ImageTile, gray_to_qimage, rgba_to_qimage
from visualizer.ui.common.probabilities import ProbabilityBars
from visualizer.ui.panels.pad.drawing_pad import IMAGE_SUFFIXES, DrawingPad
from visualizer.ui.panels.pad.preprocess_steps import PreprocessSteps, saliency_colors, saliency_rgba
from visualizer.ui.panels.pad.reserved_label import ReservedLabel

NO_NETWORK = "no network yet"


@dataclass(frozen=True)
class _ImageFile:
    """The pad shows a loaded image: predictions use the file's own pixels, like `nnviz predict`."""

    image: np.ndarray
    name: str


class PadPanel(QWidget):
    """Drawing pad + live prediction + preprocessing steps + saliency, as one dockable panel.

    Signals
    -------
    image_requested(str)
        The user dropped or chose an image file; whoever owns the pad reads it (off the GUI thread:
        a hostile file must not freeze the window) and hands it to :meth:`show_image`.
    input_changed(object)
        What the pad shows as the network's input changed: a
        :class:`visualizer.session.CurrentInput` (a drawing, an image file, or the test digit put
        on it), or None when there is no digit. Emitted only when the input really changes, not
        when the weights do.

    ``analyze(network, vector) -> InputAnalysis`` is the session's shared analysis (the network
    view and test set show the same input without computing it again); the pad computes only what
    is its own: the preprocessing, and the squashed-canvas comparison. ``submit(fn, *args,
    on_success=, on_error=)`` (the session's jobs) runs a big network's saliency backward pass
    off the GUI thread (latest wins: a result for an input or network no longer shown is dropped);
    without it the saliency is computed in place.

    The layout follows the panel's shape: pad beside the results when wide, above them when tall
    (a dock at the side of the window).
    """

    input_changed = Signal(object)
    image_requested = Signal(str)  # a file dropped or chosen: the window loads it in the background

    def __init__(self, parent: QWidget | None = None, *, analyze=None, submit=None):
        super().__init__(parent)
        self._analyze = analyze or AnalysisCache().analyze
        self._submit = submit
        self._saliency_job = None  # the analysis whose saliency a background job computes
        self._saliency_drawn = None  # the analysis whose saliency the tile shows
        self._snapshot = None
        self._analysis = None  # InputAnalysis of the input shown, under the newest weights
        self._current: CurrentInput | None = None  # the network input this pad shows
        self._canvas: np.ndarray | None = None  # what was preprocessed (None for a test digit)
        self._naive: np.ndarray | None = None  # the same canvas squashed without preprocessing, made on demand
        self._emitted: CurrentInput | None = None
        self._wide: bool | None = None  # layout orientation, set by resizeEvent

        self.pad = DrawingPad()
        self.bars = ProbabilityBars("Prediction")
        self.naive_bars = ProbabilityBars("Without preprocessing")
        for bars in (self.bars, self.naive_bars):
            bars.setMinimumWidth(150)  # two side by side in a ~360 px dock
        self.steps = PreprocessSteps()
        self.naive_tile = ImageTile("squashed", minimum=50)
        self.saliency_tile = ImageTile("saliency", minimum=50)
        self.naive_tile.setToolTip("The whole canvas squashed to 28\N{MULTIPLICATION SIGN}28 "
                                   "without cropping or centering: what the other bars are computed from.")
        self.saliency_tile.setToolTip("Gradient \N{MULTIPLICATION SIGN} input for the winning class")
        # Both texts change with every input; each keeps the room of its longest usual text at
        # its width, so the pad and its buttons do not jump when one shrinks or goes.
        pal = self.palette()
        self.saliency_legend = ReservedLabel(
            (_legend(None, pal), _legend(7, pal), _legend(0, pal, 6), _legend(1, pal, 6)), rich=True)
        self.status = ReservedLabel((_test_digit_note("Test digit #10,000", 7),))
        self.compare_box = QCheckBox("Compare without preprocessing")
        self.compare_box.setToolTip("Also show what the network says when the whole canvas is simply squashed "
                                    "to 28\N{MULTIPLICATION SIGN}28, without cropping and centering.")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Clear the canvas (Delete or Backspace; Undo brings it back)")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Remove the last stroke, or bring back a cleared drawing (Ctrl+Z)")
        self.open_button = QPushButton("Open image\N{HORIZONTAL ELLIPSIS}")
        self.open_button.setToolTip("Classify a photo or scan of a digit (you can also drop a file on the pad)")
        self._build_layout()

        self.pad.canvas_changed.connect(self._on_canvas_changed)
        self.pad.file_dropped.connect(self.load_image_file)
        self.clear_button.clicked.connect(self.pad.clear)
        self.undo_button.clicked.connect(self.pad.undo)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.compare_box.toggled.connect(self._on_compare_toggled)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot in ((QKeySequence.StandardKey.Undo, self.pad.undo), (Qt.Key.Key_Delete, self.pad.clear),
                           (Qt.Key.Key_Backspace, self.pad.clear)):
            QShortcut(QKeySequence(keys), self, slot, context=context)
        self._on_compare_toggled(False)
        self._on_canvas_changed()

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        for b in (self.clear_button, self.undo_button, self.open_button):
            buttons.addWidget(b)
        left = QVBoxLayout()
        left.addWidget(self.pad, 1)
        left.addLayout(buttons)
        left.addWidget(self.compare_box)

        bars = QHBoxLayout()
        bars.addWidget(self.bars)
        bars.addWidget(self.naive_bars)
        # One row of tiles: the preprocessing steps, then why (saliency) and the squashed canvas.
        tiles = QHBoxLayout()
        tiles.addWidget(self.steps, 4)
        tiles.addSpacing(8)
        tiles.addWidget(self.saliency_tile, 1)
        tiles.addWidget(self.naive_tile, 1)
        right = QVBoxLayout()
        right.addLayout(bars, 3)
        right.addSpacing(4)
        self.steps_heading = _heading("How the drawing becomes the network's 28\N{MULTIPLICATION SIGN}28 input")
        right.addWidget(self.steps_heading)
        right.addLayout(tiles)
        right.addWidget(self.saliency_legend)
        right.addWidget(self.status)

        self.steps.setToolTip("How the drawing becomes the network's 28\N{MULTIPLICATION SIGN}28 input: "
                              "the ink is cropped, fitted into 20\N{MULTIPLICATION SIGN}20 and centered "
                              "by its center of mass, like the MNIST digits")
        self._box = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self._box.setContentsMargins(4, 4, 4, 4)  # the widest row (the tiles) is the dock's minimum width
        self._box.addLayout(left, 5)
        self._box.addLayout(right, 4)

    # ---- API for the main window --------------------------------------------------------------

    def set_snapshot(self, snapshot) -> None:
        """Show the prediction of these weights for the input (the shared analysis; does not emit ``input_changed``)."""
        self._snapshot = snapshot
        self._refresh_analysis()

    def load_image_file(self, path) -> None:
        """Ask for an image file to be opened (``image_requested``); it is read off the GUI thread and
        comes back through :meth:`show_image`."""
        self.image_requested.emit(str(path))

    def show_image(self, image: np.ndarray, name: str) -> None:
        """Classify a loaded image like `nnviz predict` does; ``name`` is its file name.

        A 28x28 MNIST-format image (light ink on black) is fed as it is, like a test digit;
        anything else is preprocessed (crop, fit, center) like a drawing.
        """
        if is_mnist_format(image):
            self.show_input(CurrentInput(as_network_input(image), InputSource.IMAGE, None, f"Image {name}"))
            return
        pre = preprocess(image)
        shown = pre.raw if pre is not None else np.zeros((28, 28), np.float32)
        self.pad.set_image(shown, source=_ImageFile(image, name))

    def show_input(self, current: CurrentInput) -> None:
        """Show a 28x28 test digit (a CurrentInput) large on the pad; it is fed, unchanged, to the network.

        The first stroke drawn afterwards starts on a blank sheet (Undo brings the digit back).
        """
        self.pad.set_image(current.vector.reshape(28, 28), source=current, cleared_by_drawing=True)

    def set_digit(self, image28: np.ndarray, label: int | None = None, *, name: str = "Test digit") -> None:
        """Show any MNIST-format 28x28 digit as :meth:`show_input` does (``name``: "Test digit #12")."""
        vector = np.clip(np.asarray(image28, np.float32).reshape(INPUT_SIZE), 0.0, 1.0)
        self.show_input(CurrentInput(vector, InputSource.TEST_DIGIT, label, name))

    def shows(self, current: CurrentInput) -> bool:
        """True when the pad already shows ``current`` (same pixels, label and name)."""
        mine = self._current
        return mine is not None and mine.same_pixels(current) and (mine.label, mine.name) == (current.label, current.name)

    def current_input(self) -> np.ndarray | None:
        """The network input now shown, (784,) or None."""
        return None if self._current is None else self._current.vector.copy()

    def input_label(self) -> int | None:
        """The true label of the input when it is a test digit, else None."""
        return None if self._current is None else self._current.label

    def input_name(self) -> str:
        """What the input is, for captions: "Test digit #12", "Image seven.png" or "Your drawing"."""
        source = self.pad.pristine_source()
        if isinstance(source, CurrentInput):
            return source.name
        if isinstance(source, _ImageFile):
            return f"Image {source.name}"
        return "Your drawing"

    def shows_test_digit(self) -> bool:
        return isinstance(self.pad.pristine_source(), CurrentInput)

    def refresh(self) -> None:
        """Recompute everything from the canvas: preprocessing, the input, its prediction (what a stroke costs)."""
        self._on_canvas_changed()

    def is_empty(self) -> bool:
        return self.pad.is_empty()

    # ---- internals ----------------------------------------------------------------------------

    def _on_canvas_changed(self) -> None:
        source = self.pad.pristine_source()
        pre = None
        if isinstance(source, CurrentInput):
            current = source
            self.steps.set_direct(source.vector)
            canvas = None
            note = _test_digit_note(source.name, source.label)
        else:
            canvas = source.image if isinstance(source, _ImageFile) else self.pad.canvas_array()
            pre = preprocess(canvas)
            self.steps.set_steps(pre)
            image = isinstance(source, _ImageFile)
            note = f"Image {source.name}" if image else ""
            if pre is None and image:
                note += ": no digit found (the image is blank or has too little contrast)."
            current = None if pre is None else CurrentInput(
                pre.vector, InputSource.IMAGE if image else InputSource.DRAWING, None,
                f"Image {source.name}" if image else "Your drawing")
        self._current = current
        self._canvas = canvas if pre is not None else None
        self._naive = None
        self.status.setText(note)
        self._refresh_analysis()
        if not _same_input(current, self._emitted):
            self._emitted = current
            self.input_changed.emit(current)

    def _refresh_analysis(self) -> None:
        snap, current = self._snapshot, self._current
        self._analysis = None if snap is None or current is None else self._analyze(snap.network, current.vector)
        self._update_predictions()

    def _update_predictions(self) -> None:
        analysis, current = self._analysis, self._current
        self.undo_button.setEnabled(self.pad.can_undo())
        self.clear_button.setEnabled(not self.pad.is_empty())
        if current is None or analysis is None:
            empty = "no digit" if current is None else NO_NETWORK
            for bars in (self.bars, self.naive_bars):
                bars.set_empty_text(empty)
                bars.set_probabilities(None)
            self.saliency_tile.set_image(None)
            self._saliency_drawn = None
            self.naive_tile.set_image(None)
            self.saliency_legend.setText(_legend(None, self.palette()))
            return
        net = analysis.network
        self.bars.set_probabilities(analysis.probabilities, digit=net.digit)
        self._update_saliency(analysis)
        if self._canvas is not None and self.compare_box.isChecked():
            if self._naive is None:
                self._naive = naive_downscale(self._canvas)
            self.naive_bars.set_probabilities(analysis.network.forward(self._naive)[-1], digit=net.digit)
            self.naive_tile.set_image(gray_to_qimage(self._naive.reshape(28, 28)))
        else:
            self.naive_bars.set_probabilities(None)
            self.naive_tile.set_image(None)

    def _update_saliency(self, analysis) -> None:
        """The saliency tile of ``analysis``: at once for a small network, from a background job for a big one."""
        if self._submit is None or not big_network(analysis.network):
            self._draw_saliency(analysis, analysis.saliency)
        elif self._saliency_job is None:  # one job at a time; the newest analysis is asked for when it ends
            self._saliency_job = analysis
            self._submit(_saliency_of, analysis, on_success=lambda s, a=analysis: self._on_saliency(a, s),
                         on_error=lambda _exc, a=analysis: self._on_saliency(a, None))

    def _on_saliency(self, analysis, saliency) -> None:
        self._saliency_job = None
        if self._analysis is analysis and saliency is not None:
            self._draw_saliency(analysis, saliency)
        elif self._analysis is not None and self._analysis is not self._saliency_drawn:
            self._update_saliency(self._analysis)  # late: the input or the network changed meanwhile

    def _draw_saliency(self, analysis, saliency) -> None:
        self._saliency_drawn = analysis
        self.saliency_tile.set_image(rgba_to_qimage(saliency_rgba(analysis.vector, saliency, self.palette())))
        net = analysis.network
        self.saliency_legend.setText(_legend(analysis.predicted, self.palette(), net.digit if net.is_binary else False))

    def saliency_shown_for(self):
        """The InputAnalysis whose saliency the tile shows (None: none yet)."""
        return self._saliency_drawn

    def _on_compare_toggled(self, on: bool) -> None:
        self.naive_bars.setVisible(on)
        self.naive_tile.setVisible(on)
        self.bars.set_title("With preprocessing" if on else "Prediction")
        self._update_predictions()

    def _on_open_clicked(self) -> None:
        patterns = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(self, "Open an image of a digit", "",
                                              f"Images ({patterns});;All files (*)")
        if path:
            self.load_image_file(path)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # Tall (a side dock): pad on top, results below; wide: side by side.
        wide = self.width() >= 1.25 * self.height()
        if wide != self._wide:
            self._wide = wide
            self._box.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)
            self._box.setStretch(0, 1)
            self._box.setStretch(1, 1 if wide else 0)
            # Tall panels are short of height: the step captions say enough without the heading.
            self.steps_heading.setVisible(wide)
        # Tall: the pad is as high as it is wide (a square canvas: more height would only be an
        # empty band around it); the probability bars take what is left instead.
        margins = self._box.contentsMargins()
        side = self.width() - margins.left() - margins.right()
        self.pad.setMaximumHeight(16777215 if wide else max(self.pad.minimumHeight(), side))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._update_predictions()  # the saliency colors come from the palette


def _saliency_of(analysis):
    """A background job: the analysis's saliency (its backward pass, cached in the analysis)."""
    return analysis.saliency


def _same_input(a: CurrentInput | None, b: CurrentInput | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.same_pixels(b) and (a.label, a.name, a.source) == (b.label, b.name, b.source)


def _test_digit_note(name: str, label: int | None) -> str:
    """The note under the tiles while the pad shows a test digit (or any MNIST-format input)."""
    true = "" if label is None else f" (true label {label})"
    return (f"{name}{true}: already 28\N{MULTIPLICATION SIGN}28 and centered, fed as is. "
            "Draw to replace it with your own digit.")


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    return label


def _legend(winner: int | None, palette, digit: int | None | bool = False) -> str:
    """The saliency tile's caption; ``digit`` is a one-neuron network's digit (None: unknown; False: ten digits)."""
    if winner is None:
        return ("<b>Why?</b> Once there is a digit and a network, the tile shows which pixels "
                "pushed the winning class up or down.")
    neg, pos = (c.name() for c in saliency_colors(palette))
    if digit is not False:  # one neuron: the pixels push its one output, P(digit), up or down
        p = "P(yes)" if digit is None else f"P({digit})"
        return (f"<b>Why {yes_no_text(bool(winner), digit)}?</b> <span style='color:{pos}'>&#9632;</span> red "
                f"pixels pushed {p} up, <span style='color:{neg}'>&#9632;</span> blue pixels pushed it down "
                "(gradient \u00d7 input; grey ink barely mattered).")
    return (f"<b>Why {winner}?</b> <span style='color:{pos}'>&#9632;</span> red pixels pushed "
            f"\u201c{winner}\u201d up, <span style='color:{neg}'>&#9632;</span> blue pixels pushed it down "
            "(gradient \u00d7 input; grey ink barely mattered).")
