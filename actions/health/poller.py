"""The poller: one kept-open SSH link per host, one probe round trip per host per tick.

Each tick probes every connected host at once and waits at most one interval for each answer, so a host
that stops answering is marked unreachable by the next tick (within two). A host that is down is
reconnected in the background with exponential backoff, without holding up the others. Listeners get a
:class:`Snapshot` after every tick and on every connection change.

Slow signals are sampled every few ticks only (disks, clock sync, services, docker and backups every
``slow_every``; k3s nodes every ``kube_every``), because ``kubectl`` alone would cost a Pi more than the
whole fast probe. The host's fingerprint is read on a new connection right after its first readings, then
on a slow tick every ``fingerprint_every`` seconds or when :meth:`Poller.request_fingerprint` asks: the same
shell, never a session of its own. The first readings do not wait for it: its ``ss`` and ``ps`` took the
sandbox's three hosts 60 ms on two cores, against 5 ms for the probe without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable

from actions.applog import logger
from actions.health.models import Connection, HostState, Reading, Sample, Snapshot
from actions.health.parse import carry_over
from actions.health.session import CONNECT_TIMEOUT, AuthRefused, HostKeyRefused, ProbeShell
from actions.health.target import Target
from actions.lab import Host, Lab

Listener = Callable[[Snapshot], None]
#: Links already being opened when the poller is made, by host name (see ``Poller(opening=...)``).
Opening = dict[str, "asyncio.Task[ProbeShell]"]

_log = logger("health")


class _Link:
    """The poller's private record of one host."""

    def __init__(self, host: Host, history_len: int, backoff: float,
                 opening: asyncio.Task[ProbeShell] | None = None) -> None:
        self.host = host
        self.target = Target.of(host)
        #: The first connection, when it was begun before the poller existed; used once.
        self.opening = opening
        self.print_due = True
        self.printed_at = 0.0
        self.shell: ProbeShell | None = None
        self.connecting: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()
        self.connection: Connection = "connecting"
        self.since: float | None = time.time()
        self.last_error: str | None = None
        self.reading: Reading | None = None
        self.history: deque[Sample] = deque(maxlen=history_len)
        self.ticks = 0
        self.next_attempt = 0.0
        self.backoff = backoff
        self.cpu_first: tuple[int, float] | None = None
        self.cpu_per_tick: float | None = None

    def state(self) -> HostState:
        return HostState(
            name=self.host.name,
            address=self.host.address,
            port=self.host.port,
            connection=self.connection,
            since=self.since,
            last_error=self.last_error,
            reading=self.reading,
            history=list(self.history),
            probe_cpu_per_tick_s=self.cpu_per_tick,
        )


class Poller:
    """Polls ``hosts`` every ``interval`` seconds until cancelled; call :meth:`run` in a task."""

    def __init__(
        self,
        hosts: list[Host],
        *,
        interval: float = 2.0,
        connect_timeout: float = CONNECT_TIMEOUT,
        history_minutes: float = 10.0,
        backoff_max: float = 15.0,
        slow_every: int = 5,
        kube_every: int = 30,
        fingerprint_every: float = 600.0,
        listener: Listener | None = None,
        opening: Opening | None = None,
    ) -> None:
        self.interval = interval
        self.connect_timeout = connect_timeout
        self.backoff_min = min(interval, 1.0)
        self.backoff_max = backoff_max
        self.slow_every = max(1, slow_every)
        self.kube_every = max(1, kube_every)
        self.fingerprint_every = fingerprint_every
        history_len = max(2, int(history_minutes * 60 / interval))
        opening = opening or {}
        self.links = [_Link(h, history_len, self.backoff_min, opening.get(h.name)) for h in hosts]
        self.listeners: list[Listener] = [listener] if listener else []
        self.paused = False
        self._wake = asyncio.Event()
        self._closed = False
        #: Ticks done so far (tests and the benchmark count in ticks).
        self.ticks = 0

    @classmethod
    def for_lab(cls, lab: Lab, **kwargs: object) -> Poller:
        """A poller of every host of ``lab``."""
        return cls(list(lab.hosts), **kwargs)  # type: ignore[arg-type]

    # -- what listeners see -------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Every host's state now."""
        return Snapshot(
            taken_at=time.time(), interval=self.interval, paused=self.paused, hosts=[ln.state() for ln in self.links]
        )

    def _publish(self) -> None:
        if not self.listeners:
            return
        snap = self.snapshot()
        for listener in list(self.listeners):
            listener(snap)

    # -- control ------------------------------------------------------------------------------------

    def refresh_now(self) -> None:
        """Start the next tick at once (also when paused)."""
        self._wake.set()

    def request_fingerprint(self) -> None:
        """Read every host's fingerprint on the next tick (the known-good key and ``health --record``)."""
        for link in self.links:
            link.print_due = True
        self._wake.set()

    def set_paused(self, paused: bool) -> None:
        """Pause or resume polling, and tell the listener."""
        self.paused = paused
        self._publish()

    async def run(self) -> None:
        """Tick until cancelled; connections are closed on the way out."""
        try:
            while True:
                start = time.monotonic()
                await self.tick()
                self._wake.clear()
                remaining = self.interval - (time.monotonic() - start)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(0.0, remaining))
                while self.paused and not self._wake.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.interval)
        finally:
            await self.close()

    async def tick(self) -> None:
        """One refresh: a probe to every connected host, a connection attempt to the others when due."""
        await asyncio.gather(*(self._tick_link(link) for link in self.links))
        self.ticks += 1
        self._publish()

    async def once(self, timeout: float | None = None, fingerprint: bool = True) -> Snapshot:
        """Connect to every host, probe each once (full probe), and return; for the command line.

        ``fingerprint=False`` leaves the hosts' fingerprints unread (a reading alone is quicker). A host
        still connecting or probing at ``timeout`` is left as it is (connecting, or unreachable).
        """
        limit = timeout or self.connect_timeout + max(10.0, 2 * self.interval) + 5
        tasks = [asyncio.create_task(self._connect(link, probe=True, patient=True, fingerprint=fingerprint))
                 for link in self.links]
        _, pending = await asyncio.wait(tasks, timeout=limit)
        for task in pending:
            task.cancel()
        for link, task in zip(self.links, tasks, strict=True):
            if task in pending:
                link.connection, link.since = "unreachable", time.time()
                link.last_error = f"{link.host.name}: no answer within {limit:.0f} s"
        return self.snapshot()

    async def close(self) -> None:
        """Stop polling and close every host's connection."""
        self._closed = True
        for link in self.links:
            if link.connecting is not None:
                link.connecting.cancel()
            if link.opening is not None:
                _drop_opening(link.opening)
                link.opening = None
            if link.shell is not None:
                link.shell.close()
                link.shell = None
                _log.info("disconnected: %s (closed)", link.host.name)

    # -- one host -----------------------------------------------------------------------------------

    def _mode(self, link: _Link) -> str:
        if link.ticks % self.kube_every == 0:
            return "kube"
        return "slow" if link.ticks % self.slow_every == 0 else "fast"

    async def _tick_link(self, link: _Link) -> None:
        if link.shell is None:
            if link.connecting is None and time.monotonic() >= link.next_attempt and not self._closed:
                link.connecting = asyncio.create_task(self._connect(link, probe=True))
            return
        if link.lock.locked():
            return  # the last probe is still out; it has its own deadline
        await self._probe(link)

    def _deadline(self, mode: str, patient: bool) -> float:
        # A fast probe answers in milliseconds: one interval is plenty, and keeps "unreachable" within two
        # ticks. kubectl, docker and timedatectl can take a Pi a second or more: two intervals.
        if patient:
            return max(10.0, 2 * self.interval)
        return self.interval if mode == "fast" else 2 * self.interval

    def _print_due(self, link: _Link, now: float) -> bool:
        return link.print_due or now - link.printed_at >= self.fingerprint_every

    async def _probe(self, link: _Link, patient: bool = False, fingerprint: bool = True) -> None:
        """Probe ``link``'s host once; its fingerprint too when it is due, unless ``fingerprint`` is off."""
        shell = link.shell
        if shell is None:
            return
        async with link.lock:
            started = time.time()
            mode = self._mode(link)
            printing = fingerprint and self._print_due(link, started)
            if printing:
                mode = "kube"  # the fingerprint holds node readiness and containers: read them with it
            try:
                reading = await shell.probe(mode, timeout=self._deadline(mode, patient), fingerprint=printing)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._down(link, exc, started)
                return
        link.ticks += 1
        if printing:
            link.print_due, link.printed_at = False, reading.taken_at
        link.reading = carry_over(reading, link.reading)
        link.history.append(Sample(t=reading.taken_at, load1=reading.load[0] if reading.load else None,
                                   temp_c=reading.temp_c))
        self._account_cpu(link, reading)
        if link.connection != "up":
            link.connection, link.since = "up", reading.taken_at
        link.last_error = None

    def _account_cpu(self, link: _Link, reading: Reading) -> None:
        if reading.probe_cpu_s is None:
            return
        if link.cpu_first is None:
            # The first probe also paid for the shell's start and the probe's definition: not a tick.
            link.cpu_first = (link.ticks, reading.probe_cpu_s)
            return
        ticks = link.ticks - link.cpu_first[0]
        if ticks > 0:
            link.cpu_per_tick = (reading.probe_cpu_s - link.cpu_first[1]) / ticks

    def _down(self, link: _Link, exc: BaseException, when: float) -> None:
        if link.shell is not None:
            link.shell.close()
            link.shell = None
        link.last_error = _describe(link.host, exc)
        if link.connection != "unreachable":
            link.connection, link.since = "unreachable", when
            _log.warning("disconnected: %s", link.last_error)
        link.cpu_first = None
        # Try again at once: a dropped connection to a live host comes back on the first attempt.
        link.next_attempt = 0.0
        link.backoff = self.backoff_min

    async def _connect(self, link: _Link, probe: bool, patient: bool = False, fingerprint: bool = True) -> None:
        attempt_at = time.time()
        try:
            opening, link.opening = link.opening, None
            link.shell = await (opening or ProbeShell.open(link.target, self.connect_timeout))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            state: Connection = "unreachable"
            if isinstance(exc, HostKeyRefused):
                state = "host key mismatch"
            elif isinstance(exc, AuthRefused):
                state = "auth failed"
            link.last_error = _describe(link.host, exc)
            if link.connection != state:
                link.connection, link.since = state, attempt_at
                _log.warning("cannot connect (%s): %s", state, link.last_error)
            link.next_attempt = time.monotonic() + link.backoff
            link.backoff = min(link.backoff * 2, self.backoff_max)
            self._publish()
            return
        finally:
            link.connecting = None
        link.backoff = self.backoff_min
        link.ticks = 0
        _log.info("connected: %s (%s:%s as %s)", link.host.name, link.host.address, link.host.port, link.host.user)
        if probe:
            # The readings first; the fingerprint, when due, on the next probe at once.
            await self._probe(link, patient, fingerprint=False)
            if fingerprint and link.shell is not None and self._print_due(link, time.time()):
                self._publish()
                await self._probe(link, patient)
        self._publish()


def _drop_opening(task: asyncio.Task[ProbeShell]) -> None:
    """Close a link begun for the poller and never taken (it closed first)."""
    if not task.done():
        task.cancel()
    elif not task.cancelled() and task.exception() is None:
        task.result().close()


def _describe(host: Host, exc: BaseException) -> str:
    if isinstance(exc, (HostKeyRefused, AuthRefused)):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return f"{host.name}: no answer within the deadline"
    if isinstance(exc, asyncio.IncompleteReadError):
        return f"{host.name}: connection closed"
    text = str(exc).strip() or type(exc).__name__
    return f"{host.name} ({host.address}:{host.port}): {text}"
