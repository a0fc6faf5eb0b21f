"""Run long work on a thread so that Ctrl-C reaches the main thread and becomes a clean cancel.

The main thread waits on an Event, not on ``Thread.join``: on Python 3.11 a KeyboardInterrupt that lands
inside ``join`` can mark the worker as finished while it still runs (the interrupted wait releases the
thread's state lock), so a later ``join`` returned at once and the command exited with its playbook still
going.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable


def run_cancellable(work: Callable[[], None], cancel: threading.Event, name: str, what: str) -> None:
    """Call ``work`` on a thread; on Ctrl-C set ``cancel`` and wait for ``work`` to finish."""
    done = threading.Event()

    def wrapped() -> None:
        try:
            work()
        finally:
            done.set()

    threading.Thread(target=wrapped, name=name, daemon=True).start()
    try:
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        print(f"\nfactory-tui: cancelling {what}...", file=sys.stderr)
        cancel.set()
        while True:
            try:
                if done.wait(0.2):
                    break
            except KeyboardInterrupt:
                print(f"factory-tui: still cancelling {what}; it stops at the next task", file=sys.stderr)
