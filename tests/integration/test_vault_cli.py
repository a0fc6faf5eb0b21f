"""`factory-tui vault ...` as the operator runs it, against a real OpenBao: exit codes, JSON, shares
from stdin or a no-echo prompt (never from arguments), gates, and no share in the output."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from pydantic import SecretStr

from actions import change_log, vault
from actions.gates import issue
from actions.journal import open_journal
from actions.vault import VaultTarget
from tests.gate_pty import REFUSALS, refuse_at_gate
from tests.vault_server import BaoServer

# It walks one server through seal, unseal and changes in order: minutes, given out first.
pytestmark = [pytest.mark.integration, pytest.mark.long]
ROOT = Path(__file__).resolve().parents[2]
# The console script's entry point, run by this interpreter (no reliance on PATH).
ENTRY = ["-c", "import sys; from tui.cli import main; sys.exit(main())"]


@pytest.fixture(scope="module")
def env(bao: BaoServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("home")
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("FACTORY_", "VAULT_"))}
    return {**keep, "XDG_CONFIG_HOME": str(home / "config"), "FACTORY_STATE_DIR": str(home / "state"),
            "FACTORY_VAULT__ADDR": bao.addr, "PYTHONPATH": str(ROOT)}


def cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *ENTRY, "vault", *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_status_of_a_fresh_server(env: dict[str, str]) -> None:
    proc = cli(env, "status", "--json")
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["state"] == "not initialised" and doc["initialized"] is False


def test_status_of_nothing_listening(env: dict[str, str]) -> None:
    proc = cli({**env, "FACTORY_VAULT__ADDR": "http://127.0.0.1:1"}, "status")
    assert proc.returncode == 1
    assert "unreachable" in proc.stdout and "cannot connect" in proc.stdout and "Traceback" not in proc.stderr


@pytest.fixture(scope="module")
def shares(bao: BaoServer) -> dict[str, object]:
    target = VaultTarget(addr=bao.addr)
    plan = vault.check_plan(5, 3)
    result = vault.initialise(target, plan, issue(vault.init_request(target, plan), confirmed=True,
                                                  typed_name="127.0.0.1"))
    keys = [s.get_secret_value() for s in result.shares]
    return {"keys": keys, "root": result.root_token.get_secret_value()}


def test_shares_are_never_arguments(env: dict[str, str], shares: dict[str, object]) -> None:
    proc = cli(env, "unseal", shares["keys"][0])  # type: ignore[index]
    assert proc.returncode != 0 and "unrecognized arguments" in proc.stderr
    assert vault.read_status(VaultTarget(addr=env["FACTORY_VAULT__ADDR"])).progress == 0


def test_unseal_from_stdin_needs_confirmation(env: dict[str, str], shares: dict[str, object]) -> None:
    keys: list[str] = shares["keys"]  # type: ignore[assignment]
    proc = cli(env, "unseal", stdin="\n".join(keys[:3]) + "\n")
    assert proc.returncode == 1 and "pass --confirm 127.0.0.1" in proc.stderr
    wrong = cli(env, "unseal", "--confirm", "vault.example", stdin="\n".join(keys[:3]) + "\n")
    assert wrong.returncode == 1 and "does not match" in wrong.stderr
    status = cli(env, "status", "--json")
    assert status.returncode == 2 and json.loads(status.stdout)["progress"] == 0


def test_unseal_from_stdin(env: dict[str, str], shares: dict[str, object]) -> None:
    keys: list[str] = shares["keys"]  # type: ignore[assignment]
    lines = ["not a share", keys[0], keys[0], "", keys[1], keys[2], keys[3]]
    proc = cli(env, "unseal", "--confirm", "127.0.0.1", stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    assert "not a key share" in proc.stderr and "already entered" in proc.stderr
    assert "Share accepted: 2 of 3" in proc.stderr and "unsealed" in proc.stdout
    for key in keys:
        assert key not in proc.stdout + proc.stderr
    assert cli(env, "status").returncode == 0


def test_step_down_returns_once_a_node_is_active_again(env: dict[str, str], shares: dict[str, object]) -> None:
    proc = cli({**env, "VAULT_TOKEN": str(shares["root"])}, "step-down", "--confirm", "127.0.0.1")
    assert proc.returncode == 0, proc.stderr
    # The lone node gave the role up and took it back before the command ended: the seal that follows
    # (next test) meets a settled node.
    assert proc.stdout.strip() == f"{env['FACTORY_VAULT__ADDR']}: stepped down; now unsealed"


def test_seal_then_too_few_shares(env: dict[str, str], shares: dict[str, object]) -> None:
    keys: list[str] = shares["keys"]  # type: ignore[assignment]
    no_token = cli(env, "seal", "--confirm", "127.0.0.1")
    assert no_token.returncode == 1 and "needs a Vault token" in no_token.stderr
    sealed = cli({**env, "VAULT_TOKEN": str(shares["root"])}, "seal", "--confirm", "127.0.0.1")
    assert sealed.returncode == 0, sealed.stderr
    assert str(shares["root"]) not in sealed.stdout + sealed.stderr
    short = cli(env, "unseal", "--confirm", "127.0.0.1", stdin=keys[4] + "\n")
    assert short.returncode == 2 and "still sealed, 1 of 3" in short.stderr
    assert json.loads(cli(env, "status", "--json").stdout)["summary"] == "sealed 1 of 3"


def test_unseal_on_a_terminal_prompts_without_echo(env: dict[str, str], shares: dict[str, object]) -> None:
    keys: list[str] = shares["keys"]  # type: ignore[assignment]
    child = pexpect.spawn(sys.executable, [*ENTRY, "vault", "unseal"], env=env, cwd=str(ROOT),
                          encoding="utf-8", timeout=60)
    seen = io.StringIO()
    child.logfile_read = seen  # everything the terminal showed
    try:
        child.expect_exact("proceed? [y/N]")
        child.sendline("y")
        child.expect_exact("key share (2 of 3, empty to stop)")  # one share is already in from before
        child.sendline(keys[2])
        child.expect_exact("key share (3 of 3, empty to stop)")
        child.sendline(keys[0])
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    transcript = seen.getvalue()
    assert "unsealed" in transcript
    assert keys[2] not in transcript and keys[0] not in transcript


def test_changes_lists_what_was_done_and_no_secret(env: dict[str, str], shares: dict[str, object]) -> None:
    """The unseals and the seal above are journalled, with where a short unseal stopped."""
    proc = subprocess.run([sys.executable, *ENTRY, "changes", "--json"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    changes = json.loads(proc.stdout)
    done = [(c["kind"], c["status"], c["message"]) for c in reversed(changes)]  # oldest first
    assert ("vault.seal", "ok", "sealed") in done
    assert ("vault.unseal", "ok", "unsealed") in done
    assert ("vault.unseal", "stopped", "left sealed: 1 of 3 shares entered") in done
    assert done.index(("vault.seal", "ok", "sealed")) < done.index(
        ("vault.unseal", "stopped", "left sealed: 1 of 3 shares entered"))
    assert all(c["targets"] == [env["FACTORY_VAULT__ADDR"]] and c["finished_at"] for c in changes)
    journal = (Path(env["FACTORY_STATE_DIR"]) / "journal.sqlite3").read_bytes()
    for secret in [*shares["keys"], shares["root"]]:  # type: ignore[misc]
        assert str(secret).encode() not in journal
        assert str(secret) not in proc.stdout


def test_vault_addr_from_the_environment_wins_over_the_inventory(
    env: dict[str, str], bao: BaoServer, tmp_path: Path
) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    pi1:\n      ansible_host: 127.0.0.1\n"
                         "  vars:\n    factory_vault_addr: http://127.0.0.1:1\n")
    plain = {k: v for k, v in env.items() if k != "FACTORY_VAULT__ADDR"}
    from_env = cli({**plain, "VAULT_ADDR": bao.addr}, "status", "-i", str(inventory))
    assert from_env.returncode != 1, from_env.stdout + from_env.stderr
    assert f"vault      {bao.addr}  (from $VAULT_ADDR)" in from_env.stdout
    doc = json.loads(cli({**plain, "VAULT_ADDR": bao.addr}, "status", "--json", "-i", str(inventory)).stdout)
    assert doc["addr"] == bao.addr and doc["addr_source"] == "$VAULT_ADDR"
    from_inventory = cli(plain, "status", "-i", str(inventory))
    assert from_inventory.returncode == 1
    assert f"vault      http://127.0.0.1:1  (from inventory {inventory})" in from_inventory.stdout


@pytest.mark.parametrize("how", sorted(REFUSALS))
def test_a_refused_terminal_gate_changes_nothing(env: dict[str, str], shares: dict[str, object], how: str) -> None:
    """Unseal, seal and step-down ask at a terminal: a wrong word, Ctrl-D or Ctrl-C leaves no permit, so the
    Vault stays as it was (unsealed for seal and step-down, sealed with no share for unseal) and the journal
    records no change."""
    keys: list[str] = shares["keys"]  # type: ignore[assignment]
    target = VaultTarget(addr=env["FACTORY_VAULT__ADDR"])
    journal = open_journal(Path(env["FACTORY_STATE_DIR"]))
    with_token = {**env, "VAULT_TOKEN": str(shares["root"])}

    def changes() -> int:
        return len(change_log.changes(journal))

    if vault.read_status(target).sealed:  # unsealed by the test's own permit, as the control
        session = vault.UnsealSession(target, issue(vault.unseal_request(target), confirmed=True))
        for key in keys:  # a share already entered by an earlier test is refused as such, not counted twice
            if not session.submit(SecretStr(key)).sealed:
                break
        session.close()
    assert not vault.read_status(target).sealed
    before = changes()
    for command, prompt in (("seal", "type '127.0.0.1' to confirm, anything else cancels:"),
                            ("step-down", "proceed? [y/N]")):
        refuse_at_gate(["vault", command], with_token, prompt, how, wrong="sure")
        assert not vault.read_status(target).sealed
    vault.seal(target, SecretStr(str(shares["root"])), issue(vault.seal_request(target), confirmed=True,
                                                                   typed_name="127.0.0.1"))
    refuse_at_gate(["vault", "unseal"], env, "proceed? [y/N]", how, wrong="sure")
    status = vault.read_status(target)
    assert status.sealed and status.progress == 0
    assert changes() == before
