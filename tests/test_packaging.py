"""Packaging: desktop entry, AppStream metainfo, icons, resource lookup, the PyInstaller spec and the self-test."""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from visualizer import resources
from visualizer.resources import ICON_SIZES, app_icon_path, resource_path

ROOT = Path(__file__).resolve().parents[1]
DESKTOP = ROOT / "resources" / "nnviz.desktop"
METAINFO = ROOT / "resources" / "io.github.nnviz.nnviz.metainfo.xml"
PACKAGING = ROOT / "packaging"


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_launches_nnviz_in_education_and_science():
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "nnviz"
    assert entry["GenericName"] == "Neural network visualizer"
    assert entry["Comment"]
    assert entry["Exec"] == "nnviz"
    assert entry["Icon"] == "nnviz"
    assert entry["Terminal"] == "false"
    # The window's WM_CLASS must match, or docks show a second, generic icon next to the launcher.
    assert entry["StartupWMClass"] == "nnviz"
    categories = entry["Categories"].split(";")
    assert {"Education", "Science"} <= set(categories)
    assert entry["Categories"].endswith(";") and entry["Keywords"].endswith(";")


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-validate not installed (apt: desktop-file-utils)")
def test_desktop_entry_validates():
    run = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    errors = [ln for ln in (run.stdout + run.stderr).splitlines() if "error:" in ln]
    assert run.returncode == 0 and not errors, run.stdout + run.stderr


def test_metainfo_names_the_desktop_entry_and_icon():
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == "io.github.nnviz.nnviz" == resources.APP_ID
    assert root.findtext("name") == "nnviz"
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.find("description/p") is not None


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli not installed (apt: appstream)")
def test_metainfo_validates():
    run = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("size", ICON_SIZES)
def test_icon_png_has_its_size_and_a_transparent_corner(size):
    path = ROOT / "visualizer" / "resources" / f"nnviz-{size}.png"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (size, size)
        rgba = image.convert("RGBA")
        assert rgba.getpixel((0, 0))[3] < 40, "the rounded-square corner should be see-through"
        assert rgba.getpixel((size // 2, size // 2))[3] == 255, "the middle of the icon should be opaque"


def test_icons_sit_where_the_wheel_ships_them():
    # pyproject's package-data pattern is "resources/*": files directly in visualizer/resources/.
    shipped = {p.name for p in (ROOT / "visualizer" / "resources").iterdir() if p.is_file()}
    assert {f"nnviz-{s}.png" for s in ICON_SIZES} <= shipped


@pytest.mark.parametrize("name", ["nnviz.svg", "nnviz-small.svg", "nnviz-16.svg"])
def test_svg_sources_parse(name):
    root = ET.parse(ROOT / "resources" / "icons" / name).getroot()
    assert root.tag.endswith("svg") and root.get("viewBox")


def test_resource_path_finds_icons_and_desktop_entry():
    assert resource_path("nnviz-256.png").is_file()
    assert resource_path("nnviz.desktop") == DESKTOP
    assert app_icon_path() == resource_path("nnviz-256.png")
    assert app_icon_path(20).name == "nnviz-32.png"  # rounds up to the next size drawn
    assert app_icon_path(4096).name == "nnviz-512.png"


def test_resource_path_explains_what_is_missing():
    with pytest.raises(FileNotFoundError, match="no-such-file.png"):
        resource_path("no-such-file.png")
    for bad in ("../pyproject.toml", "/etc/passwd", ""):
        with pytest.raises(ValueError):
            resource_path(bad)


def test_resource_path_inside_a_pyinstaller_bundle(tmp_path, monkeypatch):
    internal = tmp_path / "_internal"  # one-folder layout: sys._MEIPASS is the _internal folder
    (internal / "visualizer" / "resources").mkdir(parents=True)
    (internal / "resources").mkdir()
    icon = internal / "visualizer" / "resources" / "nnviz-64.png"
    icon.write_bytes(b"png")
    (internal / "resources" / "nnviz.desktop").write_text("[Desktop Entry]\n")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(internal), raising=False)
    assert resources.is_frozen()
    assert resource_path("nnviz-64.png") == icon
    assert resource_path("nnviz.desktop") == internal / "resources" / "nnviz.desktop"
    with pytest.raises(FileNotFoundError, match="_internal"):
        resource_path("nnviz-128.png")  # the checkout's copy must not be used by a bundle


def test_spec_builds_nnviz_from_the_launcher():
    spec = (PACKAGING / "nnviz.spec").read_text(encoding="utf-8")
    assert '"launcher.py"' in spec and 'name="nnviz"' in spec
    assert "COLLECT(" in spec  # one-folder bundle
    for data in ('"nnviz.desktop"', '"*.png"', '"install-desktop-entry.sh"'):
        assert data in spec
    launcher = (PACKAGING / "launcher.py").read_text(encoding="utf-8")
    assert "from visualizer.cli import main" in launcher and "sys.exit(main())" in launcher


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_install_desktop_entry_script_installs_and_uninstalls(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    script = str(PACKAGING / "install-desktop-entry.sh")
    run = subprocess.run(["bash", script, "--exec", "/opt/nn viz/nnviz"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    desktop = tmp_path / "applications" / "nnviz.desktop"
    assert 'Exec="/opt/nn viz/nnviz"' in desktop.read_text()
    for size in ICON_SIZES:
        with Image.open(tmp_path / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "nnviz.png") as image:
            assert image.size == (size, size)
    assert (tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "nnviz.svg").is_file()
    assert (tmp_path / "metainfo" / METAINFO.name).is_file()

    run = subprocess.run(["bash", script, "--uninstall"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert not desktop.exists()
    assert not list(tmp_path.rglob("nnviz.png")) and not list(tmp_path.rglob("nnviz.svg"))


def test_cli_has_self_test_flag():
    from visualizer.cli import build_parser

    assert build_parser().parse_args(["--self-test"]).self_test is True


_SELF_TEST_DEPS = ("visualizer.ui.window", "visualizer.training.trainer", "visualizer.training.export")


@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in _SELF_TEST_DEPS),
    reason=f"self-test needs {', '.join(_SELF_TEST_DEPS)}",
)
def test_self_test_passes_offscreen():
    # A fresh process: the self-test owns its QApplication and QSettings paths, as in the bundle.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NNVIZ_DEBUG": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "visualizer", "--self-test"],
        env=env, capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    lines = run.stdout.splitlines()
    assert run.returncode == 0, run.stdout + run.stderr
    assert not [ln for ln in lines if ln.startswith("FAIL")]
    checks = {ln[5:].split("  ")[0] for ln in lines if ln.startswith("ok   ")}
    expected = {"modules", "icons", "qt", "main window", "synthetic data", "train one batch"}
    expected |= {f"export {s}" for s in (".keras", ".weights.h5", ".npz", ".json", ".tflite")}
    expected |= {f"import {s}" for s in (".npz", ".keras", ".weights.h5", ".json")}
    assert expected <= checks, f"missing checks: {expected - checks}"
    assert lines[-1].startswith("self-test passed")
