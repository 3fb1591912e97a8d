"""The network view tests' shared fixture: a shown 900x450 NetworkView."""

from __future__ import annotations

import pytest

from visualizer.ui.panels.network.view import NetworkView


@pytest.fixture
def network_view(qtbot):
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(900, 450)
    view.show()
    qtbot.waitExposed(view)
    return view
