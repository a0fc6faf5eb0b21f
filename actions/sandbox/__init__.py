"""The sandbox: a safe rehearsal lab of real parts on this one machine.

Three OpenSSH servers stand for pi1..pi3 (127.0.1.1-3 on Linux, 127.0.0.1 elsewhere; ports
``ssh_port_base`` + 0..2), a sealed OpenBao stands for Vault, a PostgreSQL server for pi2's database, and a
generated inventory with the real inventory's groups points at them. Everything lives under
``<state_dir>/sandbox``; `up` is idempotent (it starts only what is not running), `down` stops by pid.
A failed `up` stops what it started, so nothing half-started is left running.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from actions.config import Settings
from actions.locks import FileLock, LockBusy
from actions.procs import alive as pid_alive
from actions.sandbox import account as acct
from actions.sandbox import openbao, postgres, sshd
from actions.sandbox.inventory import SandboxHost, plan_hosts, write_inventory
from actions.sandbox.known_hosts import merge_known_hosts
from actions.sandbox.procs import port_free, port_open, stop_pid, stop_tree, tail, wait_port
from actions.sandbox.state_file import read_state, write_state

Log = Callable[[str], None]

__all__ = ["SandboxError", "SandboxHost", "SandboxStatus", "down", "status", "up"]


class SandboxError(Exception):
    """The sandbox cannot start or stop; one readable line."""


class Part(BaseModel):
    """One running part of the sandbox: an sshd, OpenBao or PostgreSQL, where it listens and whether it is up."""
    name: str
    kind: Literal["sshd", "openbao", "postgres"]
    address: str
    port: int
    pid: int | None = None
    up: bool = False


class SandboxStatus(BaseModel):
    """What the sandbox is made of and whether each part is up right now."""

    model_config = {"arbitrary_types_allowed": True}

    parts: list[Part]
    hosts: list[SandboxHost]
    inventory: Path
    key_file: Path
    known_hosts: Path
    user: str
    vault_addr: str
    postgres_host: str = "127.0.0.1"
    postgres_port: int
    settings: Settings | None = Field(default=None, exclude=True)

    @property
    def all_up(self) -> bool:
        """Every part is up."""
        return bool(self.parts) and all(p.up for p in self.parts)

    def part(self, name: str) -> Part:
        """The part ``name``."""
        return next(p for p in self.parts if p.name == name)

    def to_json(self) -> dict[str, Any]:
        """The status as a JSON document, for ``--json``."""
        doc = self.model_dump(mode="json", exclude={"settings"})
        doc["all_up"] = self.all_up
        return doc


def _dir(settings: Settings) -> Path:
    return settings.sandbox_dir


def _state_file(settings: Settings) -> Path:
    return _dir(settings) / "sandbox.json"


def _read_state(settings: Settings) -> dict[str, Any]:
    return read_state(_state_file(settings))


def _write_state(settings: Settings, data: dict[str, Any]) -> None:
    write_state(_state_file(settings), data)


def _layout(settings: Settings) -> tuple[list[SandboxHost], list[Part]]:
    cfg = settings.sandbox
    hosts = plan_hosts(cfg.ssh_port_base, linux=sys.platform.startswith("linux"))
    parts = [Part(name=h.name, kind="sshd", address=h.address, port=h.port) for h in hosts]
    parts.append(Part(name="openbao", kind="openbao", address="127.0.0.1", port=cfg.vault_port))
    parts.append(Part(name="postgres", kind="postgres", address="127.0.0.1", port=cfg.postgres_port))
    return hosts, parts


def status(settings: Settings) -> SandboxStatus:
    """Read the recorded pids and check each is alive and answering on its port."""
    hosts, parts = _layout(settings)
    recorded = _read_state(settings)
    pids = recorded.get("pids", {})
    for part in parts:
        pid = pids.get(part.name)
        part.pid = pid if pid_alive(pid) else None
        part.up = part.pid is not None and port_open(part.address, part.port)
    d = _dir(settings)
    return SandboxStatus(
        parts=parts,
        hosts=hosts,
        inventory=d / "inventory.yml",
        key_file=d / "id_ed25519",
        known_hosts=d / "known_hosts",
        user=recorded.get("user", settings.sandbox.account),
        vault_addr=f"http://127.0.0.1:{settings.sandbox.vault_port}",
        postgres_port=settings.sandbox.postgres_port,
        settings=settings,
    )


def up(settings: Settings, log: Log | None = None) -> SandboxStatus:
    """Start whatever part is not running; return the status. Raises :class:`SandboxError`."""
    say = log or (lambda _msg: None)
    d = _dir(settings)
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = FileLock(d / ".lock", "sandbox up")
    try:
        lock.acquire()
    except LockBusy:
        raise SandboxError(f"another `sandbox up` or `down` is running on {d}") from None
    started: list[subprocess.Popen[bytes]] = []
    try:
        return _up_locked(settings, say, started)
    except (acct.AccountError, sshd.SshdError, openbao.OpenBaoError, postgres.PostgresError) as exc:
        _stop_started(started)
        raise SandboxError(str(exc)) from None
    except OSError as exc:
        _stop_started(started)
        raise SandboxError(f"cannot start the sandbox: {exc.strerror or exc} ({exc.filename or ''})") from None
    except BaseException:
        # A SandboxError, and also Ctrl-C while the parts come up (initdb takes seconds): what this call
        # started must not outlive it, unrecorded.
        _stop_started(started)
        raise
    finally:
        lock.release()


def _stop_started(started: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(started):
        stop_pid(proc.pid, signal.SIGINT if "postgres" in str(proc.args) else signal.SIGTERM)
        proc.poll()


def _up_locked(settings: Settings, say: Log, started: list[subprocess.Popen[bytes]]) -> SandboxStatus:
    t0 = time.monotonic()
    d = _dir(settings)
    # Find every binary before starting anything, so a missing one leaves nothing running.
    sshd_bin = sshd.find_sshd(settings.sandbox.sshd_binary)
    bao_bin = openbao.find_bao()
    pg_bindir = postgres.find_bindir()

    account = acct.ensure_account(settings.sandbox.account, d)
    acct_dir = acct.prepare_dir(account)
    recorded = _read_state(settings).get("pids", {})
    pg_alive = pid_alive(recorded.get("postgres"))
    # initdb is the slowest part: start it first and let it run while the rest comes up.
    initdb = None if pg_alive else postgres.start_initdb(pg_bindir, acct_dir / "pgdata", account, d / "initdb.log")
    if initdb is not None:
        started.append(initdb)

    current = status(settings)
    hosts = current.hosts
    pids: dict[str, int] = {p.name: p.pid for p in current.parts if p.up and p.pid}
    for part in current.parts:
        if part.name not in pids and not port_free(part.address, part.port):
            raise SandboxError(
                f"{part.name}: {part.address}:{part.port} is taken by something else; "
                f"free it or change sandbox ports in the config"
            )

    client_pub = sshd.ensure_key(d / "id_ed25519")
    authorized = acct_dir / "authorized_keys"
    authorized.write_text(client_pub + "\n")
    authorized.chmod(0o600)
    account.chown(authorized)

    waiting: list[tuple[Part, subprocess.Popen[bytes], Path]] = []
    known: dict[str, str] = {}
    for host in hosts:
        host_pub = sshd.ensure_key(d / f"ssh_host_{host.name}_ed25519")
        line = sshd.known_hosts_line(host.address, host.port, host_pub)
        known[line.split(" ", 1)[0]] = line
        if host.name in pids:
            continue
        conf = d / f"sshd_{host.name}.conf"
        conf.write_text(sshd.config_text(
            address=host.address, port=host.port, host_key=d / f"ssh_host_{host.name}_ed25519",
            pid_file=d / f"sshd_{host.name}.pid", authorized_keys=authorized, user=account.user,
            strict_modes=account.as_root,
        ))
        proc = sshd.start(sshd_bin, conf, d / f"sshd_{host.name}.log")
        started.append(proc)
        waiting.append((current.part(host.name), proc, d / f"sshd_{host.name}.log"))
    merge_known_hosts(d / "known_hosts", known)

    vault = current.part("openbao")
    if "openbao" not in pids:
        data = d / "openbao" / "data"
        try:
            data.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise SandboxError(f"OpenBao: cannot use {data} for its storage: {exc.strerror}") from None
        conf = d / "openbao" / "config.hcl"
        conf.write_text(openbao.config_text(data, vault.address, vault.port, _cluster_port(vault.port)))
        proc = openbao.start(bao_bin, conf, d / "openbao" / "server.log")
        started.append(proc)
        waiting.append((vault, proc, d / "openbao" / "server.log"))

    pg = current.part("postgres")
    if "postgres" not in pids:
        postgres.finish_initdb(initdb, d / "initdb.log")
        proc = postgres.start(pg_bindir, acct_dir / "pgdata", pg.address, pg.port, account, d / "postgres.log")
        started.append(proc)
        waiting.append((pg, proc, d / "postgres.log"))

    for part, proc, log_file in waiting:
        if not wait_port(part.address, part.port, 30, alive=proc.pid):
            raise SandboxError(f"{part.name} did not start: {tail(log_file)}")
        pids[part.name] = proc.pid
        say(f"started {part.name} ({part.kind}) on {part.address}:{part.port} (pid {proc.pid})")

    write_inventory(
        d / "inventory.yml", hosts=hosts, user=account.user, key_file=d / "id_ed25519",
        known_hosts=d / "known_hosts", vault_addr=f"http://{vault.address}:{vault.port}",
        postgres_host=pg.address, postgres_port=pg.port,
    )
    _write_state(settings, {"pids": pids, "user": account.user, "account_dir": str(acct_dir)})
    say(f"sandbox up in {time.monotonic() - t0:.1f}s; inventory {d / 'inventory.yml'}")
    return status(settings)


def _cluster_port(port: int) -> int:
    return port + 1 if port < 65535 else port - 1


def down(settings: Settings, purge: bool = False, log: Log | None = None) -> SandboxStatus:
    """Stop every recorded part by pid; with ``purge`` also delete the sandbox's data and keys."""
    say = log or (lambda _msg: None)
    d = _dir(settings)
    if purge and settings.rehearsal_dir.exists():
        # The rehearsal hosts' disks live under the sandbox's directory: they go down before it is deleted.
        from actions import rehearsal

        try:
            rehearsal.down(settings, purge=True, log=say)
        except rehearsal.RehearsalError as exc:
            raise SandboxError(str(exc)) from None
    recorded = _read_state(settings)
    for name, pid in recorded.get("pids", {}).items():
        # PostgreSQL shuts down cleanly and fast on SIGINT; the others on SIGTERM.
        sig = signal.SIGINT if name == "postgres" else signal.SIGTERM
        if pid_alive(pid) and stop_tree(pid, sig):
            say(f"stopped {name} (pid {pid})")
        elif pid_alive(pid):
            raise SandboxError(f"{name} (pid {pid}) did not stop")
    if recorded:
        recorded["pids"] = {}
        _write_state(settings, recorded)
    if purge:
        account_dir = recorded.get("account_dir")
        if account_dir and Path(account_dir).is_dir() and "sandboxes" in Path(account_dir).parts:
            shutil.rmtree(account_dir, ignore_errors=True)
        shutil.rmtree(d, ignore_errors=True)
        say(f"purged {d}")
    return status(settings)
