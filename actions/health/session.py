"""One host's SSH link for the probe: an asyncssh connection and one long-lived remote shell on it.

The shell gets the probe's function definition once; each tick then costs one short line out and the
answer back, on the open channel (no new channel, no login shell, no rc files per tick).

Host keys are checked against ``known_hosts`` (the inventory's file when it names one, else what
``~/.ssh/config`` says, else ``~/.ssh/known_hosts``). An unknown or changed key raises
:class:`HostKeyRefused`, naming the host and the fingerprint the server offered.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import asyncssh

from actions.health.target import Target
from actions.remote import connect_kwargs

if TYPE_CHECKING:
    from actions.health.models import Reading

#: Start bash (fork-free clock readings) when the host has it, else sh, whatever the login shell is.
SHELL_COMMAND = "exec sh -c 'command -v bash >/dev/null 2>&1 && exec bash --noprofile --norc; exec sh'"
READY = "@@ready"
#: Seconds to connect and start the probe shell, unless the settings say otherwise.
CONNECT_TIMEOUT = 5.0
PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")


def probe_script() -> str:
    """The probe script sent to each host's shell."""
    return resources.files("actions.health").joinpath("probe.sh").read_text()


class HostKeyRefused(Exception):
    """The server's host key is not in known_hosts (``unknown``) or differs from it (``changed``)."""

    def __init__(self, host: str, kind: str, fingerprint: str | None, known_hosts: str) -> None:
        self.host = host
        self.kind = kind
        self.fingerprint = fingerprint
        fp = fingerprint or "(fingerprint unavailable)"
        if kind == "changed":
            text = f"{host}: host key mismatch: the server offers {fp}, which differs from {known_hosts}"
        elif kind == "unverifiable":
            text = f"{host}: host key checking is disabled by ssh config; refusing to connect ({fp})"
        else:
            text = f"{host}: unknown host key {fp}: not in {known_hosts}; refusing to connect"
        super().__init__(text)


class AuthRefused(Exception):
    """The server refused our keys."""


def _options(host: Target, connect_timeout: float) -> asyncssh.SSHClientConnectionOptions:
    kwargs = connect_kwargs(host, connect_timeout)
    kwargs["keepalive_interval"] = 0
    opts = asyncssh.SSHClientConnectionOptions(**kwargs)
    if opts.config.get("Ciphers") is None:
        # Without a Ciphers line in ssh config, prefer AES-GCM: asyncssh builds a new cipher context for
        # every chacha20-poly1305 packet, the largest client cost of a tick over many hosts.
        algs = [a.decode() for a in asyncssh.encryption.get_default_encryption_algs()]
        preferred = [a for a in PREFERRED_CIPHERS if a in algs]
        kwargs["encryption_algs"] = preferred + [a for a in algs if a not in preferred]
        opts = asyncssh.SSHClientConnectionOptions(**kwargs)
    return opts


def _known_hosts_label(value: object) -> str:
    if isinstance(value, (list, tuple)) and value:
        return ", ".join(str(v) for v in value)
    if isinstance(value, (str, Path)) and str(value):
        return str(value)
    return str(Path("~/.ssh/known_hosts").expanduser())


async def _refusal(host: Target, opts: asyncssh.SSHClientConnectionOptions) -> HostKeyRefused:
    """Work out, after asyncssh refused the key, whether it is unknown or changed, and its fingerprint."""
    fingerprint: str | None = None
    try:
        key = await asyncssh.get_server_host_key(host.address, host.port)
        if key is not None:
            fingerprint = key.get_fingerprint("sha256")
    except (OSError, asyncssh.Error):
        pass
    source: object = opts.known_hosts
    label = _known_hosts_label(source)
    kind = "unknown"
    # Only file names can be re-read here; other known_hosts forms asyncssh accepts are not ours to use.
    paths: list[object] = []
    if isinstance(source, (str, Path)):
        paths = [source]
    elif isinstance(source, (list, tuple)):
        paths = [p for p in source if isinstance(p, (str, Path))]
    for path in paths:
        try:
            known = asyncssh.read_known_hosts(str(Path(str(path)).expanduser()))
        except (OSError, ValueError, asyncssh.Error):
            continue
        port = host.port if host.port != 22 else None
        if known.match(host.address, host.address, port)[0]:
            kind = "changed"
            break
    return HostKeyRefused(host.name, kind, fingerprint, label)


class ProbeShell:
    """An open connection to one host with the probe loaded in a long-lived shell."""

    def __init__(self, target: Target, conn: asyncssh.SSHClientConnection,
                 proc: asyncssh.SSHClientProcess[str]):
        self.target = target
        self.conn = conn
        self.proc = proc
        self._seq = 0

    @classmethod
    async def open(cls, host: Target, connect_timeout: float) -> ProbeShell:
        """Connect to ``host`` (its host key checked against known_hosts) and start the long-lived probe shell.

        Nothing here needs pydantic: the poll process opens its links while the models still load.
        """
        flags = host.flags
        opts = _options(host, connect_timeout)
        if opts.known_hosts is None:
            raise await _refusal_disabled(host)
        try:
            conn = await asyncssh.connect(host.address, host.port, options=opts)
        except asyncssh.HostKeyNotVerifiable:
            raise await _refusal(host, opts) from None
        except asyncssh.PermissionDenied as exc:
            raise AuthRefused(f"{host.name}: authentication refused ({exc.reason})") from None
        try:
            proc = await conn.create_process(SHELL_COMMAND, encoding="utf-8", stderr=asyncssh.DEVNULL)
            backups = shlex.quote(flags.backup_root) if flags.backup_root else "''"
            offsite = shlex.quote(flags.offsite_status_file) if flags.offsite_status_file else "''"
            setup = (
                f"__docker={int(flags.docker)}\n__kube={int(flags.kube)}\n__backups={backups}\n"
                f"__offsite={offsite}\n"
                f"{probe_script()}\necho {READY}\n"
            )
            proc.stdin.write(setup)
            await asyncio.wait_for(proc.stdout.readuntil(READY + "\n"), connect_timeout)
        except BaseException:
            conn.abort()
            raise
        return cls(host, conn, proc)

    async def probe(self, mode: str, timeout: float, fingerprint: bool = False) -> Reading:
        """One round trip: the probe's answer parsed, or an exception when the host does not answer.

        ``fingerprint`` adds the host's fingerprint to the answer (see :mod:`actions.health.fingerprint`).
        """
        self._seq += 1
        marker = f"@@end {self._seq}\n"
        sent = time.time()
        self.proc.stdin.write(f"__fp {self._seq} {mode} {int(fingerprint)}\n")
        raw = await asyncio.wait_for(self.proc.stdout.readuntil(marker), timeout)
        received = time.time()
        # Imported here, not with the module: parsing builds pydantic models, which the link's opening
        # must not wait for (see open()).
        from actions.health.parse import parse_probe

        return parse_probe(raw, sent, received)

    def close(self) -> None:
        """Drop the connection."""
        self.conn.abort()


async def _refusal_disabled(host: Target) -> HostKeyRefused:
    fingerprint: str | None = None
    try:
        key = await asyncssh.get_server_host_key(host.address, host.port)
        fingerprint = key.get_fingerprint("sha256") if key is not None else None
    except (OSError, asyncssh.Error):
        pass
    return HostKeyRefused(host.name, "unverifiable", fingerprint, "ssh config")
