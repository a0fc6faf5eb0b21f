"""The poller against the sandbox's three real sshd: readings, a host going away and coming back,
host keys that are refused."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from actions import sandbox as sb
from actions.health.models import HostState, Snapshot
from actions.health.poller import Poller
from actions.health.session import ProbeShell
from actions.health.target import Target
from actions.lab import Host, load_lab
from actions.sandbox.procs import stop_tree
from tests.waiting import wait_for

pytestmark = pytest.mark.integration
TICK = 0.5


@contextlib.asynccontextmanager
async def running(poller: Poller) -> AsyncIterator[Poller]:
    task = asyncio.create_task(poller.run())
    try:
        yield poller
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def state(poller: Poller, name: str) -> HostState:
    return poller.snapshot().host(name)


async def test_once_reads_every_host(sandbox: sb.SandboxStatus) -> None:
    lab = load_lab(sandbox.inventory)
    poller = Poller(list(lab.hosts), interval=TICK)
    try:
        snap = await poller.once()
    finally:
        await poller.close()
    assert [h.name for h in snap.hosts] == ["pi1", "pi2", "pi3"]
    for h in snap.hosts:
        r = h.reading
        assert h.connection == "up" and r is not None, h.last_error
        assert r.load is not None and r.cores is not None and r.cores >= 1
        assert r.uptime_s is not None and r.uptime_s > 0
        assert r.mem_total_kb and r.mem_available_kb is not None
        assert r.disks and r.disks[0].path == "/" and 0 < r.disks[0].used_pct < 100
        # Same machine, same clock: the offset is measured, and tiny.
        assert r.clock_offset_s is not None and abs(r.clock_offset_s) < 0.5
        assert r.rtt_ms > 0 and r.probe_ms >= r.rtt_ms
        assert "@@loadavg" in r.raw
    # Docker is probed on docker hosts only; nodes on k3s servers only (neither exists here).
    assert snap.host("pi2").reading.docker_note is not None  # type: ignore[union-attr]
    assert snap.host("pi1").reading.docker_note is None  # type: ignore[union-attr]
    assert snap.host("pi1").reading.kube_note is not None  # type: ignore[union-attr]
    assert snap.host("pi2").reading.kube_note is None  # type: ignore[union-attr]


async def test_each_tick_refreshes_every_host_over_the_same_connection(sandbox: sb.SandboxStatus) -> None:
    lab = load_lab(sandbox.inventory)
    snaps: list[Snapshot] = []
    poller = Poller(list(lab.hosts), interval=TICK, listener=snaps.append)
    async with running(poller):
        await wait_for(lambda: all(h.connection == "up" for h in poller.snapshot().hosts), 20, "all up")
        conns = {ln.host.name: ln.shell.conn for ln in poller.links if ln.shell}
        first = {h.name: h.reading.taken_at for h in poller.snapshot().hosts if h.reading}
        start = poller.ticks
        await wait_for(lambda: poller.ticks >= start + 3, 10, "three ticks")
        # No reconnect in between: the same connection object served every tick.
        assert {ln.host.name: ln.shell.conn for ln in poller.links if ln.shell} == conns
        assert len(conns) == 3
    later = {h.name: h.reading.taken_at for h in snaps[-1].hosts if h.reading}
    assert all(later[name] > first[name] for name in first)
    assert all(len(h.history) >= 3 for h in snaps[-1].hosts)


async def test_killed_sshd_goes_unreachable_within_two_ticks_and_comes_back(sandbox: sb.SandboxStatus) -> None:
    assert sandbox.settings is not None
    lab = load_lab(sandbox.inventory)
    poller = Poller(list(lab.hosts), interval=TICK, backoff_max=1.0)
    async with running(poller):
        await wait_for(lambda: all(h.connection == "up" for h in poller.snapshot().hosts), 20, "all up")
        pid = sb.status(sandbox.settings).part("pi3").pid
        assert pid is not None
        before = {n: state(poller, n).reading.taken_at for n in ("pi1", "pi2")}  # type: ignore[union-attr]
        killed_at_tick = poller.ticks
        killed_at = time.time()
        try:
            # The listener and every session it forked: the host is gone, as a Pi losing power.
            assert stop_tree(pid)
            await wait_for(lambda: state(poller, "pi3").connection == "unreachable", 10, "pi3 unreachable")
            assert poller.ticks - killed_at_tick <= 2
            down = state(poller, "pi3")
            assert down.since is not None and down.since >= killed_at - TICK
            assert down.last_error and "pi3" in down.last_error
            # The others keep updating meanwhile.
            tick = poller.ticks
            await wait_for(lambda: poller.ticks >= tick + 2, 10, "two more ticks")
            for name in ("pi1", "pi2"):
                st = state(poller, name)
                assert st.connection == "up" and st.reading is not None and st.reading.taken_at > before[name]
            assert state(poller, "pi3").connection == "unreachable"
        finally:
            await asyncio.to_thread(sb.up, sandbox.settings)
        restarted = time.time()
        await wait_for(
            lambda: state(poller, "pi3").connection == "up"
            and (state(poller, "pi3").reading.taken_at > restarted),  # type: ignore[union-attr]
            20,
            "pi3 back",
        )


def wrong_known_hosts(path: Path, host: Host) -> Path:
    key = asyncssh.generate_private_key("ssh-ed25519")
    algo, blob = key.export_public_key().decode().split()[:2]
    path.write_text(f"[{host.address}]:{host.port} {algo} {blob}\n")
    return path


def real_fingerprint(sandbox: sb.SandboxStatus, name: str) -> str:
    pub = sandbox.inventory.parent / f"ssh_host_{name}_ed25519.pub"
    return asyncssh.read_public_key(str(pub)).get_fingerprint("sha256")


async def test_changed_host_key_is_refused_with_host_and_fingerprint(
    sandbox: sb.SandboxStatus, tmp_path: Path
) -> None:
    lab = load_lab(sandbox.inventory)
    pi1 = lab.host("pi1")
    bad = pi1.model_copy(update={"known_hosts": wrong_known_hosts(tmp_path / "known_hosts", pi1)})
    poller = Poller([bad, lab.host("pi2")], interval=TICK, backoff_max=TICK)
    try:
        snap = await poller.once()
        st = snap.host("pi1")
        assert st.connection == "host key mismatch" and st.reading is None
        assert st.last_error is not None and "pi1" in st.last_error and "mismatch" in st.last_error
        assert real_fingerprint(sandbox, "pi1") in st.last_error
        assert snap.host("pi2").connection == "up"
        # It keeps refusing on every retry: never connected.
        async with running(poller):
            await asyncio.sleep(4 * TICK)
            assert state(poller, "pi1").connection == "host key mismatch"
            assert state(poller, "pi1").reading is None
    finally:
        await poller.close()


async def test_unknown_host_key_is_refused(sandbox: sb.SandboxStatus, tmp_path: Path) -> None:
    lab = load_lab(sandbox.inventory)
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    pi3 = lab.host("pi3").model_copy(update={"known_hosts": empty})
    poller = Poller([pi3], interval=TICK)
    try:
        snap = await poller.once()
    finally:
        await poller.close()
    st = snap.host("pi3")
    assert st.connection == "host key mismatch" and st.reading is None
    assert st.last_error is not None and "unknown host key" in st.last_error and str(empty) in st.last_error
    assert real_fingerprint(sandbox, "pi3") in st.last_error


async def test_a_link_begun_before_the_poller_is_the_one_it_polls_on(sandbox: sb.SandboxStatus) -> None:
    """The poll process opens its links before its poller exists; the poller takes them, not new ones."""
    pi2 = load_lab(sandbox.inventory).host("pi2")
    opening = asyncio.create_task(ProbeShell.open(Target.of(pi2), 5.0))
    poller = Poller([pi2], interval=TICK, opening={"pi2": opening})
    try:
        async with running(poller):
            await wait_for(lambda: state(poller, "pi2").reading is not None, 20, "pi2's first reading")
            assert poller.links[0].shell is opening.result()
            assert state(poller, "pi2").connection == "up"
    finally:
        await poller.close()
    assert opening.result().conn.is_closed()


async def test_links_begun_and_never_taken_are_closed_with_the_poller(sandbox: sb.SandboxStatus) -> None:
    """Closed before its first tick, the poller closes a link that was opened for it, and stops one
    still opening (here: a server that accepts and never speaks, so the key exchange never ends)."""
    silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    lab = load_lab(sandbox.inventory)
    pi1, pi3 = lab.host("pi1"), lab.host("pi3")
    opened = asyncio.create_task(ProbeShell.open(Target.of(pi1), 5.0))
    shell = await opened
    mute = pi3.model_copy(update={"address": "127.0.0.1", "port": port})
    hanging = asyncio.create_task(ProbeShell.open(Target.of(mute), 30.0))
    await asyncio.sleep(0.2)
    assert not hanging.done()
    poller = Poller([pi1, mute], interval=TICK, opening={"pi1": opened, "pi3": hanging})
    try:
        await poller.close()
        with contextlib.suppress(asyncio.CancelledError):
            await hanging
        assert hanging.cancelled()
        assert shell.conn.is_closed()
    finally:
        silent.close()


async def test_a_link_begun_before_the_poller_and_refused_shows_as_refused(
    sandbox: sb.SandboxStatus, tmp_path: Path
) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    pi3 = load_lab(sandbox.inventory).host("pi3").model_copy(update={"known_hosts": empty})
    opening = asyncio.create_task(ProbeShell.open(Target.of(pi3), 5.0))
    poller = Poller([pi3], interval=TICK, opening={"pi3": opening})
    try:
        async with running(poller):
            await wait_for(lambda: state(poller, "pi3").connection != "connecting", 20, "pi3 to be refused")
            st = state(poller, "pi3")
    finally:
        await poller.close()
    assert st.connection == "host key mismatch" and st.last_error is not None
    assert "unknown host key" in st.last_error and real_fingerprint(sandbox, "pi3") in st.last_error
