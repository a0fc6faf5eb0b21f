"""The poll process against the sandbox's three real sshd: the poller in a child process, its frames, its
commands, its logs, and its end in every way (stopped, cancelled, killed, never given hosts)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import psutil
import pytest

from actions import sandbox as sb
from actions.health import poll_process, poll_spawn
from actions.health.models import Snapshot
from actions.health.poll_process import PollerGone, RemotePoller
from actions.health.target import Target
from actions.lab import Host, load_lab
from tests.waiting import wait_for

pytestmark = pytest.mark.integration
OPTIONS = {"interval": 0.5, "connect_timeout": 5.0}
ROOT = Path(__file__).resolve().parents[2]


def hosts_of(sandbox: sb.SandboxStatus) -> list[Host]:
    return list(load_lab(sandbox.inventory).hosts)


def poll_children() -> list[psutil.Process]:
    """This test process's poll processes still running."""
    found = []
    for child in psutil.Process().children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "actions.health.poll_child" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:  # gone, or a zombie, since the listing
            continue
    return found


@contextlib.asynccontextmanager
async def running(poller: RemotePoller) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(poller.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, PollerGone):
            await task


def settled(snap: Snapshot) -> bool:
    """Every host has answered or failed once (the app's first readings)."""
    return all(h.connection != "connecting" for h in snap.hosts)


def printed(snap: Snapshot) -> bool:
    """Every host's fingerprint has been read (it follows the first readings at once)."""
    return all(h.reading is not None and h.reading.fingerprint is not None for h in snap.hosts)


async def first_settled(poller: RemotePoller, timeout: float = 30.0, until: Callable[[Snapshot], bool] = settled,
                        ) -> Snapshot:
    """Poll live until the first snapshot that ``until`` accepts, then stop."""
    settled: asyncio.Future[Snapshot] = asyncio.get_running_loop().create_future()

    def listen(snap: Snapshot) -> None:
        if not settled.done() and until(snap):
            settled.set_result(snap)

    poller.listeners.append(listen)
    async with running(poller):
        return await asyncio.wait_for(settled, timeout)


def all_read(snap: Snapshot | None) -> bool:
    return snap is not None and all(h.connection == "up" and h.reading is not None for h in snap.hosts)


async def test_first_readings_of_every_host_and_no_process_left(sandbox: sb.SandboxStatus) -> None:
    poller = RemotePoller(hosts_of(sandbox), **OPTIONS)
    snap = await first_settled(poller)
    assert [h.name for h in snap.hosts] == ["pi1", "pi2", "pi3"]
    for h in snap.hosts:
        assert h.connection == "up" and h.reading is not None, h.last_error
        assert h.reading.load is not None
    assert poll_children() == []
    # The fingerprints come on the same connections right after, without waiting for a tick.
    poller = RemotePoller(hosts_of(sandbox), **(OPTIONS | {"interval": 60.0}))
    snap = await first_settled(poller, until=printed)
    assert all(h.reading is not None and h.reading.load is not None for h in snap.hosts)
    assert poll_children() == []


async def test_live_polling_obeys_pause_refresh_and_fingerprint(
    sandbox: sb.SandboxStatus, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Snapshot] = []
    poller = RemotePoller(hosts_of(sandbox), listener=seen.append, **OPTIONS)
    async with running(poller):
        await wait_for(lambda: all_read(poller.latest), 20, "every host read")
        ticks = poller.ticks
        await wait_for(lambda: poller.ticks >= ticks + 2, 10, "the child's ticks going on")
        # The first snapshot comes before any connection: every card has something to say at once.
        assert [h.connection for h in seen[0].hosts] == ["connecting"] * 3
        poller.set_paused(True)
        await wait_for(lambda: poller.latest is not None and poller.latest.paused, 5, "a paused snapshot")
        await asyncio.sleep(2 * OPTIONS["interval"])  # the tick under way, if one was, is done
        stopped = poller.ticks
        await asyncio.sleep(4 * OPTIONS["interval"])
        assert poller.ticks == stopped
        poller.refresh_now()
        await wait_for(lambda: poller.ticks > stopped, 5, "a tick on demand while paused")
        poller.set_paused(False)
        await wait_for(lambda: poller.latest is not None and not poller.latest.paused, 5, "polling resumed")
        poller.request_fingerprint()
        stamps = {h.name: h.reading.fingerprint.taken_at for h in poller.latest.hosts
                  if h.reading is not None and h.reading.fingerprint is not None}
        await wait_for(lambda: all(
            h.reading is not None and h.reading.fingerprint is not None
            and h.reading.fingerprint.taken_at > stamps.get(h.name, 0) for h in poller.latest.hosts  # type: ignore[union-attr]
        ), 10, "fresh fingerprints")
        child = poll_children()
        assert len(child) == 1
        # Nicer than the app: a small machine paints the app's frames first.
        assert child[0].nice() >= psutil.Process().nice() + poll_spawn.NICENESS
    # Cancelled: the child closed its connections and went, and its pipes were let go of in order (the
    # loop stops reading them before they are closed: no "Fatal read error on pipe transport").
    assert poll_children() == []
    await asyncio.sleep(0.1)
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


async def test_a_killed_child_ends_the_run_with_its_reason(sandbox: sb.SandboxStatus) -> None:
    poller = RemotePoller(hosts_of(sandbox), **OPTIONS)
    task = asyncio.create_task(poller.run())
    try:
        await wait_for(lambda: all_read(poller.latest), 20, "every host read")
        (child,) = poll_children()
        os.kill(child.pid, signal.SIGKILL)
        with pytest.raises(PollerGone, match="the health poller's process ended: it was killed by SIGKILL"):
            await asyncio.wait_for(task, 10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, PollerGone):
            await task
    assert poll_children() == []


async def test_the_child_s_log_records_reach_the_app_s_log(
    sandbox: sb.SandboxStatus, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="factory")
    await first_settled(RemotePoller(hosts_of(sandbox), **OPTIONS))
    connected = [r for r in caplog.records if r.name == "factory.health" and r.getMessage().startswith("connected:")]
    assert sorted(r.getMessage().split()[1] for r in connected) == ["pi1", "pi2", "pi3"]


async def test_a_host_down_is_reported_not_fatal(sandbox: sb.SandboxStatus) -> None:
    hosts = hosts_of(sandbox)
    # Nothing listens on this port: the child reports the host down and goes on with the others.
    hosts[2] = hosts[2].model_copy(update={"port": 1})
    snap = await first_settled(RemotePoller(hosts, **{**OPTIONS, "connect_timeout": 2.0}))
    assert [h.connection for h in snap.hosts] == ["up", "up", "unreachable"]
    assert snap.hosts[2].last_error


async def test_the_poller_begun_early_is_the_one_handed_out(sandbox: sb.SandboxStatus) -> None:
    hosts = hosts_of(sandbox)
    poll_spawn.prewarm()
    poll_process.begin(hosts, OPTIONS)
    begun = poll_process.poller_for(hosts, OPTIONS)
    assert begun._started and poll_process.poller_for(hosts, OPTIONS) is not begun  # handed out once
    async with running(begun):
        await wait_for(lambda: all_read(begun.latest), 20, "every host read by the early process")
    # Begun for another lab than the one asked for: that process is stopped, a new poller is made.
    poll_process.begin(hosts[:1], OPTIONS)
    other = poll_process.poller_for(hosts, OPTIONS)
    assert not other._started and other.hosts == hosts
    # Let go without waiting (the caller may be the UI): it closes its connections and exits by itself.
    await wait_for(lambda: poll_children() == [], 10, "the process begun for the other lab to exit")


def test_an_early_process_never_given_hosts_is_stopped_at_exit() -> None:
    poll_spawn.prewarm()
    (child,) = poll_children()
    poll_spawn.discard_warm()  # what atexit runs
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    assert poll_children() == []


def test_the_poll_process_opens_a_link_before_pydantic_is_loaded(sandbox: sb.SandboxStatus) -> None:
    """The child's module and a link's opening (key exchange, login, the probe shell) load no pydantic:
    the child starts connecting while its models still load in a thread."""
    target = Target.of(hosts_of(sandbox)[0])
    code = (
        "import asyncio, pickle, sys\n"
        "import actions.health.poll_child\n"
        "from actions.health.session import ProbeShell\n"
        "def pydantic(): return sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic')\n"
        "async def main():\n"
        "    before = pydantic()\n"
        "    shell = await ProbeShell.open(pickle.loads(bytes.fromhex(sys.argv[1])), 10.0)\n"
        "    print(shell.target.name, not shell.conn.is_closed(), before, pydantic())\n"
        "    shell.close()\n"
        "asyncio.run(main())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, pickle.dumps(target).hex()], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["pi1", "True", "[]", "[]"]
