"""Ctrl+C, SIGTERM and SIGHUP in real `nnviz` processes: work so far kept, one line, exit 128 + signal."""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 180  # seconds for any one wait: a regression that hangs fails instead of stalling CI

# A shell's background job (and some CI runners) start programs with SIGINT or SIGHUP ignored,
# and nnviz keeps ignored signals ignored; the launcher gives the child the dispositions of a
# program started in a terminal. HOOK lets a test put code in the child before nnviz runs.
LAUNCHER = """
import os, runpy, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
exec(os.environ.get("HOOK", ""))
sys.argv[0] = "nnviz"
runpy.run_module("visualizer", run_name="__main__")
"""


class Run:
    """An `nnviz` child process whose stderr lines can be waited for while it runs."""

    def __init__(self, *args, hook: str = ""):
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="3", HOOK=hook)
        for name in ("NNVIZ_DATA", "NNVIZ_DEBUG", "NNVIZ_TF_THREADS"):
            env.pop(name, None)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, *map(str, args)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        self.err_lines: list[str] = []
        self._lines: queue.Queue = queue.Queue()
        self._out: list[str] = []
        self._readers = [
            threading.Thread(target=self._read_err, daemon=True),
            threading.Thread(target=lambda: self._out.append(self.proc.stdout.read()), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_err(self):
        for line in self.proc.stderr:
            self.err_lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def wait_for(self, prefix: str) -> None:
        """Block until a stderr line starts with ``prefix``; fail if the process ends first."""
        while True:
            line = self._lines.get(timeout=TIMEOUT)
            if line is None:
                pytest.fail(f"nnviz ended before printing {prefix!r}: {''.join(self.err_lines)}")
            if line.startswith(prefix):
                return

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def finish(self) -> tuple[int, str, str]:
        try:
            code = self.proc.wait(timeout=TIMEOUT)
        finally:
            self.proc.kill()
        for reader in self._readers:
            reader.join(timeout=TIMEOUT)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code, "".join(self._out), "".join(self.err_lines)


def assert_clean(stderr: str) -> None:
    assert "Traceback" not in stderr and "internal error" not in stderr and "Error" not in stderr, stderr


def no_temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".tmp" in p.name]


def train(out: Path, *extra) -> Run:
    return Run("train", "--data", "synthetic", "--epochs", "10000", "--out", out, "--json", *extra)


def test_ctrl_c_before_the_first_batch_leaves_the_old_file_alone(tmp_path):
    """Ctrl+C while TensorFlow loads and the model is built: nothing trained, so nothing written."""
    out = tmp_path / "w.npz"
    out.write_bytes(b"weights of an earlier run")
    run = train(out)
    run.wait_for("network:")  # TensorFlow is imported and traced after this line: seconds to go
    run.signal(signal.SIGINT)
    code, stdout, stderr = run.finish()
    assert code == 130, stderr
    assert_clean(stderr)
    assert out.read_bytes() == b"weights of an earlier run"
    assert "nothing was trained" in stderr and "not written" in stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["batches"] == 0 and summary["out"] is None and summary["stopped"] is True
    assert not no_temp_files(tmp_path)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_mid_run_saves_the_weights_and_exits_128_plus_n(tmp_path, signum):
    from visualizer.training.export import import_weights

    out = tmp_path / "w.npz"
    run = train(out)
    run.wait_for("epoch 1/")  # not a terminal: one line per finished epoch
    run.signal(signum)
    code, stdout, stderr = run.finish()
    assert code == 128 + signum, stderr
    assert_clean(stderr)
    assert "stopping after the current batch" in stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["stopped"] is True and summary["batches"] > 0 and summary["out"] == str(out)
    assert "stopped early" in stdout
    assert import_weights(out).layer_sizes == (784, 16, 16, 10)


def test_a_second_signal_while_saving_still_finishes_the_save(tmp_path):
    """SIGHUP (the terminal closed), then Ctrl+C twice: saved whole, the first signal's code, never < 0."""
    from visualizer.training.export import import_weights

    out = tmp_path / "w.keras"  # the slowest format to write: the later signals land in the save
    out.write_bytes(b"old")
    run = train(out)
    run.wait_for("epoch 1/")
    run.signal(signal.SIGHUP)
    run.wait_for("nnviz: SIGHUP: stopping")
    run.signal(signal.SIGINT)
    run.signal(signal.SIGINT)
    code, stdout, stderr = run.finish()
    assert code == 128 + signal.SIGHUP, stderr
    assert_clean(stderr)
    assert json.loads(stdout.strip().splitlines()[-1])["out"] == str(out)
    assert import_weights(out).layer_sizes == (784, 16, 16, 10)
    assert not no_temp_files(tmp_path)


def _small_weights(path: Path) -> None:
    from visualizer.core.network import Network
    from visualizer.core.weights_format import save_npz

    rng = np.random.default_rng(0)
    sizes = (784, 16, 10)
    weights = [rng.standard_normal((a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    save_npz(Network.from_arrays(weights, [np.zeros(b, np.float32) for b in sizes[1:]]), path)


def _export_with(tmp_path: Path, suffix: str, hook: str) -> tuple[Path, int, str, str]:
    """`nnviz export` of small weights to ``w{suffix}`` (which holds b"old"), ``hook`` run first."""
    source, out = tmp_path / "w.npz", tmp_path / f"w{suffix}"
    _small_weights(source)
    out.write_bytes(b"old")
    return out, *Run("export", "--weights", source, "--out", out, hook=hook).finish()


def test_ctrl_c_during_an_export_write_finishes_the_file_then_exits_130(tmp_path):
    """The signal arrives inside the atomic write (just before the rename): the new file is complete."""
    from visualizer.training.export import import_weights

    hook = (
        "import os, signal\n"
        "real = os.replace\n"
        "def replace(src, dst, **kw):\n"
        "    if str(dst).endswith('w.weights.h5'):\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "    return real(src, dst, **kw)\n"
        "os.replace = replace\n"
    )
    out, code, stdout, stderr = _export_with(tmp_path, ".weights.h5", hook)
    assert code == 130, stderr
    assert stderr.strip() == "nnviz: interrupted"
    assert stdout.startswith("wrote ")
    assert import_weights(out).layer_sizes == (784, 16, 10)
    assert not no_temp_files(tmp_path)


SIGINT_IN_KERAS_IMPORT = """
import os, signal, sys
class Fire:
    def find_spec(self, name, path=None, target=None):
        if name == "keras.src.layers":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
sys.meta_path.insert(0, Fire())
"""
# The import sends file descriptor 2 to a temp file (TensorFlow's start-up noise); a signal just
# before it is pointed back used to leave it there, and every later message was lost.
SIGINT_WHILE_STDERR_IS_RESTORED = """
import os, signal
real, calls = os.dup2, []
def dup2(fd, fd2, *args):
    calls.append(fd2)
    if fd2 == 2 and calls.count(2) == 2:
        os.kill(os.getpid(), signal.SIGINT)
    return real(fd, fd2, *args)
os.dup2 = dup2
"""


@pytest.mark.parametrize("hook", [SIGINT_IN_KERAS_IMPORT, SIGINT_WHILE_STDERR_IS_RESTORED],
                         ids=["mid-import", "stderr-restore"])
def test_ctrl_c_during_the_tensorflow_import_is_one_line_and_130(tmp_path, hook):
    """No half-imported TensorFlow, no lost stderr, no file."""
    out, code, stdout, stderr = _export_with(tmp_path, ".keras", hook)
    assert code == 130, stderr
    assert stderr.strip() == "nnviz: interrupted"
    assert stdout == "" and out.read_bytes() == b"old"


def test_ctrl_c_during_bench_says_so_and_exits_130():
    """The signal lands in a Python callback run by Qt, where PySide prints and swallows exceptions."""
    hook = (
        "import os, signal, time\n"
        "import visualizer.app\n"
        "from PySide6.QtCore import QTimer\n"
        "create_app = visualizer.app.create_app\n"
        "def fire():\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(1)  # the handler runs here, inside Qt's call\n"
        "def create_and_arm(*args, **kwargs):\n"
        "    app = create_app(*args, **kwargs)\n"
        "    QTimer.singleShot(0, fire)\n"
        "    return app\n"
        "visualizer.app.create_app = create_and_arm\n"
    )
    code, stdout, stderr = Run("bench", "--data", "synthetic", "--epochs", "1", hook=hook).finish()
    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1] == "nnviz: interrupted"
    assert_clean(stderr)
    assert stdout == ""


def test_a_signal_after_the_command_finished_still_exits_128_plus_n(tmp_path):
    """Ctrl+C during the interpreter's teardown: exit 130, not death by the signal (-2)."""
    from PIL import Image

    _small_weights(tmp_path / "w.npz")
    Image.fromarray(np.full((28, 28), 255, np.uint8)).save(tmp_path / "blank.png")
    hook = (
        "import atexit, os, signal, time\n"
        "atexit.register(lambda: (os.kill(os.getpid(), signal.SIGINT), time.sleep(5)))\n"
    )
    code, stdout, stderr = Run("predict", "--weights", tmp_path / "w.npz", tmp_path / "blank.png", hook=hook).finish()
    assert code == 130, stderr
    assert "no digit" in stdout
    assert "Traceback" not in stderr
