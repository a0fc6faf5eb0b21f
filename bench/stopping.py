"""What a bench starts, it stops: on a normal end, on an error, and on SIGINT or SIGTERM.

SIGTERM would otherwise end the interpreter without running a single ``finally``, and the servers a bench
started in their own sessions (sshd, OpenBao, PostgreSQL) would outlive it. Inside :func:`stops_on_signals`
both signals raise :class:`SystemExit`, so the bench unwinds through its ``finally`` blocks and through the
callbacks pushed on the stack it yields; while that cleanup runs, further signals are ignored so a second
Ctrl-C cannot cut it short.

A signal handler runs wherever the interpreter happens to be, and that may be a finalizer (a ``__del__``,
such as ``subprocess.Popen``'s): Python reports an exception raised there as "ignored" and goes on, so the
bench would run on as if never signalled. Such a swallowed exit is raised again a moment later (SIGALRM),
outside the finalizer.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


# How soon an exit swallowed by a finalizer is raised again.
RETRY = 0.01
_EXITS = {128 + sig for sig in SIGNALS}
_swallowed: list[int] = []  # the exit code a finalizer swallowed, until it is raised again


def _raise(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _raise_again(signum: int, frame: FrameType | None) -> None:
    if _swallowed:
        raise SystemExit(_swallowed.pop())


def _unraisable(previous: Callable[[Any], object]) -> Callable[[Any], object]:
    """A ``sys.unraisablehook`` that re-arms our exit when a finalizer swallowed it, else hands over."""
    def hook(unraisable: Any) -> None:
        exc = unraisable.exc_value
        if isinstance(exc, SystemExit) and exc.code in _EXITS:
            _swallowed[:] = [int(exc.code)]
            signal.setitimer(signal.ITIMER_REAL, RETRY)
            return
        previous(unraisable)
    return hook


@contextlib.contextmanager
def stops_on_signals() -> Iterator[contextlib.ExitStack]:
    """An exit stack whose callbacks run however the bench ends; push each stop right after its start."""
    previous = {sig: signal.signal(sig, _raise) for sig in SIGNALS}
    previous_alarm = signal.signal(signal.SIGALRM, _raise_again)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _unraisable(previous_hook)
    stack = contextlib.ExitStack()
    try:
        yield stack
    finally:
        for sig in (*SIGNALS, signal.SIGALRM):
            signal.signal(sig, signal.SIG_IGN)
        signal.setitimer(signal.ITIMER_REAL, 0)
        _swallowed.clear()
        try:
            stack.close()
        finally:
            sys.unraisablehook = previous_hook
            signal.signal(signal.SIGALRM, previous_alarm)
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
