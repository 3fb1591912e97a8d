"""`nnviz` command line: argument parsing only, then hands off to the GUI, training, predict, export or bench."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import sys
from typing import NoReturn

from visualizer import __version__
from visualizer.core.interrupts import STOP_SIGNALS, Interrupted, exit_code, handled, interrupted_text
from visualizer.core.safeio import one_line

EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a command ended by SIGPIPE, like `yes | head`


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument as one line and exit code 2 (no usage dump)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(kind, lowest, highest=float("inf"), *, lowest_allowed=True):
    """An argparse type: ``kind`` (int or float) within [lowest, highest], with a one-line error."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        too_low = value < lowest or (value == lowest and not lowest_allowed)
        if too_low or not value <= highest or value != value:
            bound = "≥" if lowest_allowed else ">"
            shown = "{:g}" if kind is float else "{:d}"
            upper = f" and ≤ {shown.format(kind(highest))}" if highest != float("inf") else ""
            raise argparse.ArgumentTypeError(f"expected a number {bound} {shown.format(kind(lowest))}{upper}, got {text}")
        return value

    return parse


_positive_int = _number(int, 1)
_learning_rate = _number(float, 0, 10, lowest_allowed=False)
_seed = _number(int, 0, 2**31 - 1)


def _add_data_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        metavar="PATH",
        help="MNIST as a folder or file (IDX, mnist.npz, Kaggle/mnist CSV) or 'synthetic'; "
        "default: $NNVIZ_DATA, else MNIST via Keras' downloader",
    )


def build_parser() -> argparse.ArgumentParser:
    """The full `nnviz` argument parser (exposed for tests and --help)."""
    parser = _Parser(
        prog="nnviz",
        description="Watch a small neural network learn handwritten digits, live. "
        "Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"nnviz {__version__}")
    parser.add_argument("--self-test", action="store_true", help="start offscreen, train one batch, export, exit")
    _add_data_arg(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    t = sub.add_parser("train", help="train from the terminal and save the weights")
    _add_data_arg(t)
    t.add_argument("--epochs", type=_positive_int, default=5)
    t.add_argument("--batch-size", type=_positive_int, default=32)
    t.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    t.add_argument("--lr", type=_learning_rate, default=None, help="learning rate (adam 0.001, sgd 0.01)")
    t.add_argument("--hidden", default="16,16", help="hidden layer sizes, e.g. 16,16 (default)")
    t.add_argument("--activation", choices=("relu", "sigmoid", "tanh"), default="relu")
    t.add_argument("--seed", type=_seed, default=0)
    t.add_argument("--out", metavar="FILE", help="save weights (.keras .weights.h5 .npz .json .tflite)")
    t.add_argument("--json", action="store_true", help="end with one JSON line on stdout")

    p = sub.add_parser("predict", help="classify images of handwritten digits")
    p.add_argument("--weights", required=True, metavar="FILE", help=".keras .weights.h5 .npz or .json")
    p.add_argument("--json", action="store_true", help="one JSON object per image per line")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG/JPG, any size, dark-on-light or light-on-dark")

    e = sub.add_parser("export", help="convert weights between formats (by extension)")
    e.add_argument("--weights", required=True, metavar="IN")
    e.add_argument("--out", required=True, metavar="OUT")

    b = sub.add_parser("bench", help="measure training, inference and GUI speed")
    _add_data_arg(b)
    b.add_argument("--epochs", type=_positive_int, default=5, help="epochs per training measurement (default 5)")
    b.add_argument("--gui", action="store_true", help="also measure the window (offscreen)")
    b.add_argument("--hidden", action="append", metavar="SIZES",
                   help="with --gui: only the scale table, one row per network (repeatable), e.g. 1024,1024,1024")
    b.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `nnviz` console command; returns the process exit code.

    Exit codes: 0 done; 2 bad input (one line ``nnviz: error: ...``); 1 a bug (one line
    ``nnviz: internal error: ...``); 128 + the signal's number when stopped by Ctrl+C (130),
    SIGHUP (129) or SIGTERM (143); 141 when stdout is a pipe that closed early (``| head``).
    With ``argv`` None the process is nnviz's own: a command (train, predict, ...) then ends the
    process itself once its output is flushed and the atexit handlers ran, without Python's
    teardown of TensorFlow (about 0.6 s, during which Ctrl+C would kill the process by the
    signal instead of exiting 130). A stop signal after the command exits with 128 + its number.
    """
    _never_fail_on_encoding()
    args = build_parser().parse_args(argv)
    if args.self_test or args.command is None:  # the window handles Ctrl+C itself (closes)
        code = _run(args, {})
    else:
        state: dict = {}
        with handled(lambda signum: _interrupt(state, signum)):
            code = _run(args, state)
    if argv is None:
        _exit_on_late_signals()
        if args.command is not None:  # not the window: Qt's teardown saves its settings
            _end_process(code)
    return code


def _interrupt(state: dict, signum: int) -> None:
    state.setdefault("signum", signum)
    raise Interrupted(signum)


def _run(args, state: dict) -> int:
    from visualizer.core.errors import NnvizError

    try:
        code = _dispatch(args)
        sys.stdout.flush()  # here, not at exit: a closed pipe is reported like any other
        return code
    except KeyboardInterrupt as exc:
        return _interrupted(getattr(exc, "signum", state.get("signum", signal.SIGINT)))
    except BrokenPipeError:
        _silence_closed_streams()
        return EXIT_BROKEN_PIPE
    except NnvizError as exc:
        if "signum" in state:  # a failure that Ctrl+C caused (e.g. a read cut short)
            return _interrupted(state["signum"])
        _print_err(f"nnviz: error: {one_line(exc)}")
        return EXIT_USAGE
    except Exception as exc:  # a bug, not bad input: one line, full traceback on request
        if "signum" in state:  # e.g. a library that turned the KeyboardInterrupt into its own error
            return _interrupted(state["signum"])
        if os.environ.get("NNVIZ_DEBUG"):
            raise
        _print_err(f"nnviz: internal error: {one_line(f'{type(exc).__name__}: {exc}')} (set NNVIZ_DEBUG=1 for details)")
        return 1


def _dispatch(args) -> int:
    if args.self_test:
        from visualizer.selftest import run_self_test

        return run_self_test()
    if args.command is None:
        from visualizer.app import run_app

        return run_app(data=args.data)
    from visualizer import commands
    from visualizer.training.tfenv import thread_setting

    thread_setting()  # a bad NNVIZ_TF_THREADS is reported before any work
    return getattr(commands, f"cmd_{args.command}")(args)


def _interrupted(signum: int) -> int:
    _print_err(f"nnviz: {interrupted_text(signum)}")
    return exit_code(signum)


def _print_err(text: str) -> None:
    try:
        print(text, file=sys.stderr, flush=True)
    except OSError:  # stderr itself is gone (a closed pipe): nothing left to tell
        _silence_closed_streams()


def _never_fail_on_encoding() -> None:
    """Text the terminal's encoding cannot show (a file name) is printed as \\xe4-style escapes, not a crash."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")


def _silence_closed_streams() -> None:
    """Point a closed stdout/stderr at the null device, so Python's final flush does not fail again."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, stream.fileno())
                os.close(devnull)


def _end_process(code: int) -> NoReturn:
    atexit._run_exitfuncs()  # what Python runs at exit that matters: temp-folder cleanup, logging
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _exit_on_late_signals() -> None:
    """After the command: a stop signal ends the process at once with 128 + its number.

    Without this, Ctrl+C during interpreter shutdown kills Python by the signal itself (a shell
    sees it; subprocess reports a negative code), sometimes after a KeyboardInterrupt traceback.
    """

    def leave(signum, _frame):
        os._exit(exit_code(signum))

    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) not in (signal.SIG_IGN, None):
            signal.signal(signum, leave)
