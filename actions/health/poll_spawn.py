"""Starting the poll process's interpreter, apart from the rest of :mod:`poll_process`.

The command line calls :func:`prewarm` as soon as it has parsed the line. This module loads neither
asyncio (with ssl, about 40 ms) nor anything heavier, so that the child's own imports start that much
sooner; :mod:`poll_process` adopts the process with :func:`take_warm`. One started and never taken is
stopped at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
from pathlib import Path

# The directory that holds the ``actions`` package the app runs from: the child imports the same code.
_ROOT = Path(__file__).resolve().parents[2]
#: Seconds a stopped child has to close its connections and exit before it is killed.
GRACE = 2.0
#: How much nicer than the app the poll process is.
NICENESS = 5

Child = subprocess.Popen[bytes]
_warm: Child | None = None


def spawn() -> Child:
    """A new poll process, its three pipes open, waiting for its start frame."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "actions.health.poll_child"], cwd=_ROOT, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # A Ctrl-C at the terminal is the app's to handle; the child stops when its stdin closes.
        start_new_session=True,
    )
    # Below the app in the scheduler's eyes: on a small machine the app's first frame comes first and
    # this process takes what the app leaves (its imports, the key exchanges); on many cores, all it needs.
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, proc.pid, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
    return proc


def prewarm() -> None:
    """Start the poll process now, for the first poller of this process to take."""
    global _warm
    if _warm is None:
        _warm = spawn()


def take_warm() -> Child | None:
    """The process :func:`prewarm` started, if it is still running; it is the caller's from now on."""
    global _warm
    taken, _warm = _warm, None
    if taken is not None and taken.poll() is not None:
        close_pipes(taken)
        return None
    return taken


def stop_now(proc: Child) -> None:
    """Close the child's stdin, give it :data:`GRACE` seconds, then kill it (off any event loop)."""
    close_stdin(proc)
    try:
        proc.wait(GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    close_pipes(proc)


def close_stdin(proc: Child) -> None:
    """Close the pipe to the child: it stops when it reads the end."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()


def close_pipes(proc: Child) -> None:
    """Close the pipes from the child (its stdout and stderr)."""
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def discard_warm() -> None:
    """At exit: a process started early and never taken (no lab, a broken config) is stopped."""
    taken = take_warm()
    if taken is not None:
        stop_now(taken)


atexit.register(discard_warm)
