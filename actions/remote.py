"""Run a command on a lab host over SSH (asyncssh), as the runbook checks and `ssh_command` steps need.

Connections honour the inventory (address, port, user, key, known_hosts) and ~/.ssh/config; an unknown
host key is refused, never accepted. One connection per host is kept and reused.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import asyncssh

from actions.applog import logger

if TYPE_CHECKING:
    # Types only: the poll process opens its links with this module before pydantic has loaded.
    from actions.lab import Lab

_log = logger("remote")


class RemoteError(Exception):
    """The command could not be run on the host (unreachable, key refused, auth failed)."""


class SshAddress(Protocol):
    """What reaching a host over SSH reads of it: a lab's ``Host``, or the poll link's ``Target``."""

    @property
    def address(self) -> str:
        """Name or IP address to connect to."""

    @property
    def port(self) -> int:
        """SSH port."""

    @property
    def user(self) -> str | None:
        """Login user; ``None`` leaves it to ``~/.ssh/config``."""

    @property
    def key_file(self) -> Path | None:
        """Private key file, if the inventory names one."""

    @property
    def known_hosts(self) -> Path | None:
        """known_hosts file, if the inventory names one."""


def connect_kwargs(host: SshAddress, connect_timeout: float) -> dict[str, Any]:
    """asyncssh option values for ``host`` as the inventory describes it; ~/.ssh/config fills the rest."""
    kwargs: dict[str, Any] = {"host": host.address, "port": host.port, "connect_timeout": connect_timeout}
    if host.user:
        kwargs["username"] = host.user
    if host.key_file:
        kwargs["client_keys"] = [str(host.key_file)]
        # A passphrase-protected key file is left to the agent, which holds it unlocked.
        kwargs["ignore_encrypted"] = True
    if host.known_hosts:
        kwargs["known_hosts"] = str(host.known_hosts)
    return kwargs


def connect_options(host: SshAddress, connect_timeout: float) -> asyncssh.SSHClientConnectionOptions:
    """asyncssh's options for ``host``: its port, key, user and known_hosts."""
    return asyncssh.SSHClientConnectionOptions(**connect_kwargs(host, connect_timeout))


class RemoteRunner:
    """``await runner.run(host_name, command) -> (exit status, stdout+stderr)``."""

    def __init__(self, lab: Lab, connect_timeout: float = 5.0, command_timeout: float = 60.0) -> None:
        self.lab = lab
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout
        self._conns: dict[str, asyncssh.SSHClientConnection] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def _conn(self, name: str) -> asyncssh.SSHClientConnection:
        conn = self._conns.get(name)
        if conn is not None and not conn.is_closed():
            return conn
        host = self.lab.host(name)
        opts = connect_options(host, self.connect_timeout)
        if opts.known_hosts is None:
            raise RemoteError(f"{name}: host key checking is disabled by ssh config; refusing to connect")
        try:
            conn = await asyncssh.connect(host.address, host.port, options=opts)
        except asyncssh.HostKeyNotVerifiable as exc:
            raise RemoteError(f"{name}: host key refused ({exc.reason}); pin it in known_hosts first") from None
        except asyncssh.PermissionDenied as exc:
            raise RemoteError(f"{name}: authentication refused ({exc.reason})") from None
        except (TimeoutError, OSError, asyncssh.Error) as exc:
            raise RemoteError(f"{name}: unreachable ({exc or type(exc).__name__})") from None
        self._conns[name] = conn
        _log.info("connected: %s for commands (%s:%s)", name, host.address, host.port)
        return conn

    async def run(self, name: str, command: str) -> tuple[int, str]:
        """Run ``command`` on host ``name`` over its connection (made on first use); its exit status and output."""
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            conn = await self._conn(name)
            try:
                result = await asyncio.wait_for(
                    conn.run(command, check=False, stderr=asyncssh.STDOUT), self.command_timeout
                )
            except TimeoutError:
                raise RemoteError(f"{name}: `{command}` did not finish in {self.command_timeout:g}s") from None
            except (OSError, asyncssh.Error) as exc:
                self._conns.pop(name, None)
                _log.warning("disconnected: %s: connection lost (%s)", name, exc)
                raise RemoteError(f"{name}: connection lost ({exc})") from None
        out = result.stdout if isinstance(result.stdout, str) else (result.stdout or b"").decode(errors="replace")
        return int(result.exit_status or 0), out

    async def close(self) -> None:
        """Close every connection."""
        for name, conn in self._conns.items():
            conn.close()
            _log.info("disconnected: %s (closed)", name)
        self._conns.clear()
