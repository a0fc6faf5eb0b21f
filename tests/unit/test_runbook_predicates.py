"""Predicates over real health models: each answers true, false or unknown, with what it reads now."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from actions.config import Settings, load_settings
from actions.health.models import Container, HostState, Node, Reading, Service, Snapshot
from actions.health.parse import parse_throttled
from actions.lab import Host, Lab
from actions.runbooks.predicates import PREDICATES, Check, Live

NOW = time.time()
LAB = Lab(
    name="t", inventory=Path("/x"), hosts=[Host(name=n, address=n) for n in ("pi1", "pi2", "pi3")],
    groups={"k3s_server": ["pi1"], "docker_hosts": ["pi2"]},
)


def state(name: str, connection: str = "up", **reading: object) -> HostState:
    # Read "now", so a slow run never makes the reading stale before the check looks at it.
    r = Reading(taken_at=time.time(), rtt_ms=1.0, probe_ms=2.0, **reading) if connection == "up" else None  # type: ignore[arg-type]
    return HostState(name=name, address=name, port=22, connection=connection, since=NOW - 30, reading=r)  # type: ignore[arg-type]


def check(name: str, settings: Settings, hosts: list[HostState], vault: object = None, **args: object) -> Check:
    live = Live(settings=settings, lab=LAB, snapshot=Snapshot(taken_at=NOW, interval=2.0, hosts=hosts), vault=vault)  # type: ignore[arg-type]
    return asyncio.run(PREDICATES[name](live, dict(args)))


def settings() -> Settings:
    return load_settings(None, state_dir=Path("/tmp/unused"))


def test_reachability_names_the_host_and_since_when() -> None:
    s = settings()
    assert check("all_hosts_reachable", s, [state("pi1"), state("pi2")]).ok is True
    c = check("all_hosts_reachable", s, [state("pi1"), state("pi2", "unreachable")])
    assert c.ok is False and c.reading.startswith("pi2 unreachable since ")
    stale = state("pi3")
    assert stale.reading is not None
    stale.reading.taken_at = time.time() - 60
    assert check("all_hosts_reachable", s, [stale]).reading == "pi3 stale"


def test_no_snapshot_is_unknown_not_false() -> None:
    c = asyncio.run(PREDICATES["all_hosts_reachable"](Live(settings=settings()), {}))
    assert c.ok is None and "no health reading" in c.reading


def test_clock_synced_judges_by_offset_when_ntp_is_unknown() -> None:
    s = settings()
    assert check("clock_synced", s, [state("pi1", clock_offset_s=0.3)]).ok is True
    assert check("clock_synced", s, [state("pi1", clock_offset_s=3.5)]).reading == "pi1 off by +3.5s"
    assert check("clock_synced", s, [state("pi1", ntp_synced=False, clock_offset_s=0.1)]).ok is False
    assert check("clock_synced", s, [state("pi1")]).ok is None


def test_undervoltage_now_fails_and_since_boot_passes() -> None:
    s = settings()
    now = parse_throttled("throttled=0x50005")
    since = parse_throttled("throttled=0x50000")
    c = check("no_undervoltage_now", s, [state("pi1", throttle=now), state("pi2", throttle=since)])
    assert c.ok is False and c.reading == "under-voltage NOW on pi1"
    assert check("no_undervoltage_now", s, [state("pi2", throttle=since)]).ok is True


def test_k3s_service_and_nodes() -> None:
    s = settings()
    up = [Service(name="k3s", active="active")]
    agent_down = [Service(name="k3s-agent", active="failed")]
    c = check("k3s_service_active", s, [state("pi1", services=up), state("pi2", services=agent_down)])
    assert c.ok is False and c.reading == "pi2: k3s-agent failed"
    nodes = [Node(name="pi1", ready=True), Node(name="pi2", ready=True), Node(name="pi3", ready=False)]
    c = check("k3s_nodes_ready", s, [state("pi1", nodes=nodes), state("pi2"), state("pi3")])
    assert c.ok is False and c.reading == "not Ready: pi3"


def test_container_running() -> None:
    s = settings()
    cs = [Container(name="factory-postgres-1", state="running"), Container(name="gitea", state="exited")]
    assert check("container_running", s, [state("pi2", containers=cs)], host="pi2", container="postgres").ok
    c = check("container_running", s, [state("pi2", containers=cs)], host="pi2", container="gitea")
    assert c.ok is False and c.reading == "pi2: gitea exited"


class V:
    def __init__(self, initialized: bool, sealed: bool, error: str | None = None) -> None:
        self.initialized, self.sealed, self.error = initialized, sealed, error


def test_vault_predicates() -> None:
    s = settings()
    assert check("vault_sealed", s, [], vault=V(True, True)).ok is True
    assert check("vault_unsealed", s, [], vault=V(True, True)).reading == "Vault sealed"
    assert check("vault_not_initialized", s, [], vault=V(False, True)).ok is True
    c = check("vault_reachable", s, [], vault=V(False, True, error="connection refused"))
    assert c.ok is False and "connection refused" in c.reading


def test_argument_checks() -> None:
    p = PREDICATES["container_running"]
    assert p.check_args({"host": "pi2"}) == "missing argument(s) container"
    assert p.check_args({"host": "pi2", "container": "x", "colour": 1}) == "unknown argument(s) colour"


def ssh_check(name: str, answers: dict[str, str], **args: object) -> tuple[Check, list[tuple[str, str]]]:
    """Run an SSH-backed predicate against scripted per-host answers (the commands run are returned)."""
    ran: list[tuple[str, str]] = []
    lab = Lab(name="t", inventory=Path("/x"), hosts=[Host(name=n, address=n) for n in answers],
              groups={"raspberries": list(answers)})

    async def ssh(host: str, command: str) -> tuple[int, str]:
        ran.append((host, command))
        return 0, answers[host]

    live = Live(settings=settings(), lab=lab, ssh=ssh)
    return asyncio.run(PREDICATES[name](live, dict(args))), ran


def test_resolver_switched_over_reads_system_dns_s_mode() -> None:
    c, ran = ssh_check("resolver_switched_over", {"pi1": "pihole\n", "pi2": "bootstrap\n", "pi3": "unmanaged\n"})
    assert c.ok is False and c.reading == "pi2 bootstrap; pi3 unmanaged"
    assert [h for h, _ in ran] == ["pi1", "pi2", "pi3"] and "/etc/resolv.conf" in ran[0][1]
    c, _ = ssh_check("resolver_switched_over", {"pi1": "pihole\n", "pi2": "pihole\n"})
    assert c.ok is True and c.reading == "Pi-hole first on pi1, pi2"


def test_ca_root_trusted_names_the_host_without_it() -> None:
    c, ran = ssh_check("ca_root_trusted", {"pi1": "trusted\n", "pi2": "missing /x.crt\n"}, path="/x.crt")
    assert c.ok is False and c.reading == "pi2 missing /x.crt"
    assert "[ -s /x.crt ]" in ran[0][1]


def test_the_mode_command_reads_what_system_dns_writes(tmp_path: Path) -> None:
    # The sed of resolver_switched_over, run for real on the two headers the template writes.
    import subprocess

    from actions.config import REPO_ROOT

    _, ran = ssh_check("resolver_switched_over", {"pi1": "pihole\n"})
    command = ran[0][1].replace("/etc/resolv.conf", str(tmp_path / "resolv.conf"))
    template = REPO_ROOT / "ansible/roles/system_dns/templates/resolv.conf.j2"
    header = next(ln for ln in template.read_text().splitlines() if ln.startswith("# mode:"))
    for mode, suffix in (("pihole", ""), ("bootstrap", " (Pi-hole did not answer; the next run switches over)")):
        line = header.replace("{{ system_dns_mode }}", mode)
        line = line[: line.index("{{")] + suffix if "{{" in line else line
        (tmp_path / "resolv.conf").write_text(f"# Ansible managed\n{line}\nnameserver 1.1.1.1\n")
        assert subprocess.run(["sh", "-c", command], capture_output=True, text=True).stdout.strip() == mode
    (tmp_path / "resolv.conf").write_text("nameserver 1.1.1.1\n")
    assert subprocess.run(["sh", "-c", command], capture_output=True, text=True).stdout.strip() == "unmanaged"
