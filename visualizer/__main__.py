"""`python -m visualizer` runs the same entry point as the `nnviz` command."""

import sys

from visualizer.cli import main

if __name__ == "__main__":
    sys.exit(main())
