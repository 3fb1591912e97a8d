"""NeuronsPanel: what the network has learned — neuron × digit responses, one neuron up close, its ideas, hints."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from visualizer.session.neurons import NeuronResult
from visualizer.session.selection import NeuronRef
from visualizer.ui.common import colormaps as cm
from visualizer.ui.panels.neurons.detail import NeuronDetail
from visualizer.ui.panels.neurons.ideas import IdeasView
from visualizer.ui.panels.neurons.matrix import DEAD_COLOR, ResponseMatrix

RESPONSES, IDEAS = 0, 1  # the tabs


def _scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a vertical scroll area (a short dock scrolls instead of squeezing or clipping)."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


NO_HIDDEN = ("<b>No hidden layer</b>: the pixels go straight to the output, so there are no hidden neurons to "
             "analyse. Each output neuron's 784 weights are a 28×28 template: see the Weights panel, "
             "and \u201cIts idea of a digit\u201d for what excites it most.")

class NeuronsPanel(QWidget):
    """Per hidden layer, the mean activation of each neuron for each digit; the neuron in focus up close;
    the network's idea of a digit; and the teaching hints that apply to the run.

    The panel draws what it is given (``set_result``, ``set_selection``, ``set_hints``,
    ``show_idea``...) and says what the user wants through signals; the session does the work.

    Signals
    -------
    analyse_requested()
        "Analyse now".
    neuron_pinned(object)
        The :class:`NeuronRef` to pin (a cell clicked), or None to unpin.
    neuron_hovered(object)
        The neuron under the mouse in a matrix, or None.
    digit_requested(int)
        A listed test digit was clicked: make it the network's input.
    dream_requested(object), noise_requested(), fool_requested(int), send_requested(object)
        From the ideas tab (see :class:`IdeasView`).
    """

    analyse_requested = Signal()
    neuron_pinned = Signal(object)
    neuron_hovered = Signal(object)
    digit_requested = Signal(int)
    dream_requested = Signal(object)
    noise_requested = Signal()
    fool_requested = Signal(int)
    send_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._result: NeuronResult | None = None
        self._pinned: NeuronRef | None = None
        self._hovered: NeuronRef | None = None  # from another view
        self._matrix_hover: NeuronRef | None = None
        self._cell: tuple[NeuronRef, int] | None = None  # the cell clicked: (neuron, digit)
        self._busy = False
        self._failure = ""
        self._wide: bool | None = None

        self.analyse_button = QPushButton("Analyse now")
        self.analyse_button.setToolTip("Run every test digit through the network shown and recompute the "
                                       "responses (done by itself at each epoch end)")
        self.analyse_button.clicked.connect(self.analyse_requested)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.hint_strip = QLabel()
        self.hint_strip.setWordWrap(True)
        self.hint_strip.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint_strip.setObjectName("hints")
        self.hint_strip.setStyleSheet("QLabel#hints { background: rgba(201, 138, 0, 0.16); "
                                      "border-left: 3px solid #c98a00; padding: 4px; }")
        self.hint_strip.hide()

        self._layers = QVBoxLayout()
        self._layers.setSpacing(2)
        self.matrices: list[ResponseMatrix] = []
        self.layer_titles: list[QLabel] = []
        self.detail = NeuronDetail()
        self.detail.digit_clicked.connect(self.digit_requested)
        self.detail.dream_requested.connect(self.dream_requested)
        self.detail.unpin_requested.connect(lambda: self.neuron_pinned.emit(None))
        self.ideas = IdeasView()
        for name in ("dream_requested", "noise_requested", "fool_requested", "send_requested"):
            getattr(self.ideas, name).connect(getattr(self, name))

        responses = QWidget()
        self._body = QBoxLayout(QBoxLayout.Direction.TopToBottom, responses)
        self._body.setContentsMargins(4, 4, 4, 4)
        self.explain = QLabel("Each row is a digit, each column a neuron: how strongly it responds, on average, "
                              "to the test digits of that class. Click a cell for the digits that excite it most.")
        self.explain.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.hint_strip)
        left.addWidget(self.explain)
        left.addLayout(self._layers)
        left.addStretch(1)
        self._body.addLayout(left, 3)
        self._body.addWidget(self.detail, 2)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(_scrolled(responses), "Responses")
        self.tabs.addTab(_scrolled(self.ideas), "Its idea of a digit")

        top = QHBoxLayout()
        top.addWidget(self.analyse_button)
        top.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.set_result(None)

    # ---- API: the analysis ---------------------------------------------------------------------

    def set_result(self, result: NeuronResult | None) -> None:
        """Show an analysis (None: nothing analysed yet, e.g. right after a new network)."""
        self._result = result
        layers = () if result is None else result.layers
        if len(layers) != len(self.matrices) or not self.matrices:
            self._build_matrices(max(len(layers), 1))
        for k, (title, matrix) in enumerate(zip(self.layer_titles, self.matrices, strict=True)):
            responses = layers[k] if k < len(layers) else None
            matrix.set_responses(responses)
            if responses is None and result is not None and not layers:
                title.setWordWrap(True)
                title.setText(NO_HIDDEN)
                matrix.set_empty_text("no hidden neurons")
                continue
            if responses is None:
                title.setText("<b>Hidden layers</b>")
                matrix.set_empty_text("analysing\N{HORIZONTAL ELLIPSIS}" if self._busy else "not analysed yet")
                continue
            if responses.dead_count:
                color = DEAD_COLOR[cm.is_dark(self.palette())].name()
                count = responses.dead_text().replace(responses.name, f"<b>{responses.name}</b>")
                title.setText(f"<span style='color:{color}'>{count}</span>")
            else:
                title.setText(f"<b>{responses.name}</b>: all {responses.units} neurons fire on some test digits")
            title.setToolTip(f"A neuron is dead when it {responses.dead_rule} of the analysed test digits")
        self._update_status()
        self._refresh_focus()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        if busy:
            self._failure = ""
        if self._result is None:
            for matrix in self.matrices:
                matrix.set_empty_text("analysing\N{HORIZONTAL ELLIPSIS}" if busy else "not analysed yet")
        self._update_status()

    def show_failure(self, message: str) -> None:
        self._failure = message
        self._update_status()

    def status_text(self) -> str:
        return self.status.text()

    # ---- API: the selection and hints ----------------------------------------------------------

    def set_selection(self, pinned: NeuronRef | None, hovered: NeuronRef | None = None) -> None:
        """The session's pinned neuron (its column lit) and the one hovered in another view."""
        self._pinned, self._hovered = pinned, hovered
        self.ideas.set_pinned(pinned)
        self._refresh_focus()

    def set_hints(self, hints) -> None:
        """The teaching hints that apply to the run (a list of core Hint), listed above the matrices."""
        if not hints:
            self.hint_strip.hide()
            self.hint_strip.setText("")
            return
        lines = "<br>".join(f"\N{WARNING SIGN} <b>{h.measured}</b> \N{EM DASH} {h.suggestion}." for h in hints)
        self.hint_strip.setText(lines)
        self.hint_strip.show()

    def hints_text(self) -> str:
        return "" if self.hint_strip.isHidden() else self.hint_strip.text()

    # ---- API: ideas ----------------------------------------------------------------------------

    def set_network(self, snapshot) -> None:
        self.ideas.set_network(snapshot)

    def set_input_name(self, name: str | None) -> None:
        self.ideas.set_input_name(name)

    def show_idea(self, idea) -> None:
        self.ideas.show_idea(idea)
        self.tabs.setCurrentIndex(IDEAS)

    def set_idea_busy(self, kind, busy: bool) -> None:
        self.ideas.set_busy(kind, busy)

    def show_idea_failure(self, kind, message: str) -> None:
        self.ideas.show_failure(kind, message)
        self.tabs.setCurrentIndex(IDEAS)

    def fool_target(self) -> int:
        """The digit chosen for Fool it."""
        return int(self.ideas.target.currentData() or 0)

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    # ---- internals -----------------------------------------------------------------------------

    def _build_matrices(self, n: int) -> None:
        for title, matrix in zip(self.layer_titles, self.matrices, strict=True):
            for w in (title, matrix):
                self._layers.removeWidget(w)
                w.hide()  # at once: deleteLater waits for the event loop
                w.deleteLater()
        self.layer_titles, self.matrices = [], []
        for k in range(n):
            title = QLabel()
            matrix = ResponseMatrix()
            matrix.cell_clicked.connect(lambda d, j, layer=k + 1: self._on_cell_clicked(layer, d, j))
            matrix.cell_hovered.connect(lambda hit, layer=k + 1: self._on_cell_hovered(layer, hit))
            self._layers.addWidget(title)
            self._layers.addWidget(matrix)
            self.layer_titles.append(title)
            self.matrices.append(matrix)

    def _update_status(self) -> None:
        r = self._result
        if self._failure:
            text = self._failure
        elif r is None:
            text = "Analysing the test set\N{HORIZONTAL ELLIPSIS}" if self._busy else "No analysis yet."
        else:
            dead = r.analysis.dead_count
            units = sum(layer.units for layer in r.layers)
            if not units:
                self.status.setText(f"{r.caption()}: no hidden layer, so no hidden neurons to analyse.")
                return
            alive = f"{dead} of {units} hidden neurons never fire" if dead else "every hidden neuron fires on some digits"
            text = f"{r.caption()}: {alive}." + ("  Updating\N{HORIZONTAL ELLIPSIS}" if self._busy else "")
        self.status.setText(text)

    def _on_cell_clicked(self, layer: int, digit: int, neuron: int) -> None:
        ref = NeuronRef(layer, neuron)
        if self._pinned == ref and self._cell == (ref, digit):
            self._cell = None
            self.neuron_pinned.emit(None)  # the same cell again releases
            return
        self._cell = (ref, digit)
        if self._pinned == ref:
            self._refresh_focus()  # another digit of the pinned neuron
        else:
            self.neuron_pinned.emit(ref)

    def _on_cell_hovered(self, layer: int, hit) -> None:
        ref = None if hit is None else NeuronRef(layer, hit[1])
        if ref != self._matrix_hover:
            self._matrix_hover = ref
            self.neuron_hovered.emit(ref)
            self._refresh_focus()

    def focus(self) -> tuple[NeuronRef | None, int | None]:
        """The neuron the detail describes and the digit it is filtered to."""
        r = self._result
        if r is not None and r.has(self._pinned):
            digit = self._cell[1] if self._cell is not None and self._cell[0] == self._pinned else None
            return self._pinned, digit
        for ref in (self._matrix_hover, self._hovered):
            if r is not None and r.has(ref):
                return ref, None
        return None, None

    def _refresh_focus(self) -> None:
        ref, digit = self.focus()
        pinned = ref is not None and ref == self._pinned
        for k, matrix in enumerate(self.matrices):
            lit = self._pinned if self._pinned is not None and self._pinned.layer == k + 1 else None
            matrix.set_pinned(None if lit is None else lit.index, digit if lit is not None and pinned else None)
        self.detail.show_neuron(self._result, ref, pinned=pinned, digit=digit)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # Wide (a bottom dock, a floating window): matrices beside the neuron; tall: above it.
        wide = self.width() >= 1.5 * self.height() and self.width() >= 760
        if wide != self._wide:
            self._wide = wide
            self._body.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)
