"""The `ssh_command` step action: a command on named hosts (e.g. restart k3s), behind a gate.

The request shows the exact command and the hosts it will run on (groups resolved through the inventory);
it is a change, or destructive when the runbook says so (then the operator types the first host's name).
"""

from __future__ import annotations

from collections.abc import Callable

from actions.gates import GateRequest, Level, Permit, require
from actions.lab import Lab
from actions.remote import RemoteError, RemoteRunner
from actions.runbooks.model import SshCommandAction


def target_hosts(action: SshCommandAction, lab: Lab) -> list[str]:
    """The host names an SSH step runs on, its groups expanded, each once."""
    names: list[str] = []
    for ref in action.hosts:
        for name in lab.groups.get(ref, [ref]):
            if name not in names:
                names.append(name)
    unknown = [n for n in names if n not in lab.host_names()]
    if unknown:
        raise ValueError(f"unknown host(s) in the inventory: {', '.join(unknown)}")
    return names


def ssh_request(action: SshCommandAction, lab: Lab, step_title: str) -> GateRequest:
    """The gate request of an SSH step: the command and hosts, destructive when the step says so."""
    hosts = target_hosts(action, lab)
    return GateRequest(
        kind="ssh.command",
        level=Level.DESTRUCTIVE if action.destructive else Level.CHANGE,
        title=step_title,
        command=("ssh", "<host>", action.command),
        targets=tuple(hosts),
        confirm_name=hosts[0],
        details=(f"runs on: {', '.join(hosts)} (one after the other, stopping at the first failure)",),
    )


async def run_ssh_step(
    action: SshCommandAction, lab: Lab, runner: RemoteRunner, permit: Permit | None, step_title: str,
    on_line: Callable[[str], None],
) -> bool:
    """Run the command host by host; True when it succeeded everywhere."""
    require(permit, ssh_request(action, lab, step_title))
    for host in target_hosts(action, lab):
        on_line(f"{host}$ {action.command}")
        try:
            rc, out = await runner.run(host, action.command)
        except RemoteError as exc:
            on_line(f"{host}: {exc}")
            return False
        for line in out.rstrip().splitlines():
            on_line(f"{host}: {line}")
        on_line(f"{host}: exit {rc}")
        if rc != 0:
            return False
    return True
