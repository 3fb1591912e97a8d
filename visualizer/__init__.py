"""nnviz: watch a small neural network learn MNIST, live."""

import os

# numpy's OpenBLAS starts a thread per core for every matrix product. nnviz's products are small
# or run beside training (TensorFlow's threads) and the GUI thread on a few cores, where those
# threads only contend: at 1024,1024,1024 a forward pass of 1,000 digits took 105 ms with them
# and 58 ms without on 2 cores. Set before numpy is imported; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Qt's raster engine hands every fill of more than ~100 spans (an antialiased stroke, a large
# image) to its own pool of per-core threads and waits for them: for the few-millisecond paints
# here, waking them costs more than the work, and beside training they wait for a core. The
# Gradients panel's update (bench view_update) took 19-21 ms wall for 10-15 ms CPU with them, 7-9 ms
# without. Qt reads it when its pool is first wanted; set, whatever its value, it keeps fills on the caller.
os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")

__version__ = "0.1.0"
