"""The interactive ``ssh`` command line for one host, as the inventory describes it.

It uses the inventory's user, port, key and known_hosts and insists on a known host key, as the poller
does; everything else comes from the operator's ``~/.ssh/config`` and agent.
"""

from __future__ import annotations

from actions.lab import Host


def ssh_argv(host: Host, binary: str = "ssh") -> list[str]:
    """The ``ssh`` command line that reaches ``host`` as the app does (port, key, known_hosts, user)."""
    argv = [binary, "-p", str(host.port), "-o", "StrictHostKeyChecking=yes"]
    if host.key_file:
        argv += ["-i", str(host.key_file), "-o", "IdentitiesOnly=yes"]
    if host.known_hosts:
        argv += ["-o", f"UserKnownHostsFile={host.known_hosts}"]
    target = f"{host.user}@{host.address}" if host.user else host.address
    return [*argv, target]
