"""Commands on a sandbox host over SSH, as the checklists run them; a wrong host key is refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from actions import sandbox as sb
from actions.lab import load_lab
from actions.remote import RemoteError, RemoteRunner


def test_runs_a_command_and_reuses_the_connection(sandbox: sb.SandboxStatus) -> None:
    runner = RemoteRunner(load_lab(sandbox.inventory))

    async def go() -> tuple[tuple[int, str], tuple[int, str], int]:
        first = await runner.run("pi2", "id -un; exit 3")
        conns = id(runner._conns["pi2"])
        second = await runner.run("pi2", "echo again")
        same = int(conns == id(runner._conns["pi2"]))
        await runner.close()
        return first, second, same

    (rc, out), (rc2, out2), same = asyncio.run(go())
    assert (rc, out.strip()) == (3, sandbox.user)
    assert (rc2, out2.strip()) == (0, "again") and same == 1


def test_a_changed_host_key_is_refused(sandbox: sb.SandboxStatus, tmp_path: Path) -> None:
    lines = sandbox.known_hosts.read_text().splitlines()
    # pi1's entry carries pi2's key: what a re-imaged or impostor host looks like.
    wrong = tmp_path / "known_hosts"
    wrong.write_text(lines[0].split()[0] + " " + " ".join(lines[1].split()[1:]) + "\n")
    lab = load_lab(sandbox.inventory)
    host = lab.host("pi1").model_copy(update={"known_hosts": wrong})
    lab = lab.model_copy(update={"hosts": [host, *lab.hosts[1:]]})
    with pytest.raises(RemoteError, match="pi1: host key refused"):
        asyncio.run(RemoteRunner(lab).run("pi1", "true"))
