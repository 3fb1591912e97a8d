"""NeuronDetail: one hidden neuron up close — the test digits that excite it most, its template, histogram, dead flag."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from visualizer.core.neurons import TOP_IMAGES
from visualizer.session.neurons import NeuronResult
from visualizer.session.selection import NeuronRef
from visualizer.ui.common import colormaps as cm
from visualizer.ui.common.images import ImageTile, diverging_qimage, gray_to_qimage
from visualizer.ui.panels.neurons.matrix import DEAD_COLOR

GRID_COLUMNS = 3


class DigitTile(ImageTile):
    """A test digit that can be clicked to show it (send it through the network)."""

    clicked = Signal(int)  # its index in the test set

    def __init__(self, parent: QWidget | None = None):
        super().__init__("", parent, minimum=40)
        self.index: int | None = None
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.index is not None:
            self.clicked.emit(self.index)
            event.accept()
        else:
            super().mousePressEvent(event)


class Histogram(QWidget):
    """One neuron's activations over the analysed digits as bars, its range under them."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._counts: np.ndarray | None = None
        self._edges: np.ndarray | None = None
        self.setMinimumSize(120, 70)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_histogram(self, counts: np.ndarray | None, edges: np.ndarray | None) -> None:
        self._counts = None if counts is None else np.asarray(counts, dtype=np.float64)
        self._edges = None if edges is None else np.asarray(edges, dtype=np.float64)
        self.update()

    def counts(self) -> np.ndarray | None:
        return None if self._counts is None else self._counts.copy()

    def sizeHint(self) -> QSize:
        return QSize(160, 80)

    def paintEvent(self, event) -> None:
        pal = self.palette()
        text, window = pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Window)
        painter = QPainter(self)
        fm = self.fontMetrics()
        chart = QRectF(2, 2, self.width() - 4, self.height() - fm.height() - 6)
        painter.fillRect(chart, cm.mix(window, text, 0.05))
        if self._counts is not None and self._counts.sum() > 0:
            # Square-rooted heights: a neuron that is 0 for most digits still shows its other values.
            h = np.sqrt(self._counts / self._counts.max())
            slot = chart.width() / len(h)
            bar = pal.color(QPalette.ColorRole.Highlight)
            for i, v in enumerate(h):
                height = v * chart.height()
                painter.fillRect(QRectF(chart.x() + i * slot + 0.5, chart.bottom() - height, max(slot - 1, 1), height), bar)
            painter.setPen(text)
            below = QRectF(chart.x(), chart.bottom() + 2, chart.width(), fm.height())
            painter.drawText(below, Qt.AlignmentFlag.AlignLeft, f"{self._edges[0]:.3g}")
            painter.drawText(below, Qt.AlignmentFlag.AlignRight, f"{self._edges[-1]:.3g}")
            painter.drawText(below, Qt.AlignmentFlag.AlignHCenter, "activation")
        painter.end()


class NeuronDetail(QWidget):
    """What one neuron responds to; :meth:`show_neuron` says which and with which analysis.

    Signals
    -------
    digit_clicked(int)
        A listed test digit was clicked (its index in the test set).
    dream_requested(object)
        "Dream of it": the :class:`NeuronRef` shown.
    unpin_requested()
    """

    digit_clicked = Signal(int)
    dream_requested = Signal(object)
    unpin_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._ref: NeuronRef | None = None
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.grid_caption = QLabel()
        self.grid_caption.setWordWrap(True)
        self.tiles = [DigitTile() for _ in range(TOP_IMAGES)]
        grid = QGridLayout()
        grid.setSpacing(3)
        for k, tile in enumerate(self.tiles):
            grid.addWidget(tile, k // GRID_COLUMNS, k % GRID_COLUMNS)
            tile.clicked.connect(self.digit_clicked)
        self.template = ImageTile("incoming weights", minimum=64)
        self.template.setToolTip("Its 784 incoming weights as a 28\N{MULTIPLICATION SIGN}28 image: red pixels "
                                 "push it up, blue ones down (its 'template')")
        self.histogram = Histogram()
        self.histogram.setToolTip("How often each activation occurs over the analysed test digits "
                                  "(bar heights square-rooted so rare values stay visible)")
        self.dream_button = QPushButton("Dream of it")
        self.dream_button.setToolTip("Find the input that excites this neuron most (gradient ascent on the pixels)")
        self.unpin_button = QPushButton("Unpin")
        self.unpin_button.setToolTip("Release the pinned neuron (click it again in any view does the same)")
        self.dream_button.clicked.connect(lambda: self._ref is not None and self.dream_requested.emit(self._ref))
        self.unpin_button.clicked.connect(self.unpin_requested)

        side = QVBoxLayout()
        side.addWidget(self.template, 3)
        side.addWidget(self.histogram, 2)
        body = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.grid_caption)
        left.addLayout(grid)
        body.addLayout(left, 3)
        body.addLayout(side, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.dream_button)
        buttons.addWidget(self.unpin_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addLayout(body)
        layout.addLayout(buttons)
        self.show_neuron(None, None)

    def neuron(self) -> NeuronRef | None:
        return self._ref

    def listed(self) -> list[int]:
        """The test-set indices of the digits listed now, strongest first."""
        return [t.index for t in self.tiles if t.index is not None]

    def show_neuron(self, result: NeuronResult | None, ref: NeuronRef | None, *, pinned: bool = False,
                    digit: int | None = None) -> None:
        """Describe ``ref`` with ``result`` (None: say how to pick one); ``digit`` lists only that class."""
        have = result is not None and result.has(ref)
        self._ref = ref if have else None
        self.dream_button.setEnabled(have)
        self.unpin_button.setVisible(pinned)
        if not have:
            self.title.setText("Hover or click a neuron")
            self.status.setText("Hover a column of the matrix (or a neuron in the network view) to see what "
                                "excites it; click to pin it in every view." if result is not None else
                                "The analysis appears here once there is a network and a test set.")
            self.grid_caption.setText("")
            for tile in self.tiles:
                tile.index = None
                tile.set_image(None)
                tile.set_caption("")
            self.template.set_image(None)
            self.histogram.set_histogram(None, None)
            return
        layer = result.layer(ref.layer)
        self.title.setText(f"{layer.name} \N{MIDDLE DOT} neuron {ref.index}" + ("  (pinned)" if pinned else ""))
        j = ref.index
        if layer.dead[j]:
            color = DEAD_COLOR[cm.is_dark(self.palette())].name()
            self.status.setText(f"<b style='color:{color}'>Dead</b>: it {layer.dead_rule} "
                                f"({result.analysis.count:,} test digits), so it passes nothing on and no longer learns.")
        else:
            self.status.setText(f"Fires on {layer.fire_rate[j]:.0%} of {result.analysis.count:,} test digits; "
                                f"mean {layer.mean[j]:.3g}, largest {layer.maximum[j]:.3g}.")
        ids, values = result.top(ref, digit)
        which = "test digits" if digit is None else f"{digit}s"
        self.grid_caption.setText(f"The {len(ids)} {which} that excite it most (click one to show it):")
        for k, tile in enumerate(self.tiles):
            if k < len(ids):
                i = int(ids[k])
                tile.index = i
                tile.set_image(gray_to_qimage(result.images[i].reshape(28, 28)))
                tile.set_caption(f"{int(result.labels[i])} \N{MIDDLE DOT} {values[k]:.2f}")
                tile.setToolTip(f"Test digit #{i + 1:,} (a {int(result.labels[i])}): activation {values[k]:.3f}")
            else:
                tile.index = None
                tile.set_image(None)
                tile.set_caption("")
        template = result.template(ref)
        self.template.setVisible(template is not None)
        if template is not None:
            image, m = diverging_qimage(template, self.palette())
            self.template.set_image(image)
            self.template.set_caption(f"incoming weights \N{PLUS-MINUS SIGN}{m:.2g}")
        self.histogram.set_histogram(layer.histogram[j], layer.histogram_edges[j])
