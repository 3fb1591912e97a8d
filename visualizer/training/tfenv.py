"""Import TensorFlow/Keras once, quietly, and with thread settings that suit a tiny network."""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading

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


def _quiet_env() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN is slower here and not bit-reproducible
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "2")


def _thread_setting() -> tuple[int, int]:
    text = os.environ.get("NNVIZ_TF_THREADS", "")
    try:
        inter, intra = (int(p) for p in text.split(","))
        return inter, intra
    except ValueError:
        return _DEFAULT_THREADS


def _drop_retracing_notice(record) -> bool:
    """Each new Trainer owns a new model, so its graph is traced once by design; TensorFlow's
    "N out of the last N calls triggered tf.function retracing" advice does not apply."""
    return "triggered tf.function retracing" not in record.getMessage()


def _import_quietly():
    """Import TF with file descriptor 2 sent to a temp file, then pass on what isn't noise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            import keras
            import tensorflow as tf

            inter, intra = _thread_setting()
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
