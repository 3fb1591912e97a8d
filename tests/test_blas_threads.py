"""numpy's BLAS runs one thread unless the user says otherwise (see visualizer/__init__.py)."""

import os
import subprocess
import sys

CHECK = "import visualizer, os; print(os.environ['OPENBLAS_NUM_THREADS'])"


def _threads(**env) -> str:
    base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    proc = subprocess.run([sys.executable, "-c", CHECK], env={**base, **env}, capture_output=True, text=True,
                          timeout=60, check=True)
    return proc.stdout.strip()


def test_importing_nnviz_sets_one_blas_thread():
    assert _threads() == "1"


def test_an_explicit_blas_thread_count_is_kept():
    assert _threads(OPENBLAS_NUM_THREADS="2") == "2"
