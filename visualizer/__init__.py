"""nnviz: watch a small neural network learn MNIST, live."""

import os

# numpy's OpenBLAS starts a thread per core for every matrix product. nnviz's products are small
# or run beside training (TensorFlow's threads) and the GUI thread on a few cores, where those
# threads only contend: at 1024,1024,1024 a forward pass of 1,000 digits took 105 ms with them
# and 58 ms without on 2 cores. Set before numpy is imported; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
