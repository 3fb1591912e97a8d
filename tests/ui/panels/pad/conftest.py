"""The pad panel fixture shared by the pad tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from visualizer.ui.panels.pad.panel import PadPanel


@pytest.fixture
def panel(qtbot, make_snapshot):
    from visualizer.data.images import load_image

    p = PadPanel()
    # What the window does (off the GUI thread there): read the file, hand the image back.
    p.image_requested.connect(lambda path: p.show_image(load_image(path), Path(path).name))
    qtbot.addWidget(p)
    p.resize(900, 520)
    p.show()
    qtbot.waitExposed(p)
    p.set_snapshot(make_snapshot(seed=3))
    return p
