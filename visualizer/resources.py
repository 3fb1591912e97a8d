"""Find nnviz's data files (icons, desktop entry) from a checkout, an installed wheel or a PyInstaller bundle.

Two places hold them:

- ``visualizer/resources/`` inside the package: the icon PNGs the running app needs. They ship
  in the wheel as package data and in the bundle under ``_internal/visualizer/resources``.
- ``resources/`` at the top of the source tree: the SVG sources, ``nnviz.desktop`` and the
  AppStream metainfo. They exist in a checkout and are copied into the bundle's
  ``_internal/resources``; a plain ``pip install`` does not carry them.

Nothing here imports Qt at module level, so the CLI can ask for paths before Qt is loaded.
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
APP_ID = "io.github.nnviz.nnviz"
DESKTOP_FILE = "nnviz.desktop"
METAINFO_FILE = f"{APP_ID}.metainfo.xml"

_PACKAGE_DIR = Path(__file__).resolve().parent


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def resource_dirs() -> tuple[Path, ...]:
    """Folders searched by :func:`resource_path`, first match wins."""
    if is_frozen():
        # One-folder bundles unpack nothing: _MEIPASS is the bundle's _internal folder.
        base = Path(sys._MEIPASS)  # type: ignore[attr-defined]
        return (base / "visualizer" / "resources", base / "resources")
    return (_PACKAGE_DIR / "resources", _PACKAGE_DIR.parent / "resources")


def resource_path(name: str) -> Path:
    """Path of the resource file ``name`` (e.g. ``"nnviz-64.png"`` or ``"nnviz.desktop"``).

    Parameters
    ----------
    name : str
        File name relative to a resource folder; forward slashes allowed, ``..`` is not.

    Raises
    ------
    FileNotFoundError
        Naming every folder searched, so a missing data file in a bundle is easy to diagnose.
    """
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"resource names are relative paths inside the resource folders, not {name!r}")
    dirs = resource_dirs()
    for folder in dirs:
        candidate = folder.joinpath(*rel.parts)
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d) for d in dirs)
    raise FileNotFoundError(f"nnviz resource {name!r} not found (searched: {searched})")


def app_icon_path(size: int = 256) -> Path:
    """The application icon PNG closest to ``size`` pixels (rounded up when possible)."""
    best = next((s for s in ICON_SIZES if s >= size), ICON_SIZES[-1])
    return resource_path(f"nnviz-{best}.png")


def app_icon_paths() -> dict[int, Path]:
    """Every icon size that exists, ``{16: path, 32: path, ...}``."""
    found = {}
    for size in ICON_SIZES:
        try:
            found[size] = resource_path(f"nnviz-{size}.png")
        except FileNotFoundError:
            continue
    return found


def app_icon():
    """A ``QIcon`` holding every icon size, for ``QApplication.setWindowIcon``.

    Needs a ``QGuiApplication`` to exist; returns an empty icon (no crash) when the files are missing.
    """
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for size, path in app_icon_paths().items():
        icon.addFile(str(path), QSize(size, size))
    return icon
