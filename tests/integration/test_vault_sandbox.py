"""The Vault address as the operator gets it from the lab: the sandbox inventory's `factory_vault_addr`.

Only reads: the sandbox is shared by the whole test session and init is one-shot.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from actions import vault
from actions.lab import load_lab
from tests.conftest import cli_env

pytestmark = pytest.mark.integration


def test_status_through_the_sandbox_inventory(sandbox: object) -> None:
    settings = sandbox.settings  # type: ignore[attr-defined]
    lab = load_lab(sandbox.inventory)  # type: ignore[attr-defined]
    env = {k: v for k, v in cli_env(settings).items() if k not in ("VAULT_ADDR", "FACTORY_VAULT__ADDR")}
    target = vault.resolve_target(settings, lab, env)
    assert target.addr == sandbox.vault_addr  # type: ignore[attr-defined]
    assert vault.read_status(target).state in (vault.VaultState.UNINITIALISED, vault.VaultState.SEALED)
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())",
         "-i", "sandbox", "vault", "status", "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert json.loads(proc.stdout)["addr"] == sandbox.vault_addr  # type: ignore[attr-defined]


def test_vault_addr_of_the_real_lab_never_reaches_past_the_sandbox(sandbox: object) -> None:
    """With $VAULT_ADDR and vault.addr naming the real Vault, `-i sandbox vault status` reads the sandbox's."""
    settings = sandbox.settings  # type: ignore[attr-defined]
    env = {**cli_env(settings), "VAULT_ADDR": "https://vault.arcodange.lab:8200",
           "FACTORY_VAULT__ADDR": "https://vault.arcodange.lab:8200"}
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())",
         "-i", "sandbox", "vault", "status", "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["addr"] == sandbox.vault_addr  # type: ignore[attr-defined]
    assert doc["addr_source"].startswith("the sandbox lab's inventory ")
