"""Starting on a new machine: a missing X11 library is one line and exit code 2 before Qt can abort (faked absence)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from visualizer.ui import display

DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\n'
NO_CURSOR = "libxcb-cursor.so.0: cannot open shared object file: No such file or directory"


def fake_plugins(xcb=None, wayland="libqwayland.so not found"):
    """A stand-in for dlopen-ing Qt's platform plugins: each name maps to its problem (None: it loads)."""
    asked = []

    def problem(name):
        asked.append(name)
        return {"xcb": xcb, "wayland": wayland}[name]

    problem.asked = asked
    return problem


@pytest.mark.parametrize("release, command", [(DEBIAN, "sudo apt install libxcb-cursor0"),
                                              (UBUNTU, "sudo apt install libxcb-cursor0"),
                                              (FEDORA, "sudo dnf install xcb-util-cursor")])
def test_a_missing_libxcb_cursor_names_the_package_and_the_command(release, command):
    env = {"DISPLAY": ":0"}
    with pytest.raises(display.DisplayError) as err:
        display.prepare_display(env, problem=fake_plugins(xcb=NO_CURSOR), os_release=release)
    assert str(err.value) == ("the window cannot open: Qt's X11 plugin needs the system library libxcb-cursor.so.0, "
                              f"which is not installed; install it with: {command}")


def test_nnviz_exits_2_with_one_line_before_any_qapplication(monkeypatch, capsys):
    from visualizer import app, cli

    monkeypatch.setattr(display, "platform_plugin_problem", fake_plugins(xcb=NO_CURSOR))  # as if uninstalled
    monkeypatch.setattr(display, "read_os_release", lambda: DEBIAN)
    monkeypatch.setattr(app, "create_app", lambda *a, **k: pytest.fail("Qt was started"))
    for name in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert err == ("nnviz: error: the window cannot open: Qt's X11 plugin needs the system library "
                   "libxcb-cursor.so.0, which is not installed; install it with: sudo apt install libxcb-cursor0\n")


def test_a_wayland_session_uses_wayland_and_needs_no_x11_library():
    env = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    display.prepare_display(env, problem=fake_plugins(xcb=NO_CURSOR, wayland=None))
    assert env["QT_QPA_PLATFORM"] == "wayland"
    env = {"XDG_SESSION_TYPE": "wayland"}
    display.prepare_display(env, problem=fake_plugins(xcb=None, wayland=None))
    assert env["QT_QPA_PLATFORM"] == "wayland;xcb"  # X11 stays Qt's fallback when it loads too


def test_a_platform_the_user_chose_is_left_alone():
    for chosen in ("offscreen", "wayland", "eglfs"):
        env = {"QT_QPA_PLATFORM": chosen}
        problem = fake_plugins(xcb=NO_CURSOR)
        display.prepare_display(env, problem=problem)
        assert env == {"QT_QPA_PLATFORM": chosen} and problem.asked == []


def test_other_reasons_are_still_one_line():
    with pytest.raises(display.DisplayError, match="no display to open the window on"):
        display.prepare_display({}, problem=fake_plugins())
    with pytest.raises(display.DisplayError, match=r"does not load \(undefined symbol: xcb_foo\)"):
        display.prepare_display({"DISPLAY": ":0"}, problem=fake_plugins(xcb="undefined symbol: xcb_foo"))


def test_the_real_plugins_load_here():
    """On this machine the libraries are installed: the real check finds nothing wrong."""
    if not sys.platform.startswith("linux"):
        pytest.skip("Linux only")
    assert display.platform_plugin_problem("xcb") is None


def test_without_a_display_nnviz_says_so_instead_of_dumping_core(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM",
                                                             "XDG_SESSION_TYPE")}
    env.update(PYTHONPATH=str(root), HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "visualizer"], capture_output=True, text=True, timeout=120,
                          env=env, cwd=root)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("nnviz: error: there is no display to open the window on") and \
        proc.stderr.count("\n") == 1
