"""The layering rules hold (core <- data/training, core <- session <- ui, panels apart): import-linter contracts."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is part of the test extra: pip install -e '.[test]'"
    return subprocess.run([exe, "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(root)})


def test_import_contracts_hold():
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout
    for contract in ("session is Qt-free", "panels are independent", "never imports the benchmarks",
                     "panels never import training or data"):
        assert contract in proc.stdout, f"contract missing from pyproject.toml: {contract}"


@pytest.mark.parametrize("scratch, importing, contract", [
    ("visualizer/session/_scratch.py", "import PySide6.QtCore", "session is Qt-free"),
    ("visualizer/session/_scratch.py", "import visualizer.training.trainer", "session is Qt-free"),
    ("visualizer/ui/panels/pad/_scratch.py", "import visualizer.ui.panels.network.view", "panels are independent"),
    ("visualizer/ui/panels/testset/_scratch.py", "import visualizer.data.sources", "panels never import training or data"),
    ("visualizer/ui/_scratch.py", "import visualizer.bench.report", "never imports the benchmarks"),
    ("visualizer/core/_scratch.py", "import visualizer.session", "core is numpy only"),
])
def test_a_wrong_import_breaks_its_contract(tmp_path, scratch, importing, contract):
    """The contracts can fail: a copy of the package with one wrong import in a scratch module."""
    root = tmp_path / "tree"
    shutil.copytree(ROOT / "visualizer", root / "visualizer", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / scratch).write_text(f'"""A deliberate wrong import."""\n{importing}\n')
    proc = _lint_imports(root)
    assert proc.returncode != 0, proc.stdout
    broken = [line for line in proc.stdout.splitlines() if "BROKEN" in line]
    assert any(contract in line for line in broken), proc.stdout


def test_core_imports_without_qt_or_tensorflow():
    code = (
        "import sys, visualizer.core.network, visualizer.core.preprocess, visualizer.core.history, "
        "visualizer.core.config, visualizer.core.snapshot\n"
        "bad = [m for m in ('PySide6', 'tensorflow', 'keras', 'pyqtgraph') if m in sys.modules]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
