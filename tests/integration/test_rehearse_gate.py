"""`rehearse` asks at a terminal before it converges anything: a wrong word, Ctrl-D or Ctrl-C leaves no
permit, so no playbook starts and the journal records no run. Its hosts need not be up for that: the gate
comes before the first connection, so an inventory of the rehearsal lab's shape pointing nowhere will do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from actions.sandbox.inventory import plan_hosts, write_inventory
from tests.gate_pty import ENTRY, REFUSALS, ROOT, refuse_at_gate


def rehearsal_inventory(path: Path) -> Path:
    """An inventory of kind ``rehearsal`` with the real inventory's groups; nothing listens on port 1."""
    write_inventory(path, hosts=plan_hosts(1, linux=True), user="root", key_file=path.parent / "id_ed25519",
                    known_hosts=path.parent / "known_hosts", vault_addr="http://127.0.0.1:1",
                    postgres_host="127.0.0.1", postgres_port=1, lab_name="rehearsal")
    return path


@pytest.mark.parametrize("how", sorted(REFUSALS))
def test_a_refused_rehearse_gate_converges_nothing(tmp_path: Path, how: str) -> None:
    state = tmp_path / "state"
    inventory = rehearsal_inventory(tmp_path / "inventory.yml")
    env = dict(os.environ, FACTORY_STATE_DIR=str(state))
    shown = refuse_at_gate(["-i", str(inventory), "rehearse"], env, "converge it for real? [y/N]", how,
                           wrong="sure")
    # The gate showed what it asked about before it asked.
    assert "01_system" in shown and "rehearsal" in shown
    assert "pass 1 01_system" not in shown  # no playbook began (its progress line would say so)
    runs = subprocess.run([sys.executable, *ENTRY, "-i", str(inventory), "runs", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert runs.returncode == 0 and json.loads(runs.stdout) == [], runs.stderr
