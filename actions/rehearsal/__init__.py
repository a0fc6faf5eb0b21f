"""Rehearsal hosts: pi1..pi3 as root Debian 12 systems with systemd, for real playbook runs on this machine.

The sandbox's hosts log in unprivileged, so playbooks can only check there. A rehearsal lab gives each Pi
a system of its own (see :mod:`actions.rehearsal.host`): root over SSH with the sandbox's key, its own root
filesystem (copy-on-write over one cached base image, :mod:`actions.rehearsal.image`), hostname, network
namespace, /etc, package database and systemd units. Whatever a playbook does as root inside stays inside.
Its inventory (``-i rehearsal``) has the real inventory's groups.

Linux only, as root; on macOS `up` explains the Mac path (:mod:`actions.rehearsal.macos`). Everything lives
under ``<state dir>/sandbox/rehearsal``; ``down`` stops every process, removes every cgroup and network
device, and keeps the hosts' disks for the next ``up`` unless ``purge``.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from actions.config import Settings
from actions.locks import FileLock, LockBusy
from actions.procs import alive as pid_alive
from actions.rehearsal import cgroups, host, image, macos, net, preflight
from actions.rehearsal.converge import secret_host_vars
from actions.sandbox import sshd
from actions.sandbox.inventory import plan_hosts, write_inventory
from actions.sandbox.known_hosts import merge_known_hosts
from actions.sandbox.procs import port_open, stop_pid, tail, wait_port
from actions.sandbox.state_file import read_state, write_state

Log = Callable[[str], None]
# What the rehearsal lab's inventory says beyond the sandbox's: a host cannot come back from a reboot
# (its systemd ending ends it), so roles report a pending reboot instead.
# Its ssh connections are shared per host for 30 s (the collection's ansible.cfg turns that off so that a
# cancelled run leaves nothing behind on a Pi; a rehearsal host's processes all end with `down`): without it
# every task pays several handshakes, which made a converge several times slower.
REHEARSAL_VARS: dict[str, object] = {
    "system_base_reboot_allowed": False,
    "ansible_ssh_args": "-o ControlMaster=auto -o ControlPersist=30s -o ServerAliveInterval=15",
    # The off-site copy goes to a restic repository in a folder of the backup host itself: the bucket
    # is out of reach, and the copy, its timer and its status file converge all the same.
    "backup_offsite_repository": "/var/lib/factory-rehearsal/offsite-restic",
    # Its hosts are real backup hosts (the sandbox's are not): the health screen shows pi2's dumps and the
    # off-site copy's age.
    "factory_backups_watched": True,
}

__all__ = ["RehearsalError", "RehearsalHost", "RehearsalStatus", "down", "status", "up"]


class RehearsalError(Exception):
    """The rehearsal lab cannot start or stop; one readable line."""


class RehearsalHost(BaseModel):
    """One host of the lab, as `status` sees it."""

    name: str
    address: str
    groups: list[str]
    pid: int | None = None
    up: bool = False
    dir: Path


class RehearsalStatus(BaseModel):
    """What the rehearsal lab is made of and whether each part is up right now."""

    hosts: list[RehearsalHost]
    slot: int | None
    bridge: str | None
    proxy_pid: int | None
    proxy_up: bool
    inventory: Path
    key_file: Path
    known_hosts: Path
    image: Path
    image_ready: bool
    artifact_dir: Path
    devices: list[str]

    @property
    def all_up(self) -> bool:
        """Every host and the proxy are up."""
        return bool(self.hosts) and all(h.up for h in self.hosts) and self.proxy_up

    @property
    def any_up(self) -> bool:
        """Something of the lab still runs."""
        return any(h.up for h in self.hosts) or self.proxy_up

    def to_json(self) -> dict[str, Any]:
        """The status as a JSON document, for ``--json``."""
        doc = self.model_dump(mode="json")
        doc["all_up"] = self.all_up
        return doc


def _state_file(settings: Settings) -> Path:
    return settings.rehearsal_dir / "rehearsal.json"


def _read_state(settings: Settings) -> dict[str, Any]:
    return read_state(_state_file(settings))


def _write_state(settings: Settings, data: dict[str, Any]) -> None:
    write_state(_state_file(settings), data)


def _specs(settings: Settings, slot: int) -> list[host.HostSpec]:
    planned = plan_hosts(22, linux=True)
    return [
        host.HostSpec(name=p.name, index=i, slot=slot, dir=settings.rehearsal_dir / "hosts" / p.name, groups=p.groups)
        for i, p in enumerate(planned)
    ]


def status(settings: Settings) -> RehearsalStatus:
    """Read the recorded pids and check each host's systemd is alive and its sshd answering."""
    state = _read_state(settings)
    slot = state.get("slot")
    pids = state.get("pids", {})
    hosts: list[RehearsalHost] = []
    if isinstance(slot, int):
        for spec in _specs(settings, slot):
            pid = pids.get(spec.name)
            up_now = host.running(pid) and port_open(spec.address, 22)
            hosts.append(RehearsalHost(name=spec.name, address=spec.address, groups=spec.groups,
                                       pid=pid if host.running(pid) else None, up=up_now, dir=spec.dir))
    proxy_pid = state.get("proxy_pid")
    return RehearsalStatus(
        hosts=hosts,
        slot=slot if isinstance(slot, int) else None,
        bridge=net.bridge_name(slot) if isinstance(slot, int) else None,
        proxy_pid=proxy_pid if pid_alive(proxy_pid) else None,
        proxy_up=pid_alive(proxy_pid) and isinstance(slot, int) and port_open(net.gateway(slot), 3142),
        inventory=settings.rehearsal_dir / "inventory.yml",
        key_file=settings.sandbox_dir / "id_ed25519",
        known_hosts=settings.sandbox_dir / "known_hosts",
        image=image.image_path(settings.rehearsal.image_dir),
        image_ready=image.is_ready(settings.rehearsal.image_dir),
        artifact_dir=settings.artifact_dir,
        devices=net.lab_devices(slot) if isinstance(slot, int) and sys.platform.startswith("linux") else [],
    )


def up(settings: Settings, log: Log | None = None) -> RehearsalStatus:
    """Start the hosts that are not running (building the base image first if needed).

    Raises :class:`RehearsalError`; a failed `up` stops whatever it started, so nothing is left half-up.
    """
    say = log or (lambda _msg: None)
    if sys.platform == "darwin":
        return _up_mac(settings, say)
    if not sys.platform.startswith("linux"):
        raise RehearsalError(macos.explain())
    d = settings.rehearsal_dir
    try:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise RehearsalError(f"cannot use {d}: {exc.strerror}") from None
    lock = FileLock(d / ".lock", "rehearsal up")
    try:
        lock.acquire()
    except LockBusy:
        raise RehearsalError(f"another `sandbox up --rehearsal` or `down` is running on {d}") from None
    started: list[tuple[host.HostSpec, int]] = []
    made: dict[str, Any] = {}
    try:
        return _up_locked(settings, say, started, made)
    except (preflight.PreflightError, image.ImageError) as exc:
        _undo(settings, started, made)
        raise RehearsalError(str(exc)) from None
    except (host.HostError, net.NetError, cgroups.CgroupError, RehearsalError) as exc:
        _undo(settings, started, made)
        raise RehearsalError(str(exc)) from None
    except OSError as exc:
        _undo(settings, started, made)
        raise RehearsalError(f"cannot start the rehearsal lab: {exc.strerror or exc} ({exc.filename or ''})") from None
    except BaseException:
        _undo(settings, started, made)
        raise
    finally:
        lock.release()


def _up_locked(
    settings: Settings, say: Log, started: list[tuple[host.HostSpec, int]], made: dict[str, Any]
) -> RehearsalStatus:
    t0 = time.monotonic()
    cfg = settings.rehearsal
    preflight.check(cfg.image_dir, settings.rehearsal_dir, need_image=not image.is_ready(cfg.image_dir))
    lower = image.ensure(cfg.image_dir, cfg.mirror, say)

    state = _read_state(settings)
    slot = state.get("slot")
    # A slot kept from an earlier `up` may have gone to another lab while this one was down.
    ours_up = started_before(settings) or pid_alive(state.get("proxy_pid"))
    if not isinstance(slot, int) or (net.device_exists(net.bridge_name(slot)) and not ours_up):
        slot = net.free_slot(set())
        state["slot"] = slot
        _write_state(settings, state)
    if not net.device_exists(net.bridge_name(slot)):
        made["bridge"] = slot
    net.ensure_bridge(slot)

    pids: dict[str, int] = {k: v for k, v in state.get("pids", {}).items() if host.running(v)}
    proxy_pid = state.get("proxy_pid")
    if not pid_alive(proxy_pid):
        proxy_pid = _start_proxy(settings, slot, lower)
        made["proxy"] = proxy_pid

    sandbox_dir = settings.sandbox_dir
    client_pub = sshd.ensure_key(sandbox_dir / "id_ed25519")
    specs = _specs(settings, slot)
    peers = [f"{s.address} {s.name}" for s in specs]
    known: dict[str, str] = {}
    for spec in specs:
        key_path = settings.rehearsal_dir / f"ssh_host_{spec.name}_ed25519"
        known[spec.address] = sshd.known_hosts_line(spec.address, 22, sshd.ensure_key(key_path))
        if spec.name in pids:
            continue
        host.prepare(spec, client_pub=client_pub, host_key=key_path, hosts_lines=peers,
                     proxy=f"http://{net.gateway(slot)}:3142")
        unshare_pid, _ = host.start(spec, lower)
        started.append((spec, unshare_pid))
        pids[spec.name] = unshare_pid
        say(f"booting {spec.name} at {spec.address} (pid {unshare_pid})")
    merge_known_hosts(sandbox_dir / "known_hosts", known)

    deadline = time.monotonic() + cfg.boot_timeout
    for spec, unshare_pid in started:
        if not wait_port(spec.address, 22, max(1.0, deadline - time.monotonic()), alive=unshare_pid):
            raise RehearsalError(f"{spec.name} did not start sshd: {tail(spec.console_log)}")
        pid1 = host.systemd_pid(unshare_pid)
        state_now = host.wait_running(pid1, max(1.0, deadline - time.monotonic())) if pid1 else "gone"
        if state_now not in ("running", "degraded"):
            raise RehearsalError(f"{spec.name}: systemd is {state_now}; see {spec.console_log}")
        failed = host.failed_units(pid1) if pid1 and state_now == "degraded" else []
        note = f" (failed: {', '.join(failed)})" if failed else ""
        say(f"started {spec.name}: systemd {state_now}{note}, ssh root@{spec.address}")

    write_inventory(
        settings.rehearsal_dir / "inventory.yml",
        hosts=[_as_sandbox_host(s) for s in specs], user="root", key_file=sandbox_dir / "id_ed25519",
        known_hosts=sandbox_dir / "known_hosts", vault_addr=f"http://127.0.0.1:{settings.sandbox.vault_port}",
        postgres_host=specs[1].address if len(specs) > 1 else specs[0].address, postgres_port=5432,
        lab_name="rehearsal", extra_vars=REHEARSAL_VARS | {"factory_artifact_dir": str(settings.artifact_dir)},
        host_vars=dict(secret_host_vars(settings.ansible.playbook_dir)),
        header="# Generated by `factory-tui sandbox up --rehearsal`: the rehearsal lab. Edits are overwritten.\n",
    )
    settings.artifact_dir.mkdir(parents=True, exist_ok=True)
    state.update({"slot": slot, "pids": pids, "proxy_pid": proxy_pid})
    _write_state(settings, state)
    say(f"rehearsal lab up in {time.monotonic() - t0:.1f}s; inventory {settings.rehearsal_dir / 'inventory.yml'}")
    return status(settings)


def _as_sandbox_host(spec: host.HostSpec) -> Any:
    from actions.sandbox.inventory import SandboxHost

    return SandboxHost(name=spec.name, address=spec.address, port=22, groups=spec.groups)


def _start_proxy(settings: Settings, slot: int, lower: Path) -> int:
    allow = image.mirror_hosts(lower)
    if not allow:
        raise RehearsalError(f"the base image names no apt mirror in {lower}/etc/apt; rebuild it")
    log_file = settings.rehearsal_dir / "proxy.log"
    with log_file.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "actions.rehearsal.proxy", "--listen", net.gateway(slot), "--port", "3142",
             "--allow", ",".join(allow), "--cache", str(settings.rehearsal.image_dir / "debs")],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    if not wait_port(net.gateway(slot), 3142, 10, alive=proc.pid):
        stop_pid(proc.pid)
        raise RehearsalError(f"the lab's apt proxy did not start: {tail(log_file)}")
    return proc.pid


def _undo(settings: Settings, started: list[tuple[host.HostSpec, int]], made: dict[str, Any]) -> None:
    """Stop what a failed `up` started, newest first; leave what was running before alone."""
    for spec, pid in reversed(started):
        host.stop(spec, pid, timeout=5)
    if "proxy" in made:
        stop_pid(made["proxy"], signal.SIGTERM)
    if "bridge" in made and not started_before(settings):
        net.remove_bridge(made["bridge"])
    state = _read_state(settings)
    if state:
        state["pids"] = {k: v for k, v in state.get("pids", {}).items() if host.running(v)}
        if "proxy" in made:
            state["proxy_pid"] = None
        _write_state(settings, state)


def started_before(settings: Settings) -> bool:
    """Whether a host recorded from an earlier `up` is still running."""
    return any(host.running(pid) for pid in _read_state(settings).get("pids", {}).values())


def _up_mac(settings: Settings, say: Log) -> RehearsalStatus:
    """The Mac's path: the hosts as containers of Docker Desktop, colima or a podman machine."""
    tool = macos.engine()
    if tool is None:
        raise RehearsalError(macos.explain())
    d = settings.rehearsal_dir
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    client_pub = sshd.ensure_key(settings.sandbox_dir / "id_ed25519")
    planned = plan_hosts(macos.PORT_BASE, linux=False)
    known: dict[str, str] = {}
    try:
        say(f"building the rehearsal image with {tool} (once; the engine caches it)")
        macos.build(tool)
        for i, p in enumerate(planned):
            key_path = d / f"ssh_host_{p.name}_ed25519"
            line = sshd.known_hosts_line("127.0.0.1", macos.PORT_BASE + i, sshd.ensure_key(key_path))
            known[line.split(" ", 1)[0]] = line
            say(f"started {p.name} on {macos.start_host(tool, p.name, i, client_pub, key_path)}")
    except macos.MacError as exc:
        macos.stop_all(tool, [p.name for p in planned])
        raise RehearsalError(str(exc)) from None
    merge_known_hosts(settings.sandbox_dir / "known_hosts", known)
    write_inventory(
        d / "inventory.yml", hosts=planned, user="root", key_file=settings.sandbox_dir / "id_ed25519",
        known_hosts=settings.sandbox_dir / "known_hosts", vault_addr=f"http://127.0.0.1:{settings.sandbox.vault_port}",
        postgres_host="127.0.0.1", postgres_port=5432, lab_name="rehearsal",
        extra_vars=REHEARSAL_VARS | {"factory_artifact_dir": str(settings.artifact_dir)},
        host_vars=dict(secret_host_vars(settings.ansible.playbook_dir)),
    )
    _write_state(settings, {"engine": tool, "hosts": [p.name for p in planned]})
    return status(settings)


def down(settings: Settings, purge: bool = False, log: Log | None = None) -> RehearsalStatus:
    """Power every host off, stop the proxy, remove the bridge; ``purge`` also deletes the hosts' disks."""
    say = log or (lambda _msg: None)
    state = _read_state(settings)
    if sys.platform == "darwin" and state.get("engine"):
        macos.stop_all(str(state["engine"]), list(state.get("hosts", [])))
    slot = state.get("slot")
    if isinstance(slot, int) and sys.platform.startswith("linux"):
        pids = state.get("pids", {})
        for spec in _specs(settings, slot):
            pid = pids.get(spec.name)
            if host.running(pid) or cgroups.leftovers(spec.tag):
                host.stop(spec, pid)
                say(f"stopped {spec.name}")
        if pid_alive(state.get("proxy_pid")):
            stop_pid(state["proxy_pid"], signal.SIGTERM)
            say("stopped the apt proxy")
        if net.remove_bridge(slot):
            say(f"removed {net.bridge_name(slot)}")
        left = net.lab_devices(slot)
        if left:
            raise RehearsalError(f"network devices left behind: {', '.join(left)}")
    if state:
        state["pids"] = {}
        state["proxy_pid"] = None
        _write_state(settings, state)
    if purge and settings.rehearsal_dir.exists():
        shutil.rmtree(settings.rehearsal_dir, ignore_errors=True)
        say(f"purged {settings.rehearsal_dir}")
    return status(settings)
