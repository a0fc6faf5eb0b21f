"""What opening one host's probe link needs to know of it, in plain data.

The poll process gets its hosts as :class:`Target` values, which unpickle without pydantic: it can start
its key exchanges while the models (and pydantic with them) are still loading. :meth:`Target.of` derives
one from the lab's :class:`~actions.lab.Host`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actions.lab import Host

#: Inventory groups whose hosts run the extra probes.
K3S_SERVER_GROUP = "k3s_server"
DOCKER_GROUP = "docker_hosts"


@dataclass(frozen=True)
class ProbeFlags:
    """What this host runs besides the common signals."""

    docker: bool = False
    kube: bool = False
    backup_root: str | None = None
    offsite_status_file: str | None = None


@dataclass(frozen=True)
class Target:
    """One host as the probe link reaches it: the inventory's SSH settings and the probe's flags."""

    name: str
    address: str
    port: int = 22
    user: str | None = None
    key_file: Path | None = None
    known_hosts: Path | None = None
    flags: ProbeFlags = ProbeFlags()

    @classmethod
    def of(cls, host: Host) -> Target:
        """The link's view of ``host``."""
        flags = ProbeFlags(
            docker=host.in_group(DOCKER_GROUP), kube=host.in_group(K3S_SERVER_GROUP),
            backup_root=host.backup_root, offsite_status_file=host.offsite_status_file,
        )
        return cls(name=host.name, address=host.address, port=host.port, user=host.user,
                   key_file=host.key_file, known_hosts=host.known_hosts, flags=flags)
