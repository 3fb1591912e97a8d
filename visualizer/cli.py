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
_pace = _number(float, 0, 10_000, lowest_allowed=False)  # beyond that it is full speed anyway
_learning_rate = _number(float, 0, 10, lowest_allowed=False)
_seed = _number(int, 0, 2**31 - 1)
_digit = _number(int, 0, 9)


def _hidden_activations(text: str):
    """--activation for predict/export: one name, or one per hidden layer ("relu,tanh")."""
    from visualizer.core.network import HIDDEN_ACTIVATIONS

    names = tuple(n.strip() for n in text.split(","))
    bad = [n for n in names if n not in HIDDEN_ACTIVATIONS]
    if bad:
        raise argparse.ArgumentTypeError(f"expected {', '.join(HIDDEN_ACTIVATIONS)} (or one per hidden layer, "
                                         f"e.g. relu,tanh), got {text!r}")
    return names[0] if len(names) == 1 else names


def _add_weights_args(p: argparse.ArgumentParser, metavar: str) -> None:
    p.add_argument("--weights", required=True, metavar=metavar, help=".keras .weights.h5 .h5 .npz or .json")
    p.add_argument("--activation", type=_hidden_activations, metavar="NAME",
                   help="the hidden activation of a weights file that does not store it (a Keras .weights.h5): "
                   "relu, sigmoid, tanh or linear, or one per hidden layer (relu,tanh)")


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
        usage="nnviz [-h] [--version] [--self-test] [--data PATH] [--open FILE | FILE] [COMMAND ...]",
        description="Watch a small neural network learn handwritten digits, live. "
        "Without a command, opens the window; `nnviz FILE` opens a run file (nnviz train --record) in it.",
    )
    parser.add_argument("--version", action="version", version=f"nnviz {__version__}")
    parser.add_argument("--self-test", action="store_true", help="start offscreen, train one batch, export, exit")
    _add_data_arg(parser)
    parser.add_argument("--open", metavar="FILE", help="open a recorded run in the window (the same as `nnviz FILE`)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, prog="nnviz")

    t = sub.add_parser("train", help="train from the terminal and save the weights")
    _add_data_arg(t)
    t.add_argument("--epochs", type=_positive_int, default=5)
    t.add_argument("--batch-size", type=_positive_int, default=32)
    t.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    t.add_argument("--lr", type=_learning_rate, default=None, help="learning rate (adam 0.001, sgd 0.01)")
    t.add_argument("--hidden", default="16,16",
                   help="hidden layer sizes, e.g. 16,16 (default); '' or none: no hidden layer (softmax "
                   "regression, or with --one-vs-rest a single sigmoid neuron)")
    t.add_argument("--activation", choices=("relu", "sigmoid", "tanh"), default="relu")
    t.add_argument("--seed", type=_seed, default=0)
    t.add_argument("--one-vs-rest", metavar="DIGIT", type=_digit, default=None,
                   help="one sigmoid output that answers 'is it DIGIT?' instead of ten softmax outputs; the "
                   "hidden layers stay (784-16-16-1 by default): with --hidden none it is a single neuron")
    t.add_argument("--train-subset", metavar="N", type=_positive_int, default=None,
                   help="train on only the first N training images, 1 to 10,000,000 "
                   "(e.g. 500 to show overfitting)")
    t.add_argument("--out", metavar="FILE", help="save weights (.keras .weights.h5 .npz .json .tflite)")
    t.add_argument("--record", metavar="FILE", help="record every batch and save the run file (e.g. run.nnvizrun)")
    t.add_argument("--pace", metavar="B", type=_pace, default=None,
                   help="train at most B batches per second (e.g. 10); default: full speed")
    t.add_argument("--json", action="store_true", help="end with one JSON line on stdout")

    p = sub.add_parser("predict", help="classify images of handwritten digits")
    _add_weights_args(p, "FILE")
    p.add_argument("--preprocess", choices=("auto", "always", "never"), default="auto",
                   help="auto (default): a 28x28 MNIST-format image (light ink on black) is fed as it is, "
                   "anything else is cropped and centered like the drawing pad; always; never (28x28 only)")
    p.add_argument("--json", action="store_true", help="one JSON object per image per line")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG/JPG, any size, dark-on-light or light-on-dark")

    e = sub.add_parser("export", help="convert weights between formats (by extension); "
                       "from a run file, one moment's weights or the metrics as CSV")
    _add_weights_args(e, "IN")
    e.add_argument("--at", metavar="MOMENT", help="from a run file: the end of epoch N (e.g. 2) or batch N as bN "
                   "(e.g. b1204, or the nearest recorded moment before it); default: the latest")
    e.add_argument("--out", required=True, metavar="OUT", help="weights (.keras .weights.h5 .h5 .npz .json .tflite), "
                   "or .csv for a run file's metrics")

    b = sub.add_parser("bench", help="measure training, inference and GUI speed")
    _add_data_arg(b)
    b.add_argument("--epochs", type=_positive_int, default=5, help="epochs per training measurement (default 5)")
    b.add_argument("--gui", action="store_true", help="also measure the window (offscreen)")
    b.add_argument("--hidden", action="append", metavar="SIZES",
                   help="with --gui: only the scale table, one row per network (repeatable), e.g. 1024,1024,1024")
    b.add_argument("--long", action="store_true", help="only the long and large runs: 200 epochs of 16,16 and 50 of "
                   "512,512 with a full timeline (memory flat), full-size MNIST by repetition (several minutes)")
    b.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse ``argv`` (without the program name); ``nnviz FILE`` is read as ``nnviz --open FILE``.

    Bad arguments exit 2 with one line, as everywhere.
    """
    parser = build_parser()
    args = parser.parse_args(_open_positional(argv, parser))
    if args.open is not None and (args.command is not None or args.self_test):
        parser.error("a run file opens in the window; it does not go with --self-test or a command")
    return args


# Options before the command that take a value: `nnviz --data X FILE` skips X looking for FILE.
_VALUE_OPTIONS = ("--data", "--open")


def _open_positional(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """``argv`` with a leading FILE (not a command's name) turned into ``--open FILE``.

    A word counts as a file when it exists or looks like a path (has a dot or a slash), so that
    a mistyped command (``nnviz trian``) is still reported as an invalid choice.
    """
    commands = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    i = 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] not in ("-", "--"):
        option = argv[i]  # argparse takes abbreviations, so --da is --data
        takes_value = "=" not in option and len(option) > 2 and any(o.startswith(option) for o in _VALUE_OPTIONS)
        i += 2 if takes_value else 1
    if i >= len(argv) or argv[i] in commands or argv[i].startswith("-"):
        return list(argv)
    word = argv[i]
    if os.path.lexists(word) or "." in os.path.basename(word) or os.sep in word or "/" in word:
        return [*argv[:i], "--open", word, *argv[i + 1 :]]
    return list(argv)


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
    args = parse_args(sys.argv[1:] if argv is None else argv)
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
        open_run = None
        if args.open is not None:  # a bad file is one line here, before Qt or any window starts
            from visualizer.run_files import check_run_to_open

            open_run = check_run_to_open(args.open)
        from visualizer.app import run_app

        return run_app(data=args.data, open_run=open_run)
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
