"""Render the nnviz icon PNGs from the SVG sources with Qt's own SVG renderer.

Run from anywhere with the project's Python (PySide6-Essentials ships QtSvg):

    python packaging/render_icons.py

Writes visualizer/resources/nnviz-<size>.png for every size in ICON_SIZES. The full drawing
(resources/icons/nnviz.svg) turns to mush below 48 px, so 32 px comes from nnviz-small.svg
(fewer nodes, thicker strokes) and 16 px from nnviz-16.svg (fitted to the pixel grid).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from visualizer.resources import ICON_SIZES  # noqa: E402

SOURCE_DIR = ROOT / "resources" / "icons"
OUT_DIR = ROOT / "visualizer" / "resources"
SOURCES = {16: "nnviz-16.svg", 32: "nnviz-small.svg"}  # every other size: nnviz.svg


def source_for(size: int) -> Path:
    """The SVG drawn for this pixel size."""
    return SOURCE_DIR / SOURCES.get(size, "nnviz.svg")


def render(svg: Path, size: int, out: Path) -> None:
    """Rasterize ``svg`` to a ``size`` x ``size`` RGBA PNG at ``out``."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"invalid SVG: {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    if not image.convertToFormat(QImage.Format.Format_ARGB32).save(str(out), "PNG"):
        raise SystemExit(f"could not write {out}")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (QImage/QPainter need it)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for size in ICON_SIZES:
        out = OUT_DIR / f"nnviz-{size}.png"
        render(source_for(size), size, out)
        print(f"{out.relative_to(ROOT)}  ({source_for(size).name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
