"""Fixtures for the data-layer tests."""

import pytest

from visualizer.core import safeio

LITTLE_MEMORY = 256 << 20  # free memory the little_memory fixture pretends: 128 MB may be allocated


@pytest.fixture
def little_memory(monkeypatch):
    """Pretend the machine has only 256 MB free, so size checks refuse without big test files."""
    monkeypatch.setattr(safeio, "available_memory", lambda: LITTLE_MEMORY)
    return safeio.allocation_limit()
