"""Known-good snapshots and the diff, against the sandbox's real sshd hosts, through `factory-tui health`.

A process is started, a known-good snapshot taken, the process stopped: the diff names what went. A lab
with a host that is not green (a warning, or unreachable) is never recorded as known-good.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from actions import sandbox as sb
from actions.health.known_good import KnownGoodStore
from actions.health.models import Snapshot
from actions.health.poller import Poller
from actions.journal import open_journal
from actions.lab import load_lab
from tests.conftest import cli_env

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "tui.cli"]
# This machine is shared and busy: load alone must not decide whether the lab is green.
CALM = "[health.thresholds]\nload_per_core_warn = 1000\nload_per_core_crit = 2000\n"
LISTENER = (
    "import socket, sys, time\n"
    "s = socket.socket(); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen()\n"
    "print('listening', flush=True)\n"
    "time.sleep(600)\n"
)


def fixed_port(address: str) -> int:
    """A free port below the kernel's random range, as a service's own port is (random ones are left
    out of fingerprints)."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.sample(range(max(1024, low - 8000), low), 200):
        with socket.socket() as s:
            try:
                s.bind((address, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the random range")


def health(sandbox: sb.SandboxStatus, tmp_path: Path, *args: str, inventory: Path | None = None,
           extra: str = "") -> subprocess.CompletedProcess[str]:
    assert sandbox.settings is not None
    config = tmp_path / "config.toml"
    config.write_text(CALM + extra)
    env = cli_env(sandbox.settings)
    # Each test its own journal; the operator's name is what the journal records as who.
    env["FACTORY_STATE_DIR"] = str(tmp_path / "state")
    env["FACTORY_OPERATOR"] = "alice"
    return subprocess.run(
        [*CLI, "--config", str(config), "health", *args, "-i", str(inventory or sandbox.inventory)],
        capture_output=True, text=True, timeout=180, env=env,
    )


def diff_doc(proc: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_a_stopped_process_is_named_by_the_diff_and_can_be_accepted(
    sandbox: sb.SandboxStatus, tmp_path: Path
) -> None:
    port = fixed_port("127.0.1.2")
    listener = subprocess.Popen([sys.executable, "-c", LISTENER, "127.0.1.2", str(port)],
                                stdout=subprocess.PIPE, text=True)
    try:
        assert listener.stdout is not None and listener.stdout.readline().strip() == "listening"
        recorded = health(sandbox, tmp_path, "--record")
        assert recorded.returncode == 0, recorded.stderr
        assert "known-good snapshot" in recorded.stdout and "by alice" in recorded.stdout
        before = diff_doc(health(sandbox, tmp_path, "--diff", "--json"))
        assert before["known_good"]["hosts"] == ["pi1", "pi2", "pi3"]
        assert not [c for c in before["changes"] if str(port) in c["text"]]
    finally:
        listener.kill()
        listener.wait()
    proc = health(sandbox, tmp_path, "--diff", "--json")
    after = diff_doc(proc)
    gone = [c for c in after["changes"] if c["item"] == f"listening 127.0.1.2:{port}"]
    # One namespace for the three sandbox hosts: each of them saw the listener go.
    assert [c["text"] for c in gone] == [
        f"{h}: nothing listens on 127.0.1.2:{port} any more" for h in ("pi1", "pi2", "pi3")
    ]
    assert all(c["kind"] == "gone" and c["accepted_by"] is None for c in gone)
    assert proc.returncode == 1 and after["unexplained"] >= 3

    unknown = health(sandbox, tmp_path, "--accept", "pi9|no such thing|")
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert "not an unexplained difference now: pi9|no such thing|" in unknown.stderr
    key = next(c["key"] for c in gone if c["host"] == "pi2")
    accepted = health(sandbox, tmp_path, "--accept", key, "--note", "test listener stopped", "--json")
    doc = diff_doc(accepted)
    assert [c["accepted_by"] for c in doc["changes"] if c["key"] == key] == ["alice"]
    journal = open_journal(tmp_path / "state")
    try:
        store = KnownGoodStore(journal)
        kg = store.latest("sandbox")
        assert kg is not None
        acc = store.accepted(kg.id)
        assert [(a.key, a.operator, a.note) for a in acc] == [(key, "alice", "test listener stopped")]
    finally:
        journal.close()


def test_a_lab_with_a_warning_is_never_known_good(sandbox: sb.SandboxStatus, tmp_path: Path) -> None:
    proc = health(sandbox, tmp_path, "--record", extra="disk_used_warn_pct = 1\ndisk_used_crit_pct = 99.9\n")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "no known-good snapshot taken: not every host is green: pi1: warn (disk / " in proc.stderr
    journal = open_journal(tmp_path / "state")
    try:
        assert KnownGoodStore(journal).latest("sandbox") is None
    finally:
        journal.close()
    diff = health(sandbox, tmp_path, "--diff")
    assert diff.returncode == 1 and "no known-good snapshot yet" in diff.stdout
    accept = health(sandbox, tmp_path, "--accept", "pi2|listening 0.0.0.0:22|")
    assert accept.returncode == 1 and "Traceback" not in accept.stderr
    assert accept.stderr.strip().endswith("no known-good snapshot yet: nothing to accept")


def test_an_unreachable_host_keeps_the_lab_from_being_known_good(
    sandbox: sb.SandboxStatus, tmp_path: Path
) -> None:
    inv = yaml.safe_load(sandbox.inventory.read_text())
    with socket.socket() as closed:
        closed.bind(("127.0.1.3", 0))
        inv["all"]["hosts"]["pi3"]["ansible_port"] = closed.getsockname()[1]
        broken = tmp_path / "inventory.yml"
        broken.write_text(yaml.safe_dump(inv))
        proc = health(sandbox, tmp_path, "--record", inventory=broken)
    assert proc.returncode == 1
    assert "pi3: critical (unreachable" in proc.stderr and "pi1:" not in proc.stderr
    journal = open_journal(tmp_path / "state")
    try:
        assert KnownGoodStore(journal).latest("sandbox") is None
    finally:
        journal.close()


async def test_fingerprints_ride_on_the_same_shell_when_due_or_asked(sandbox: sb.SandboxStatus) -> None:
    """A new connection's readings are published first, then its fingerprint, read at once on the same shell;
    later ticks carry it over until it is asked for again (the known-good key, `r` on a host's detail
    screen) or due, and no new session is opened for it."""
    poller = Poller(list(load_lab(sandbox.inventory).hosts), interval=0.5, fingerprint_every=3600)
    seen: dict[str, list[bool]] = {}  # per host, from each snapshot once it is up: whether it had a fingerprint

    def listen(snap: Snapshot) -> None:
        for h in snap.hosts:
            if h.reading is not None:
                seen.setdefault(h.name, []).append(h.reading.fingerprint is not None)

    poller.listeners.append(listen)
    try:
        first = await poller.once()
        assert {name: (marks[0], marks[-1]) for name, marks in seen.items()} == {
            name: (False, True) for name in ("pi1", "pi2", "pi3")}
        conns = {ln.host.name: ln.shell.conn for ln in poller.links if ln.shell}
        printed = {h.name: h.reading.fingerprint.taken_at for h in first.hosts if h.reading and h.reading.fingerprint}
        assert sorted(printed) == ["pi1", "pi2", "pi3"]
        await poller.tick()
        carried = poller.snapshot()
        assert all(h.reading and h.reading.taken_at > printed[h.name] for h in carried.hosts)
        assert {h.name: h.reading.fingerprint.taken_at for h in carried.hosts  # type: ignore[union-attr]
                if h.reading} == printed
        poller.request_fingerprint()
        await poller.tick()
        again = poller.snapshot()
        assert all(h.reading and h.reading.fingerprint and h.reading.fingerprint.taken_at > printed[h.name]
                   for h in again.hosts)
        assert {ln.host.name: ln.shell.conn for ln in poller.links if ln.shell} == conns
    finally:
        await poller.close()


async def test_once_without_fingerprints_reads_none(sandbox: sb.SandboxStatus) -> None:
    """`health --once` shows no fingerprint, so it reads none: every host's reading, no fingerprint."""
    poller = Poller(list(load_lab(sandbox.inventory).hosts), interval=0.5)
    try:
        snap = await poller.once(fingerprint=False)
    finally:
        await poller.close()
    assert [(h.connection, h.reading is not None and h.reading.load is not None, h.reading and h.reading.fingerprint)
            for h in snap.hosts] == [("up", True, None)] * 3
