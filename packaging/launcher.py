"""PyInstaller entry script for the nnviz bundle: the same `visualizer.cli.main` as the `nnviz` command.

A bundle has no Python interpreter to start, so the child process that parses untrusted HDF5
files (visualizer.training.h5child) is this executable again, told by its first argument.
"""

import sys

if __name__ == "__main__" and sys.argv[1:2] == ["--nnviz-hdf5-child"]:
    from visualizer.training.h5child import child_main

    sys.exit(child_main(sys.argv[2:]))

from visualizer.cli import main

if __name__ == "__main__":
    sys.exit(main())
