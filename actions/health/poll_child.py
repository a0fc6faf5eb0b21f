"""The poll process: the app's health poller, run in a process of its own.

Started with ``python -m actions.health.poll_child`` (see :mod:`poll_process`) as early as the command line
knows it opens the app, it imports asyncssh at once, on a core of its own, while the app paints its first
frame and reads its settings. The poller's models (and pydantic, a third of this process's start) load in a
thread meanwhile: the hosts arrive in the start frame as plain targets, and the links are opened as soon as
they do, not after the models. Its SSH work (key exchange, reading the probes) never competes with the
screen for the interpreter's lock either.

Frames are described in :mod:`poll_wire`. The child ends when its stdin closes (the app stopped it, or the
app is gone), closing every connection on the way out.
"""

from __future__ import annotations

from actions import collector

if __name__ == "__main__":
    collector.hold()  # before asyncssh's import; released once every host has answered (see publish)

import asyncio
import contextlib
import logging
import os
import pickle
import sys
from typing import IO, TYPE_CHECKING, Any

from actions import applog
from actions.health import poll_wire as wire
from actions.health.session import CONNECT_TIMEOUT, ProbeShell
from actions.health.target import Target

if TYPE_CHECKING:
    from actions.health.models import Snapshot
    from actions.health.poller import Poller


def _load_poller() -> type[Poller]:
    """The poller class: the import that brings pydantic in, run off the event loop."""
    from actions.health.poller import Poller

    return Poller


class _Forward(logging.Handler):
    """Sends each record of the ``factory`` loggers to the app, which writes its log file: one writer."""

    def __init__(self, out: IO[bytes]) -> None:
        super().__init__()
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(OSError, ValueError):
            wire.write_frame(self.out, (wire.LOG, record.levelno, record.name, record.getMessage()))


class _Child:
    """One poll process: the poller, its commands from the app, its frames to the app."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.poller: Poller | None = None

    def send(self, frame: tuple[Any, ...]) -> None:
        wire.write_frame(self.out, frame)

    def publish(self, snap: Snapshot) -> None:
        assert self.poller is not None
        self.send((wire.SNAPSHOT, snap, self.poller.ticks))
        if all(state.connection != "connecting" for state in snap.hosts):
            collector.release()  # started: every host has answered or failed once

    async def serve(self) -> None:
        commands, _ = await wire.pipe_reader(sys.stdin.buffer)
        # While the app reads its lab, and then while the key exchanges wait on the hosts.
        loading = asyncio.ensure_future(asyncio.to_thread(_load_poller))
        start = await wire.read_frame(commands)
        if start is None or start[0] != wire.START:
            return  # the app went before it had hosts to give (no lab, or it failed to start)
        _, targets, pickled_hosts, options, level = start
        root = logging.getLogger(applog.ROOT)
        root.setLevel(level)
        root.addHandler(_Forward(self.out))
        opening = {t.name: asyncio.create_task(self._open(t, options)) for t in targets}
        poller_class = await loading
        self.poller = poller_class(pickle.loads(pickled_hosts), opening=opening, **options)
        self.poller.listeners.append(self.publish)
        self.publish(self.poller.snapshot())  # every host "connecting": the cards have something to say
        polling = asyncio.create_task(self.poller.run())
        listening = asyncio.create_task(self._obey(commands))
        done, _ = await asyncio.wait({polling, listening}, return_when=asyncio.FIRST_COMPLETED)
        for task in (polling, listening):
            task.cancel()
        await asyncio.gather(polling, listening, return_exceptions=True)
        if polling in done and not polling.cancelled() and polling.exception() is not None:
            raise polling.exception()  # type: ignore[misc]

    @staticmethod
    async def _open(target: Target, options: dict[str, Any]) -> ProbeShell:
        return await ProbeShell.open(target, options.get("connect_timeout", CONNECT_TIMEOUT))

    async def _obey(self, commands: asyncio.StreamReader) -> None:
        """Carry out the app's commands until it closes the pipe."""
        assert self.poller is not None
        while (frame := await wire.read_frame(commands)) is not None:
            if frame[0] == wire.REFRESH:
                self.poller.refresh_now()
            elif frame[0] == wire.PAUSE:
                self.poller.set_paused(bool(frame[1]))
            elif frame[0] == wire.FINGERPRINT:
                self.poller.request_fingerprint()


def main() -> int:
    """Serve one app until it closes our stdin; the frames go out on what was stdout."""
    # Frames get the pipe to themselves: anything else written to stdout, by Python or by a program this
    # process starts, goes to stderr instead.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    child = _Child(out)
    try:
        asyncio.run(child.serve())
    except Exception as exc:  # the app shows it: "health polling stopped: ..."
        with contextlib.suppress(OSError, ValueError):
            child.send((wire.FAILED, f"{type(exc).__name__}: {exc}"))
        return 1
    finally:
        collector.leaving()
    return 0


if __name__ == "__main__":
    sys.exit(main())
