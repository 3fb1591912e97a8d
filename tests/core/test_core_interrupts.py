"""Stop signals: routed to a handler, held back by `deferred`, ignored ones left alone, threads untouched."""

import signal
import threading

import pytest

from visualizer.core.interrupts import Interrupted, deferred, exit_code, handled, interrupted_text

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")


@pytest.fixture
def raising_handlers():
    """SIGTERM and SIGHUP raise Interrupted in this process while a test runs (as `nnviz` sets them)."""

    def raise_interrupted(signum, _frame):
        raise Interrupted(signum)

    saved = {s: signal.signal(s, raise_interrupted) for s in (signal.SIGTERM, signal.SIGHUP)}
    yield
    for s, old in saved.items():
        signal.signal(s, old)


def test_handled_routes_every_stop_signal_and_restores_the_previous_handlers(raising_handlers):
    seen = []
    before = signal.getsignal(signal.SIGTERM)
    with handled(seen.append):
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGHUP)
    assert seen == [signal.SIGTERM, signal.SIGHUP]
    assert signal.getsignal(signal.SIGTERM) is before


def test_deferred_delivers_the_first_signal_after_the_block(raising_handlers):
    steps = []
    with pytest.raises(Interrupted) as caught:
        with deferred():
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGHUP)
            steps.append("finished")  # the block is not cut short
    assert steps == ["finished"]
    assert caught.value.signum == signal.SIGTERM
    assert exit_code(caught.value.signum) == 143
    assert interrupted_text(signal.SIGTERM) == "interrupted (SIGTERM)"
    assert interrupted_text(signal.SIGINT) == "interrupted"


def test_a_deferred_signal_goes_to_the_handler_of_an_outer_section(raising_handlers):
    seen = []
    with handled(seen.append):
        with deferred():
            signal.raise_signal(signal.SIGHUP)
            assert seen == []
        assert seen == [signal.SIGHUP]


def test_ignored_signals_stay_ignored(raising_handlers):
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    seen = []
    with handled(seen.append):
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        signal.raise_signal(signal.SIGHUP)
    assert seen == []


def test_outside_the_main_thread_nothing_changes(raising_handlers):
    before = signal.getsignal(signal.SIGTERM)
    inside = []

    def work():
        with handled(inside.append), deferred():
            inside.append(signal.getsignal(signal.SIGTERM))

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert inside == [before]
