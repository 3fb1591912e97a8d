"""Images and labels that redraw every frame: the same pixels as pyqtgraph's, no window re-layout."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from visualizer.ui.common.labels import HeldText
from visualizer.ui.common.lut_image import LutImage


def _lut() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (256, 4), dtype=np.uint8)


def _rendered(item: pg.ImageItem) -> np.ndarray:
    item.render()
    image = item.qimage.convertToFormat(item.qimage.Format.Format_ARGB32)
    return np.frombuffer(bytes(image.constBits()), np.uint8)  # copied while the image lives


def test_a_lut_image_draws_the_same_pixels_as_pyqtgraphs_image_item(qtbot):
    image = np.random.default_rng(0).normal(size=(30, 20)).astype(np.float32)
    image[0, 0], image[0, 1] = -5.0, 5.0  # beyond the levels: clipped to the table's ends
    ours, theirs = LutImage(axisOrder="row-major"), pg.ImageItem(axisOrder="row-major")
    for item in (ours, theirs):
        item.setLookupTable(_lut())
        item.setImage(image, autoLevels=False, levels=(-1.5, 2.0))
    np.testing.assert_array_equal(_rendered(ours), _rendered(theirs))
    np.testing.assert_array_equal(ours.image, image)  # the values stay readable (hover, exports, tests)
    lut = _lut()[::-1].copy()  # another palette: the colour table follows
    for item in (ours, theirs):
        item.setLookupTable(lut)
    np.testing.assert_array_equal(_rendered(ours), _rendered(theirs))


def test_a_lut_image_with_nans_renders_as_pyqtgraph_does(qtbot):
    image = np.ones((4, 4), np.float32)
    image[1, 2] = np.nan
    ours, theirs = LutImage(axisOrder="row-major"), pg.ImageItem(axisOrder="row-major")
    for item in (ours, theirs):
        item.setLookupTable(_lut())
        item.setImage(image, autoLevels=False, levels=(0, 2))
    np.testing.assert_array_equal(_rendered(ours), _rendered(theirs))


class _LayoutRequests(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def _layout_requests(qtbot, label) -> tuple[int, QWidget]:
    """Layout requests the label's window gets while its text changes a dozen times, and the window."""
    host = QWidget()
    qtbot.addWidget(host)
    QVBoxLayout(host).addWidget(label)
    host.resize(300, 200)
    host.show()
    qtbot.waitExposed(host)
    QApplication.processEvents()
    requests = _LayoutRequests()
    host.installEventFilter(requests)
    for pct in range(82, 95):
        label.setText(f"predicted <b>3</b> ({pct}%)")
        QApplication.processEvents()
    assert label.text() == "predicted <b>3</b> (94%)"
    return requests.count, host


def test_held_text_changes_without_asking_the_window_for_a_layout(qtbot):
    plain = QLabel("predicted <b>3</b> (81%)")
    plain.setWordWrap(True)
    assert _layout_requests(qtbot, plain)[0] > 0  # what the Training dock's prediction line did
    label = HeldText("predicted <b>3</b> (81%)", lines=2)
    count, _host = _layout_requests(qtbot, label)
    assert count == 0
    # A text longer than the lines held: the holder grows so all of it shows.
    before = label.height()
    label.setText(" ".join(["a long prediction text"] * 20))
    QApplication.processEvents()
    assert label.height() > before
    assert label.label.height() >= label.label.heightForWidth(label.width())
