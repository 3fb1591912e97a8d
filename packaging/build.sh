#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/nnviz/ from this checkout and prove it runs.
#
#   packaging/build.sh            # venv + pip install .[packaging] + pyinstaller + self-test
#   packaging/build.sh --no-venv  # use the current Python environment as it is
#
# Steps: a private build venv (packaging/.build-venv, reused on later runs), a regular
# (non-editable) install of the project so the bundle sees exactly what a wheel ships,
# PyInstaller with packaging/nnviz.spec, symbols stripped from TensorFlow's libraries, then
# `dist/nnviz/nnviz --self-test` (offscreen window, one training batch, export in every format).
# Exits non-zero if any step or the self-test fails. Prints the bundle size and build time.
#
# Environment: PYTHON (interpreter for the venv, default python3), NNVIZ_BUILD_VENV (venv
# folder), NNVIZ_NO_STRIP=1 (keep symbols). Run it with `nice` on a shared machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${NNVIZ_BUILD_VENV:-$ROOT/packaging/.build-venv}"
use_venv=1
for arg in "$@"; do
    case "$arg" in
        --no-venv) use_venv=0 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

start=$(date +%s)
step() { printf '\n== %s (%ds)\n' "$*" "$(( $(date +%s) - start ))"; }

if [ "$use_venv" = 1 ]; then
    step "build venv: $VENV"
    [ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
    PY="$VENV/bin/python"
    "$PY" -m pip install --quiet --upgrade pip
    step "pip install .[packaging]"
    # Not editable: the bundle must contain what a wheel ships (package data included).
    "$PY" -m pip install --quiet --upgrade ".[packaging]"
    # Same version number as last time would count as "already satisfied": reinstall our own code.
    "$PY" -m pip install --quiet --no-deps --force-reinstall .
else
    PY="${PYTHON:-python3}"
fi
"$PY" -c "import PyInstaller, visualizer; print('PyInstaller', PyInstaller.__version__, '| nnviz', visualizer.__version__)"

step "pyinstaller packaging/nnviz.spec"
rm -rf "$ROOT/build/nnviz" "$ROOT/dist/nnviz"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build" packaging/nnviz.spec

BUNDLE="$ROOT/dist/nnviz"
if [ "${NNVIZ_NO_STRIP:-0}" != 1 ] && command -v strip >/dev/null 2>&1; then
    step "strip symbols from TensorFlow's libraries"
    # Only TensorFlow's own libraries: they carry ~300 MB of symbols. Qt/numpy libraries are left
    # alone (stripping auditwheel-patched libraries can break them). The self-test below checks.
    find "$BUNDLE/_internal/tensorflow" -name '*.so*' -type f -exec strip --strip-unneeded {} +
fi

step "self-test of the bundle"
QT_QPA_PLATFORM=offscreen "$BUNDLE/nnviz" --self-test

step "done"
echo "bundle: dist/nnviz  ($(du -sh "$BUNDLE" | cut -f1), $(find "$BUNDLE" -type f | wc -l) files)"
echo "build time: $(( $(date +%s) - start ))s"
