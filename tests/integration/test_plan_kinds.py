"""Plans that move, import, forget and replace, made by the real binary: the summary says what the binary
says, the CLI plans a directory of .tf files by its path, lists such a plan, exits 2 and applies it through
the gate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from actions.tofu.summary import summarize
from tests.plan_corpus import CORPUS, SCENARIOS, build

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def env(tofu_cli_env: dict[str, str]) -> dict[str, str]:
    return tofu_cli_env


@pytest.mark.parametrize("name", ["move-only", "import-only", "forget", "replace-create-first",
                                  "sensitive-becomes", "deposed-and-tainted", "import-generated-config"])
def test_the_binary_writes_what_the_corpus_holds_and_says_what_the_summary_says(
    name: str, tmp_path: Path, env: dict[str, str], tofu_env: str
) -> None:
    scenario = next(s for s in SCENARIOS if s.name == name)
    doc, line = build(scenario, tmp_path / name, tofu_env, env)
    stored = json.loads((CORPUS / f"{name}.json").read_text())
    shape = [(rc["address"], rc["change"]["actions"], rc.get("previous_address"),
              bool(rc["change"].get("importing"))) for rc in doc["resource_changes"]]
    assert shape == [(rc["address"], rc["change"]["actions"], rc.get("previous_address"),
                      bool(rc["change"].get("importing"))) for rc in stored["resource_changes"]]
    assert line.startswith("Plan: ")
    assert summarize(doc).counts.line().startswith(line.rstrip("."))


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                          cwd=REPO, check=False, timeout=300)


def test_a_move_only_plan_of_a_directory_is_listed_counted_and_applied(
    tmp_path: Path, env: dict[str, str], tofu_env: str
) -> None:
    root = tmp_path / "moving"
    root.mkdir()
    (root / "main.tf").write_text('resource "terraform_data" "a" { input = "x" }\n')
    for step in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        assert subprocess.run([tofu_env, *step], cwd=root, env=env, capture_output=True,
                              check=False).returncode == 0
    (root / "main.tf").write_text('resource "terraform_data" "b" { input = "x" }\n'
                                  'moved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n')

    planned = cli(env, "plan", str(root), "--json", "--quiet")
    assert planned.returncode == 2, planned.stderr
    doc = json.loads(planned.stdout)
    assert doc["root"] == root.as_posix() and doc["has_changes"] and not doc["destructive"]
    assert doc["plan_line"] == "Plan: 0 to add, 0 to change, 0 to destroy."
    assert doc["counts"]["move"] == 1 and doc["changes"] == {"move": ["terraform_data.b"]}

    shown = cli(env, "plan", str(root), "--quiet")
    assert "Plan: 0 to add, 0 to change, 0 to destroy.  (1 to move)" in shown.stdout
    assert "terraform_data.b  (moved from terraform_data.a)" in shown.stdout

    applied = cli(env, "plan", str(root), "--apply", "--confirm", root.as_posix(), "--quiet")
    assert applied.returncode == 0, applied.stderr
    assert "plan:    Plan: 0 to add, 0 to change, 0 to destroy. (1 to move)" in applied.stderr
    assert "moves:   terraform_data.a -> terraform_data.b" in applied.stderr
    state = json.loads((root / "terraform.tfstate").read_text())
    assert [r["name"] for r in state["resources"]] == ["b"]


def test_a_directory_without_tf_files_is_one_clear_error(tmp_path: Path, env: dict[str, str]) -> None:
    done = cli(env, "plan", str(tmp_path), "--quiet")
    assert done.returncode == 1 and "no .tf files in this directory" in done.stderr
    assert "Traceback" not in done.stderr
