"""nnviz: watch a small neural network learn MNIST, live."""

__version__ = "0.1.0"
