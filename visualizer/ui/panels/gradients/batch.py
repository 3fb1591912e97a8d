"""'This batch': its images with label, prediction and loss; the batch-average gradient beside one image's own."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from visualizer.core.mosaic import color_scale
from visualizer.ui.common import colormaps as cm
from visualizer.ui.common.images import gray_to_qimage
from visualizer.ui.panels.gradients.tiles import GradientTiles

COLUMNS = 8
GOOD, BAD = "#2e9d4a", "#d9534f"


class BatchGrid(QWidget):
    """The batch's images in a grid, each captioned 'label → prediction' and its loss; click one to choose it."""

    image_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._images: list = []
        self._captions: list[str] = []
        self._right: np.ndarray = np.empty(0, bool)
        self._chosen = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(80)
        self.setMouseTracking(False)

    def set_batch(self, images: np.ndarray | None, labels=None, predictions=None, losses=None, chosen: int = 0) -> None:
        if images is None:
            self._images, self._captions, self._right = [], [], np.empty(0, bool)
        else:
            self._images = [gray_to_qimage(im.reshape(28, 28)) for im in images]
            self._captions = [f"{int(t)}→{int(p)} {loss:.2f}" for t, p, loss in zip(labels, predictions, losses, strict=True)]
            self._right = np.asarray(predictions) == np.asarray(labels)
        self._chosen = chosen
        self._fit_height()
        self.update()

    def _fit_height(self) -> None:
        # Every row in full, as tall as the width makes the cells; the maps below take the rest.
        height = self.height_for(self.width()) if self._images else 80
        if height != self.minimumHeight() or height != self.maximumHeight():
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def chosen(self) -> int:
        return self._chosen

    def captions(self) -> list[str]:
        return list(self._captions)

    def _cell(self) -> tuple[float, float]:
        """(cell width, cell height) at the current width."""
        w = max(1.0, self.width() / COLUMNS)
        return w, w - 4 + self.fontMetrics().height() + 2

    def cell_rect(self, i: int) -> QRectF:
        w, h = self._cell()
        r, c = divmod(i, COLUMNS)
        return QRectF(c * w, r * h, w, h)

    def height_for(self, width: int) -> int:
        """The height that shows every row at ``width``."""
        rows = max(1, -(-len(self._images) // COLUMNS))
        cell = width / COLUMNS
        return int(rows * (cell - 4 + self.fontMetrics().height() + 2))

    def sizeHint(self) -> QSize:
        return QSize(400, self.height_for(400))

    def index_at(self, x: float, y: float) -> int | None:
        """The image under widget position (x, y), or None."""
        w, h = self._cell()
        c, r = int(x // w), int(y // h)
        i = r * COLUMNS + c
        return i if 0 <= c < COLUMNS and 0 <= i < len(self._images) else None

    def mousePressEvent(self, event) -> None:
        i = self.index_at(event.position().x(), event.position().y())
        if i is not None:
            self._chosen = i
            self.update()
            self.image_clicked.emit(i)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:  # the whole caption, however narrow the cell
            i = self.index_at(event.pos().x(), event.pos().y())
            if i is None:
                QToolTip.hideText()
            else:
                truth, rest = self._captions[i].split("→", 1)
                predicted, loss = rest.split(" ", 1)
                QToolTip.showText(event.globalPos(), f"Image {i + 1}: a {truth}, predicted {predicted}, loss {loss}",
                                  self)
            return True
        return super().event(event)

    def paintEvent(self, event) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        painter = QPainter(self)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))
        painter.setFont(small)
        fm = painter.fontMetrics()
        for i, image in enumerate(self._images):
            cell = self.cell_rect(i)
            side = cell.width() - 4
            box = QRectF(cell.x() + 2, cell.y() + 2, side, side)
            painter.drawImage(box, image)
            ok = bool(self._right[i])
            painter.setPen(QPen(cm.mix(pal.color(QPalette.ColorRole.Window), text, 0.3) if ok else QColor(BAD),
                                1 if ok else 2))
            painter.drawRect(box.adjusted(0, 0, -1, -1))
            if i == self._chosen:
                painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 3))
                painter.drawRect(box.adjusted(-1, -1, 0, 0))
            painter.setPen(text if ok else QColor(BAD))
            caption = _fitting(self._captions[i], fm, int(cell.width()))
            painter.drawText(QRectF(cell.x(), box.bottom() + 1, cell.width(), fm.height()),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, caption)
        painter.end()


def _fitting(caption: str, fm, width: int) -> str:
    """'7→7 0.40' when it fits the cell, else '7→7 .40', else '7→7' (a narrow dock: the loss
    is in the cell's tooltip)."""
    short = caption.replace(" 0.", " .")
    for text in (caption, short, caption.split(" ")[0]):
        if fm.horizontalAdvance(text) <= width:
            return text
    return fm.elidedText(caption, Qt.TextElideMode.ElideRight, width)


class BatchView(QWidget):
    """The batch tab: paging, the image grid, and the average gradient beside the chosen image's own.

    Signals
    -------
    batch_step_requested(int)
        Previous (-1) or Next (+1) batch.
    image_chosen(int)
        The user clicked image ``i`` of the batch.
    """

    batch_step_requested = Signal(int)
    image_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)  # at its full length the title alone is wider than a side dock
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.previous_button = QPushButton("◀ Previous")
        self.next_button = QPushButton("Next ▶")
        self.previous_button.setToolTip("The previous batch of the same shuffle")
        self.next_button.setToolTip("The next batch of the same shuffle")
        self.grid = BatchGrid()
        self.average = GradientTiles("Batch average −∂L/∂W₁")
        self.single = GradientTiles("This image's −∂L/∂W₁")
        self.readout = QLabel(" ")
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.previous_button)
        head.addWidget(self.next_button)
        maps = QHBoxLayout()
        maps.addWidget(self.average)
        maps.addWidget(self.single)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(head)
        layout.addWidget(self.note)
        layout.addWidget(self.grid)
        layout.addLayout(maps, 1)
        layout.addWidget(self.readout)
        self.previous_button.clicked.connect(lambda: self.batch_step_requested.emit(-1))
        self.next_button.clicked.connect(lambda: self.batch_step_requested.emit(+1))
        self.grid.image_clicked.connect(self.image_chosen)
        for tiles in (self.average, self.single):
            tiles.hovered.connect(lambda text: self.readout.setText(text or " "))

    def set_batch(self, batch, chosen: int, example, note: str) -> None:
        """Show ``batch`` (BatchExamples or None), its image ``chosen`` and that image's ExampleGradient."""
        self.note.setText(note)
        for b in (self.previous_button, self.next_button):
            b.setEnabled(batch is not None)
        if batch is None:
            self.title.setText("<b>This batch</b>: waiting for the training images…" if note else "")
            self.grid.set_batch(None)
            self.average.set_matrix(None)
            self.single.set_matrix(None)
            return
        g = batch.gradient
        self.title.setText(f"<b>{batch.title}</b> · mean loss {g.loss:.3f} · {g.accuracy:.0%} right")
        self.grid.set_batch(batch.images, batch.labels, g.predictions, g.losses, chosen)
        avg, own = -g.weight_gradients[0], -example.weight_gradients[0]
        # Each on its own scale (in the title): averaging cancels much of what single images ask,
        # so the average is several times weaker and would fade away on the single image's scale.
        a, b = color_scale(avg), color_scale(own)
        self.average.set_matrix(avg, f"Batch average −∂L/∂W₁, all {len(batch)} images (±{a:.2g})", a)
        self.single.set_matrix(own, f"Image {chosen + 1} alone: a {int(batch.labels[chosen])}, loss "
                               f"{float(g.losses[chosen]):.2f} (±{b:.2g})", b)
