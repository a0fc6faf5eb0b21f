"""The app's side of the poll process (:mod:`poll_child`): start it early, give it hosts, read its snapshots.

:func:`~actions.health.poll_spawn.prewarm` starts the process as soon as the command line knows it opens
the app, before the settings are read, and :func:`begin` hands it the hosts as soon as the lab is known:
asyncssh's import and the SSH connections then run on another core while the app loads and paints its
first frame.
:func:`poller_for` gives the caller that poller (or a new one, for another lab or other options).

:class:`RemotePoller` offers what the app uses of :class:`~actions.health.poller.Poller`: ``listeners``,
``run``, ``refresh_now``, ``set_paused``, ``request_fingerprint``, ``paused``, ``ticks`` and ``close``.
Stopping it, or the app going away, closes the child's stdin; the child closes its connections and exits,
and is killed if it has not within :data:`GRACE` seconds. This module imports neither asyncssh nor pydantic.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from actions import applog
from actions.health import poll_spawn
from actions.health import poll_wire as wire
from actions.health.poll_spawn import GRACE
from actions.health.target import Target

if TYPE_CHECKING:
    from actions.config import HealthSettings
    from actions.health.models import Snapshot
    from actions.lab import Host

_STDERR_KEPT = 4096


class PollerGone(RuntimeError):
    """The poll process ended on its own; the message says how (its last words, or its exit)."""


class PollProcess:
    """One child process running :mod:`poll_child`."""

    def __init__(self, proc: poll_spawn.Child | None = None) -> None:
        self.proc = proc or poll_spawn.spawn()
        self.stderr = b""

    def send(self, frame: tuple[Any, ...]) -> None:
        """One frame to the child; a child that is gone is noticed by the reader, not here."""
        assert self.proc.stdin is not None
        with contextlib.suppress(OSError, ValueError):
            wire.write_frame(self.proc.stdin, frame)

    def alive(self) -> bool:
        """Whether the child is still running."""
        return self.proc.poll() is None

    def let_go(self) -> None:
        """Close the child's pipes and do not wait: it stops by itself (and is reaped later)."""
        poll_spawn.close_stdin(self.proc)
        self._close_pipes()

    def stop_sync(self) -> None:
        """Close the child's stdin, give it :data:`GRACE` seconds, then kill it (for exit, off any loop)."""
        poll_spawn.stop_now(self.proc)

    async def stop(self) -> None:
        """Close the child's stdin and wait (without blocking the loop) until it exits, killing it after
        :data:`GRACE` seconds; a cancel while waiting kills it at once."""
        poll_spawn.close_stdin(self.proc)
        try:
            await self.exited(GRACE)
        finally:
            if self.alive():
                self.proc.kill()
            self.proc.wait()
            self._close_pipes()

    async def exited(self, within: float) -> bool:
        """Whether the child has exited, waiting up to ``within`` seconds without blocking the loop."""
        for _ in range(int(within / 0.02)):
            if not self.alive():
                return True
            await asyncio.sleep(0.02)
        return not self.alive()

    def _close_pipes(self) -> None:
        poll_spawn.close_pipes(self.proc)

    def ended(self) -> str:
        """How the child ended, for the operator: its last words on stderr, else its exit."""
        code = self.proc.poll()
        words = self.stderr.decode("utf-8", "replace").strip().splitlines()
        if words:
            return words[-1]
        from actions.procs import describe_exit

        return "it is still running" if code is None else f"it {describe_exit(code)}"


# Processes let go of (their stdin closed, so they are on their way out), reaped at exit.
_retired: list[PollProcess] = []


def _take() -> PollProcess:
    return PollProcess(poll_spawn.take_warm())


def _stop_left() -> None:
    """At exit: the process begun and never handed out, and those let go, are stopped (a warm one never
    taken is :mod:`poll_spawn`'s)."""
    global _begun
    for left in (_begun._process if _begun is not None else None, *_retired):
        if left is not None:
            left.stop_sync()
    _begun = None
    _retired.clear()


atexit.register(_stop_left)


def options_of(cfg: HealthSettings) -> dict[str, Any]:
    """The poller's keyword arguments for the settings' health section."""
    return {"interval": cfg.interval, "connect_timeout": cfg.connect_timeout,
            "history_minutes": cfg.history_minutes, "fingerprint_every": cfg.fingerprint_minutes * 60}


_begun: RemotePoller | None = None


def begin(hosts: list[Host], options: dict[str, Any]) -> None:
    """Start polling ``hosts`` now, in the process the command line started early (when it did), for
    :func:`poller_for` to hand out: the connections are made while the caller goes on with its start."""
    global _begun
    if _begun is None:
        _begun = RemotePoller(hosts, **options)
        _begun.start()


def poller_for(hosts: list[Host], options: dict[str, Any]) -> RemotePoller:
    """The poller :func:`begin` started when it polls the same hosts the same way, else a new one (not
    started yet)."""
    global _begun
    _retired[:] = [p for p in _retired if p.alive()]  # poll() reaps those that have exited
    begun, _begun = _begun, None
    if begun is not None and begun.hosts == hosts and begun.options == options:
        return begun
    if begun is not None and begun._process is not None:
        # Begun for another lab than the one asked for: none of its hosts is wanted. Its stdin closed, it
        # closes its connections and exits by itself; nothing waits for it here (the caller may be the UI).
        begun._process.let_go()
        _retired.append(begun._process)
    return RemotePoller(hosts, **options)


class RemotePoller:
    """A :class:`~actions.health.poller.Poller` of ``hosts`` run in the poll process.

    :meth:`start` sends the hosts, and the child connects while the caller goes on with its own start;
    :meth:`run` reads what it finds. ``options`` are the poller's own keyword arguments
    (``interval``, ``connect_timeout``, ...).
    """

    def __init__(self, hosts: list[Host], listener: Callable[[Snapshot], None] | None = None,
                 **options: Any) -> None:
        self.hosts = hosts
        self.options = options
        self.listeners: list[Callable[[Snapshot], None]] = [listener] if listener else []
        self.paused = False
        #: Ticks the child's poller has done (tests count in ticks).
        self.ticks = 0
        self.latest: Snapshot | None = None
        self._process: PollProcess | None = None
        self._started = False
        self._delivering = False

    def start(self) -> None:
        """Hand the hosts to the poll process (taking the early one when there is one), to poll until
        stopped; idempotent."""
        if self._started:
            return
        self._started = True
        self._process = _take()
        level = logging.getLogger(applog.ROOT).getEffectiveLevel()
        # The targets unpickle without pydantic, so the child starts connecting at once; the hosts come
        # pickled apart, for the child to load once its models have.
        targets = [Target.of(h) for h in self.hosts]
        hosts = pickle.dumps(self.hosts, protocol=pickle.HIGHEST_PROTOCOL)
        self._process.send((wire.START, targets, hosts, self.options, level))

    # -- control: each is a frame to the child ------------------------------------------------------

    def refresh_now(self) -> None:
        """Start the child's next tick at once (also when paused)."""
        self._command((wire.REFRESH,))

    def request_fingerprint(self) -> None:
        """Read every host's fingerprint on the child's next tick."""
        self._command((wire.FINGERPRINT,))

    def set_paused(self, paused: bool) -> None:
        """Pause or resume the child's polling; the listeners hear of it with the next snapshot."""
        self.paused = paused
        self._command((wire.PAUSE, paused))

    def _command(self, frame: tuple[Any, ...]) -> None:
        if self._process is not None:
            self._process.send(frame)

    # -- reading --------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll until cancelled, handing each snapshot to the listeners; the child is stopped on the way
        out. A child that ends on its own raises :class:`PollerGone`."""
        self.start()
        try:
            await self._read()
        finally:
            await self.close()

    async def _read(self) -> None:
        process = self._process
        assert process is not None and process.proc.stdout is not None and process.proc.stderr is not None
        frames, out_pipe = await wire.pipe_reader(process.proc.stdout)
        errors, err_pipe = await wire.pipe_reader(process.proc.stderr)
        drain = asyncio.create_task(self._drain_stderr(process, errors))
        failed = ""
        try:
            while (frame := await wire.read_frame(frames)) is not None:
                kind = frame[0]
                if kind == wire.SNAPSHOT:
                    self.latest, self.ticks = frame[1], frame[2]
                    self.paused = self.latest.paused
                    # Frames that waited in the pipe (the app was busy starting) are read without a pause:
                    # the listeners get the newest of them once, not each in turn.
                    if not self._delivering:
                        self._delivering = True
                        asyncio.get_running_loop().call_soon(self._deliver)
                elif kind == wire.LOG:
                    logging.getLogger(frame[2]).log(frame[1], "%s", frame[3])
                elif kind == wire.FAILED:
                    failed = frame[1]
            with contextlib.suppress(TimeoutError):  # its last words, if it is on its way out
                await asyncio.wait_for(asyncio.shield(drain), GRACE)
            # Its pipes close a moment before its exit status can be read: wait for that, to say how it ended.
            await process.exited(GRACE)
        finally:
            drain.cancel()
            # Before the process's pipes are closed (close()): the loop stops watching them first.
            out_pipe.close()
            err_pipe.close()
        raise PollerGone(f"the health poller's process ended: {failed or process.ended()}")

    def _deliver(self) -> None:
        self._delivering = False
        if self.latest is not None:
            for listener in list(self.listeners):
                listener(self.latest)

    @staticmethod
    async def _drain_stderr(process: PollProcess, reader: asyncio.StreamReader) -> None:
        """Keep the tail of the child's stderr (read, so that it never fills and blocks the child)."""
        while chunk := await reader.read(1 << 14):
            process.stderr = (process.stderr + chunk)[-_STDERR_KEPT:]

    async def close(self) -> None:
        """Stop the poll process (it closes every connection)."""
        if self._process is not None:
            process, self._process = self._process, None
            await process.stop()
