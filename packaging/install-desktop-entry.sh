#!/usr/bin/env bash
# Install (or remove) nnviz's menu entry, icons and AppStream metadata for the current user.
#
#   packaging/install-desktop-entry.sh                 # Exec=nnviz (pip install / venv on PATH)
#   packaging/install-desktop-entry.sh --exec /opt/nnviz/nnviz
#   packaging/install-desktop-entry.sh --uninstall
#
# Works from a source checkout and from inside a PyInstaller bundle
# (dist/nnviz/_internal/packaging/install-desktop-entry.sh), where it points the entry at the
# bundle's own executable. Files go under ${XDG_DATA_HOME:-~/.local/share}; nothing needs root.
set -euo pipefail

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    echo "Options: --exec CMD  command or absolute path for Exec= (default: see above)"
    echo "         --uninstall remove what an earlier install put there"
    echo "         --dry-run   print what would be done, change nothing"
}

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"  # checkout root, or the bundle's _internal folder
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
APP_ID="io.github.nnviz.nnviz"
SIZES=(16 32 48 64 128 256 512)

exec_cmd=""
action="install"
dry_run=0
while [ $# -gt 0 ]; do
    case "$1" in
        --exec) exec_cmd="${2:?--exec needs a command or path}"; shift 2 ;;
        --exec=*) exec_cmd="${1#--exec=}"; shift ;;
        --uninstall) action="uninstall"; shift ;;
        --dry-run) dry_run=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install-desktop-entry.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
done

run() {
    if [ "$dry_run" = 1 ]; then echo "+ $*"; else "$@"; fi
}

refresh_caches() {
    # Menus and icon themes pick changes up by themselves eventually; these make it immediate.
    if command -v update-desktop-database >/dev/null 2>&1; then
        run update-desktop-database -q "$DATA_HOME/applications" || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$DATA_HOME/icons/hicolor/index.theme" ]; then
        run gtk-update-icon-cache -q -t "$DATA_HOME/icons/hicolor" || true
    fi
}

installed_files() {
    echo "$DATA_HOME/applications/nnviz.desktop"
    echo "$DATA_HOME/metainfo/$APP_ID.metainfo.xml"
    echo "$DATA_HOME/icons/hicolor/scalable/apps/nnviz.svg"
    for s in "${SIZES[@]}"; do echo "$DATA_HOME/icons/hicolor/${s}x${s}/apps/nnviz.png"; done
}

if [ "$action" = "uninstall" ]; then
    while IFS= read -r f; do
        if [ -e "$f" ]; then run rm -f "$f" && echo "removed $f"; fi
    done < <(installed_files)
    refresh_caches
    exit 0
fi

desktop_src="$ROOT/resources/nnviz.desktop"
metainfo_src="$ROOT/resources/$APP_ID.metainfo.xml"
svg_src="$ROOT/resources/icons/nnviz.svg"
png_dir="$ROOT/visualizer/resources"
for f in "$desktop_src" "$metainfo_src" "$svg_src"; do
    [ -f "$f" ] || { echo "install-desktop-entry.sh: missing $f" >&2; exit 1; }
done
for s in "${SIZES[@]}"; do
    [ -f "$png_dir/nnviz-$s.png" ] || { echo "install-desktop-entry.sh: missing $png_dir/nnviz-$s.png" >&2; exit 1; }
done

if [ -z "$exec_cmd" ]; then
    if [ -x "$ROOT/../nnviz" ] && [ "$(basename "$ROOT")" = "_internal" ]; then
        exec_cmd="$(cd "$ROOT/.." && pwd)/nnviz"  # inside a bundle: launch this bundle
    else
        exec_cmd="nnviz"
        command -v nnviz >/dev/null 2>&1 \
            || echo "note: 'nnviz' is not on PATH; the menu entry works once it is (or use --exec PATH)" >&2
    fi
fi

# Exec= is a command line (quote paths with spaces); TryExec= is a plain path or name.
case "$exec_cmd" in
    *[[:space:]]*) exec_line="\"$exec_cmd\"" ;;
    *) exec_line="$exec_cmd" ;;
esac

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
sed -e "s|^Exec=.*|Exec=$exec_line|" -e "s|^TryExec=.*|TryExec=$exec_cmd|" "$desktop_src" > "$tmp"

run install -Dm644 "$tmp" "$DATA_HOME/applications/nnviz.desktop"
run install -Dm644 "$metainfo_src" "$DATA_HOME/metainfo/$APP_ID.metainfo.xml"
run install -Dm644 "$svg_src" "$DATA_HOME/icons/hicolor/scalable/apps/nnviz.svg"
for s in "${SIZES[@]}"; do
    run install -Dm644 "$png_dir/nnviz-$s.png" "$DATA_HOME/icons/hicolor/${s}x${s}/apps/nnviz.png"
done
refresh_caches
echo "installed nnviz menu entry (Exec=$exec_line) under $DATA_HOME"
