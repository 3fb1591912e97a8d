"""Import TensorFlow/Keras once, quietly, and with thread settings that suit a tiny network."""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading

from visualizer.core.errors import ConfigError
from visualizer.core.interrupts import deferred
from visualizer.core.safeio import one_line

_lock = threading.Lock()
_keras = None

# What TensorFlow's C++ side prints on import and on first device lookup although nothing is
# wrong (absl writes these before its logging is initialized, so TF_CPP_MIN_LOG_LEVEL misses them).
_NOISE = re.compile(
    r"All log messages before absl::InitializeLog"
    r"|^[IW]\d{4} "  # absl INFO / WARNING lines
    r"|cuInit|cuda drivers|CUDA|cuda_"
    r"|This TensorFlow binary is optimized"
    r"|To enable the following instructions"
    r"|oneDNN custom operations"
)

# One inter-op and one intra-op thread: with a 784x16 layer every op is microseconds long, and
# handing ops between threads costs more than it saves (measured ~25% faster per batch on 2 cores).
# NNVIZ_TF_THREADS="inter,intra" overrides; "0,0" keeps TensorFlow's defaults.
_DEFAULT_THREADS = (1, 1)
# Every thread reserves its stack: 100000,100000 took 12 GB. No setting above this helps a
# network this small on any machine nnviz runs on.
MAX_THREADS = 256


def _quiet_env() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN is slower here and not bit-reproducible
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "2")


def thread_setting() -> tuple[int, int]:
    """TensorFlow's (inter-op, intra-op) thread counts: ``$NNVIZ_TF_THREADS`` if set, else one each.

    Raises
    ------
    ConfigError
        When the variable is not two whole numbers from 0 to :data:`MAX_THREADS`.
    """
    text = os.environ.get("NNVIZ_TF_THREADS", "").strip()
    if not text:
        return _DEFAULT_THREADS
    try:
        inter, intra = (int(p) for p in text.split(","))
    except ValueError:
        inter = intra = -1
    if not (0 <= inter <= MAX_THREADS and 0 <= intra <= MAX_THREADS):
        shown = one_line(text if len(text) <= 40 else text[:40] + "...")
        raise ConfigError(
            f"NNVIZ_TF_THREADS={shown}: expected 'inter,intra', two whole numbers from 0 to {MAX_THREADS} "
            "(0 keeps TensorFlow's default)"
        )
    return inter, intra


def _drop_retracing_notice(record) -> bool:
    """Each new Trainer owns a new model, so its graph is traced once by design; TensorFlow's
    "N out of the last N calls triggered tf.function retracing" advice does not apply."""
    return "triggered tf.function retracing" not in record.getMessage()


def _import_quietly():
    """Import TF with file descriptor 2 sent to a temp file, then pass on what isn't noise.

    Stop signals wait until the import is done (:func:`~visualizer.core.interrupts.deferred`):
    cut short, it leaves half-initialised TensorFlow modules that fail later with unrelated
    errors, and file descriptor 2 might stay redirected.
    """
    inter, intra = thread_setting()  # before the import: a bad setting costs no seconds
    with deferred():
        return _import_muted(inter, intra)


def _import_muted(inter: int, intra: int):
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            import keras
            import tensorflow as tf

            try:
                if inter > 0:
                    tf.config.threading.set_inter_op_parallelism_threads(inter)
                if intra > 0:
                    tf.config.threading.set_intra_op_parallelism_threads(intra)
            except RuntimeError:
                pass  # TensorFlow was already initialized by someone else; keep its settings
            tf.config.list_physical_devices()  # the CUDA probe logs here; do it while muted
            tf.get_logger().addFilter(_drop_retracing_notice)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            kept = [ln for ln in sink.read().decode("utf-8", "replace").splitlines() if ln and not _NOISE.search(ln)]
            if kept:
                print("\n".join(kept), file=sys.stderr)
    return keras


def import_keras():
    """Return the ``keras`` module (TensorFlow backend), importing it once without log spam.

    Safe to call from any thread; the first call takes a few seconds. While TensorFlow is being
    imported, file descriptor 2 is redirected, so anything another thread writes to stderr in
    that window is printed afterwards (unless it is TensorFlow's start-up noise).
    """
    global _keras
    if _keras is not None:
        return _keras
    with _lock:
        if _keras is None:
            _quiet_env()
            _keras = _import_quietly()
    return _keras


def import_tf():
    """Return the ``tensorflow`` module, imported the same quiet way."""
    import_keras()
    import tensorflow as tf

    return tf
