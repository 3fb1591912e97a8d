"""PyInstaller entry script for the nnviz bundle: the same `visualizer.cli.main` as the `nnviz` command."""

import sys

from visualizer.cli import main

if __name__ == "__main__":
    sys.exit(main())
