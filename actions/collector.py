"""When the garbage collector runs: not while a process starts, and not over what it leaves at exit.

Starting, the app and its commands import Textual, pydantic, asyncssh and the project, and build the
settings' and the health models' validators. Nearly all they allocate lives as long as the process, so
the collector's passes over it free next to nothing. They still cost: on a small machine, about 120 ms
before the app's first readings (two of them full passes of 20 to 50 ms), and 65 ms of a one-shot
``health --once``.

:func:`hold` turns automatic collection off; :func:`release` turns it back on. The app releases it once
every host has answered for the first time (:func:`tui.gc_pauses.settle` collects and freezes then), the
poll process at the same moment, and a command when it ends. Whatever happens, a timer releases it
:data:`LIMIT` seconds after :func:`hold`: what a process allocates in its first seconds is bounded, but
a long command or a host that never answers must not run without the collector.

:func:`leaving` is for a process about to exit. The interpreter's exit collects several times over all
the process holds (a tenth of a second after ``health --once``), only to free what the exit frees anyway.
"""

from __future__ import annotations

import gc
import threading

#: Seconds after :func:`hold` at which the collector resumes whether or not the start has ended.
LIMIT = 5.0

_timer: threading.Timer | None = None
_lock = threading.Lock()


def hold(limit: float = LIMIT) -> None:
    """Turn automatic collection off for at most ``limit`` seconds. Does nothing when it is already off
    (held here, or by someone else, whose choice it stays)."""
    global _timer
    with _lock:
        if _timer is not None or not gc.isenabled():
            return
        gc.disable()
        _timer = threading.Timer(limit, release)
        _timer.daemon = True
        _timer.start()


def release() -> None:
    """Turn automatic collection back on, if :func:`hold` turned it off; any number of times."""
    global _timer
    with _lock:
        if _timer is None:
            return
        timer, _timer = _timer, None
        gc.enable()
    # Outside the lock: the timer's own thread calls release, and cancel only sets its event.
    timer.cancel()


def holding() -> bool:
    """Whether :func:`hold` has collection off now."""
    return _timer is not None


def leaving() -> None:
    """The process exits next: put every object it holds out of the collector's reach (``gc.freeze``), so
    the interpreter's exit frees them by reference counting alone. The exit's own work (``atexit``,
    joining threads, flushing files) is left to it."""
    gc.freeze()
