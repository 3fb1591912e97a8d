"""LutImage: a pyqtgraph ImageItem that builds its colour table once per lookup table, not per draw.

pyqtgraph 0.14 draws a float image through a 256-colour lookup table as an indexed QImage, and
builds that image's colour table anew on every render: 256 Python calls of ``qRgba`` (about
0.4 ms), for each of the network view's and weight maps' images, every frame. LutImage keeps
the table of the lookup table it last saw and does the same rescaling as pyqtgraph, so the
pixels drawn, ``image``, ``levels`` and ``lut`` are the same as a plain ImageItem's.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph import functions as fn
from PySide6.QtGui import QImage


def color_table(lut: np.ndarray) -> list[int]:
    """An (n, 4) uint8 RGBA lookup table as QImage colour-table entries (``qRgba`` values)."""
    a = lut.astype(np.uint32)
    return ((a[:, 3] << 24) | (a[:, 0] << 16) | (a[:, 1] << 8) | a[:, 2]).tolist()


class LutImage(pg.ImageItem):
    """An ImageItem for 2-D float images shown through an (n <= 256, 4) uint8 lookup table.

    Anything else (colour images, NaNs, callable tables, downsampling) renders as pyqtgraph does.
    """

    def __init__(self, *args, **kwargs):
        self._table_key: bytes | None = None
        self._table: list[int] = []
        super().__init__(*args, **kwargs)

    def _fast(self) -> bool:
        image, lut = self.image, self.lut
        if image is None or image.ndim != 2 or image.size == 0 or image.dtype.kind != "f" or self.autoDownsample:
            return False
        if not isinstance(lut, np.ndarray) or lut.dtype != np.uint8 or lut.ndim != 2 or lut.shape[1] != 4:
            return False
        if self.levels is None or np.ndim(self.levels) != 1 or not 0 < lut.shape[0] <= 256:
            return False
        if self._imageHasNans is None:  # as ImageItem.render keeps it: NaNs take pyqtgraph's own path
            self._imageHasNans = bool(np.isnan(image.min()))
            self._imageNanLocations = None
        return not self._imageHasNans

    def render(self) -> None:
        if not self._fast():
            super().render()
            return
        lut = self.lut
        key = lut.tobytes()  # a kilobyte to compare: a palette change swaps the table
        if key != self._table_key:
            self._table_key, self._table = key, color_table(lut)
        n = lut.shape[0]
        lo, hi = float(self.levels[0]), float(self.levels[1])
        span = (hi - lo) or 1.0
        # pyqtgraph's own rescaling (functions_qimage._rescale_and_lookup_float), so pixels match.
        index = fn.rescaleData(self.image, n / span, lo, dtype=np.uint8, clip=(0, n - 1))
        if self.axisOrder == "col-major":
            index = index.T
        qimage = fn.ndarray_to_qimage(np.ascontiguousarray(index), QImage.Format.Format_Indexed8)
        qimage.setColorTable(self._table)
        self.qimage = qimage
        self._processingBuffer = None
        self._displayBuffer = None
        self._renderRequired = False
        self._unrenderable = False
