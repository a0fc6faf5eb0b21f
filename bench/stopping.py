"""What a bench starts, it stops: on a normal end, on an error, and on SIGINT or SIGTERM.

SIGTERM would otherwise end the interpreter without running a single ``finally``, and the servers a bench
started in their own sessions (sshd, OpenBao, PostgreSQL) would outlive it. Inside :func:`stops_on_signals`
both signals raise :class:`SystemExit`, so the bench unwinds through its ``finally`` blocks and through the
callbacks pushed on the stack it yields; while that cleanup runs, further signals are ignored so a second
Ctrl-C cannot cut it short.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _raise(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def stops_on_signals() -> Iterator[contextlib.ExitStack]:
    """An exit stack whose callbacks run however the bench ends; push each stop right after its start."""
    previous = {sig: signal.signal(sig, _raise) for sig in SIGNALS}
    stack = contextlib.ExitStack()
    try:
        yield stack
    finally:
        for sig in SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        try:
            stack.close()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while a server is started and its stop pushed on the stack: a signal in
    between would unwind past a server with no stop yet. A signal that came meanwhile is delivered on
    leaving, once the stop is in place."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
