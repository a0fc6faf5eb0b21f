"""`factory-tui plan` headless: exit codes (0 none, 2 changes, 1 error), JSON, and the gated `--apply`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gate_pty import REFUSALS, refuse_at_gate

DATA = Path(__file__).resolve().parent.parent / "data" / "tofu"
pytestmark = pytest.mark.integration


@pytest.fixture
def env(tmp_path: Path, tofu_cli_env: dict[str, str]) -> dict[str, str]:
    """Environment of a CLI run: tofu_cli_env's, with the fixture roots in settings."""
    roots = tmp_path / "roots"
    shutil.copytree(DATA, roots)
    return {**tofu_cli_env, "FACTORY_TOFU__ROOTS": json.dumps([str(roots / "changes"), str(roots / "broken")])}


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    code = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, input=stdin,
        cwd=Path(__file__).resolve().parent.parent.parent, check=False, timeout=300,
    )


def test_plan_exit_codes_json_and_gated_apply(env: dict[str, str], tmp_path: Path) -> None:
    first = cli(env, "plan", "changes", "--json", "--quiet")
    assert first.returncode == 2, first.stderr
    doc = json.loads(first.stdout)
    assert doc["counts"]["add"] == 5 and doc["has_changes"] and not doc["destructive"]
    assert doc["changes"]["create"][0] == "terraform_data.gone[0]"

    # Apply needs the name, typed or passed; never assumed.
    refused = cli(env, "plan", "changes", "--apply", stdin="")
    assert refused.returncode == 1
    assert "stdin is not a terminal; pass --confirm changes; nothing was changed" in refused.stderr
    assert "Traceback" not in refused.stderr
    wrong = cli(env, "plan", "changes", "--apply", "--confirm", "iac")
    assert wrong.returncode == 1 and "does not match 'changes' (the root's name)" in wrong.stderr

    applied = cli(env, "plan", "changes", "--apply", "--confirm", "changes", "--json", "--quiet")
    assert applied.returncode == 0, applied.stderr
    assert json.loads(applied.stdout)["status"] == "applied"
    assert "Apply the saved plan of changes  [change]" in applied.stderr
    state = json.loads((tmp_path / "roots" / "changes" / "terraform.tfstate").read_text())
    assert len(state["resources"]) == 5

    again = cli(env, "plan", "changes", "--quiet")
    assert again.returncode == 0, again.stderr
    assert "No changes" in again.stdout

    listing = cli(env, "plan", "--json")
    rows = {row["root"]: row for row in json.loads(listing.stdout)}
    assert rows["changes"]["status"] == "no-changes" and rows["broken"]["status"] is None

    # The journal keeps the apply (the refused attempts changed nothing and are not in it).
    changes = json.loads(cli(env, "changes", "--json").stdout)
    assert [(c["kind"], c["targets"], c["status"]) for c in changes] == [("tofu.apply", ["changes"], "ok")]
    assert changes[0]["message"] == "applied: 5 to add, 0 to change, 0 to destroy."
    assert changes[0]["finished_at"] and changes[0]["operator"]


def test_destructive_apply_shows_the_summary_and_wants_the_name(env: dict[str, str]) -> None:
    assert cli(env, "plan", "changes", "--quiet").returncode == 2
    assert cli(env, "plan", "changes", "--apply", "--confirm", "changes", "--quiet").returncode == 0
    env = {**env, "TF_VAR_n": "3"}
    planned = cli(env, "plan", "changes")
    assert planned.returncode == 2
    assert "destroy (1)" in planned.stdout and "replace (1)" in planned.stdout
    assert "Plan to delete" in planned.stderr  # the live log
    refused = cli(env, "plan", "changes", "--apply", "--confirm", "change")
    assert refused.returncode == 1
    assert "[destructive]" in refused.stderr and "delete   terraform_data.gone[0]" in refused.stderr


@pytest.mark.parametrize("how", sorted(REFUSALS))
def test_a_refused_terminal_gate_applies_nothing(env: dict[str, str], tmp_path: Path, how: str) -> None:
    """At a terminal an apply wants the root's name typed: a wrong word, Ctrl-D or Ctrl-C leaves no permit,
    so the state holds nothing, the saved plan is still there and the journal has no apply."""
    assert cli(env, "plan", "changes", "--quiet").returncode == 2
    refuse_at_gate(["plan", "changes", "--apply"], env, "type 'changes' to confirm, anything else cancels:", how,
                   wrong="change")
    assert not (tmp_path / "roots" / "changes" / "terraform.tfstate").exists()
    assert json.loads(cli(env, "changes", "--json").stdout) == []
    applied = cli(env, "plan", "changes", "--apply", "--confirm", "changes", "--quiet")  # the control
    assert applied.returncode == 0, applied.stderr


def test_errors_are_one_clear_line(env: dict[str, str], tmp_path: Path) -> None:
    broken = cli(env, "plan", "broken", "--quiet")
    assert broken.returncode == 1
    assert broken.stderr.startswith("factory-tui: init of broken failed: main.tf:4: Invalid expression")
    assert "Traceback" not in broken.stderr

    unknown = cli(env, "plan", "nope")
    assert unknown.returncode == 1 and "unknown root 'nope'; known roots:" in unknown.stderr

    missing = cli({**env, "FACTORY_TOFU__BINARY": str(tmp_path / "tofu")}, "plan", "changes")
    assert missing.returncode == 1
    assert "(settings tofu.binary) is missing or not executable" in missing.stderr
    assert "Traceback" not in missing.stderr
