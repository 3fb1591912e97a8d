"""Can Qt open a window here? Checked before the QApplication exists, so a missing system library is one line, not an abort.

Qt's X11 plugin needs system libraries a fresh Debian or Ubuntu lacks (``libxcb-cursor0`` first
of all); without them Qt prints a page about plugins and aborts with a core dump. So before Qt
starts, nnviz loads the plugin the way Qt will (``dlopen``), names the missing library, its
package and the command that installs it, and stops with exit code 2. In a Wayland session it
uses Qt's Wayland plugin, which needs none of them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import MutableMapping
from pathlib import Path

from visualizer.core.errors import NnvizError

# The libraries Qt's xcb plugin links that a fresh desktop may lack, and their packages:
# (Debian/Ubuntu/openSUSE, Fedora, Arch).
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil", "xcb-util-renderutil"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
}
# How each family installs a package, and which column of XCB_LIBRARIES names it.
_INSTALLERS = {
    "debian": ("sudo apt install {}", 0),
    "ubuntu": ("sudo apt install {}", 0),
    "suse": ("sudo zypper install {}", 0),
    "fedora": ("sudo dnf install {}", 1),
    "rhel": ("sudo dnf install {}", 1),
    "arch": ("sudo pacman -S {}", 2),
}
_MISSING = re.compile(r"(lib[\w.+-]+?\.so(?:\.\d+)*): cannot open shared object file")
_PLUGINS = {"xcb": ("libqxcb.so",), "wayland": ("libqwayland.so", "libqwayland-generic.so")}


class DisplayError(NnvizError):
    """The window cannot open on this machine; the message says why and what to install."""


def platform_plugin_problem(name: str) -> str | None:
    """Why Qt's platform plugin ``name`` ("xcb", "wayland") would not load here, or None when it does."""
    import _ctypes  # plain dlopen: PyInstaller's ctypes wrapper would replace the real reason

    from PySide6.QtCore import QLibraryInfo

    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    found = [folder / f for f in _PLUGINS[name] if (folder / f).exists()]
    if not found:
        return f"{_PLUGINS[name][0]} not found in {folder}"
    try:
        handle = _ctypes.dlopen(str(found[0]), os.RTLD_NOW | os.RTLD_LOCAL)
    except OSError as exc:
        return str(exc)
    _ctypes.dlclose(handle)
    return None


def read_os_release() -> str:
    try:
        return Path("/etc/os-release").read_text(errors="replace")
    except OSError:
        return ""


def install_command(os_release: str | None = None) -> tuple[str, int]:
    """(command pattern, package column) for this Linux family, from /etc/os-release; Debian's by default."""
    os_release = read_os_release() if os_release is None else os_release
    ids = []
    for line in os_release.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids += value.strip().strip('"').lower().split()
    for family in ids:
        for known, installer in _INSTALLERS.items():
            if known in family:
                return installer
    return _INSTALLERS["debian"]


def missing_library_message(problem: str, os_release: str | None = None) -> str:
    """One line for a plugin that does not load: the library, its package and how to install it."""
    match = _MISSING.search(problem)
    library = match.group(1) if match else None
    if library not in XCB_LIBRARIES:
        return f"the window cannot open: Qt's X11 plugin does not load ({problem})"
    pattern, column = install_command(os_release=os_release)
    package = XCB_LIBRARIES[library][column]
    return (f"the window cannot open: Qt's X11 plugin needs the system library {library}, which is not "
            f"installed; install it with: {pattern.format(package)}")


def prepare_display(environ: MutableMapping[str, str] | None = None, *, problem=None,
                    os_release: str | None = None) -> None:
    """Make sure Qt can open a window, before any QApplication exists; raise DisplayError when it cannot.

    Only Linux is checked, and only when Qt would use X11: a platform the user chose
    (``QT_QPA_PLATFORM=offscreen``, ``wayland``, ...) is left alone. In a Wayland session
    ``QT_QPA_PLATFORM`` is set to Wayland (with X11 as Qt's fallback when that loads too).
    ``problem(name)`` says why a plugin would not load (default :func:`platform_plugin_problem`).
    """
    environ = os.environ if environ is None else environ
    problem = platform_plugin_problem if problem is None else problem
    if not sys.platform.startswith("linux"):
        return
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen and not chosen.startswith("xcb"):
        return
    wayland = bool(environ.get("WAYLAND_DISPLAY")) or environ.get("XDG_SESSION_TYPE") == "wayland"
    if not chosen and wayland and problem("wayland") is None:
        environ["QT_QPA_PLATFORM"] = "wayland" if problem("xcb") else "wayland;xcb"
        return
    if not environ.get("DISPLAY"):
        raise DisplayError("there is no display to open the window on (DISPLAY is not set, no X11 or Wayland "
                           "session); start nnviz from a desktop session, or use nnviz train, predict and "
                           "export, which need none")
    found = problem("xcb")
    if found:
        raise DisplayError(missing_library_message(found, os_release))
