"""`factory-tui run` and `factory-tui runs` as a script would use them, against the sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.gate_pty import REFUSALS, refuse_at_gate

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parent.parent / "data" / "playbooks"
ROOT = Path(__file__).resolve().parents[2]
MAIN = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"


def _cli(state: Path, inventory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FACTORY_STATE_DIR=str(state))
    return subprocess.run(
        [sys.executable, "-c", MAIN, "-i", str(inventory), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600,
    )


def test_run_and_runs(sandbox: Any, tmp_path: Path) -> None:
    state, inv = tmp_path / "state", sandbox.inventory
    hello = str(DATA / "hello.yml")

    ok = _cli(state, inv, "run", hello, "--check", "--limit", "pi1")
    assert ok.returncode == 0, ok.stderr
    assert "hello from pi1" in ok.stdout and "\x1b[" not in ok.stdout and "@factory-event" not in ok.stdout
    assert "PLAY RECAP" in ok.stdout

    # A real run without a terminal and without --confirm does nothing.
    refused = _cli(state, inv, "run", hello, "--limit", "pi1")
    assert refused.returncode == 1 and "--confirm hello" in refused.stderr
    assert "last check: ok" in refused.stderr and "command: " in refused.stderr
    wrong = _cli(state, inv, "run", hello, "--limit", "pi1", "--confirm", "site")
    assert wrong.returncode == 1 and "does not match" in wrong.stderr
    real = _cli(state, inv, "run", hello, "--limit", "pi1", "--confirm", "hello")
    assert real.returncode == 0, real.stderr

    failed = _cli(state, inv, "run", str(DATA / "fail_midway.yml"), "--check")
    assert failed.returncode == 0  # check mode skips commands: nothing fails
    failed = _cli(state, inv, "run", str(DATA / "fail_midway.yml"), "--confirm", "fail_midway")
    assert failed.returncode == 2 and "failed: pi2" in failed.stderr

    unknown = _cli(state, inv, "run", "no-such-playbook", "--check")
    assert unknown.returncode == 1 and "unknown playbook" in unknown.stderr and "Traceback" not in unknown.stderr
    syntax = _cli(state, inv, "run", str(DATA / "broken_syntax.yml"), "--check")
    assert syntax.returncode == 1 and "Traceback" not in syntax.stderr

    listed = _cli(state, inv, "runs", "--json")
    assert listed.returncode == 0
    runs = json.loads(listed.stdout)
    assert [r["status"] for r in runs] == ["error", "error", "failed", "ok", "ok", "ok"]
    real_run = runs[4]
    assert real_run["check"] is False and real_run["limit"] == "pi1" and real_run["recap"]["pi1"]["ok"] == 3
    table = _cli(state, inv, "runs")
    assert table.returncode == 0 and "fail_midway" in table.stdout


def test_run_without_ansible_playbook(tmp_path: Path) -> None:
    """A Python with no ansible-playbook beside it and none on PATH: exit 1 with one line."""
    env_dir = tmp_path / "bin"
    env_dir.mkdir()
    py = env_dir / "python"
    py.symlink_to(sys.executable)
    env = dict(os.environ, FACTORY_STATE_DIR=str(tmp_path / "state"), PATH=str(env_dir),
               PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run(
        [str(py), "-c", MAIN, "-i", str(DATA / "local_inventory.yml"), "run", str(DATA / "hello.yml"),
         "--check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1 and "ansible-playbook not found" in proc.stderr, proc.stderr


def test_empty_journal_lists_say_so(tmp_path: Path) -> None:
    """Nothing journalled yet: one line that says so, not a table with no rows; JSON stays a list."""
    state, inv = tmp_path / "state", DATA / "local_inventory.yml"
    for command, noun in (("runs", "runs"), ("changes", "changes")):
        listed = _cli(state, inv, command)
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.strip() == f"no {noun} journalled in {state / 'journal.sqlite3'}"
        as_json = _cli(state, inv, command, "--json")
        assert as_json.returncode == 0 and json.loads(as_json.stdout) == []


def test_an_extra_var_that_is_no_pair_is_one_line_and_runs_nothing(tmp_path: Path) -> None:
    """`-e` words go through the same KEY=VALUE reader as the run form: a bad one stops before anything runs."""
    state, inv = tmp_path / "state", DATA / "local_inventory.yml"
    for word, says in (("nope", "-e 'nope': expected KEY=VALUE"), ("my-db=x", "'my-db' is not a variable name")):
        bad = _cli(state, inv, "run", str(DATA / "hello.yml"), "--check", "-e", "a=1", "-e", word)
        assert bad.returncode == 1 and says in bad.stderr, bad.stderr
        assert "Traceback" not in bad.stderr and "PLAY" not in bad.stdout
    listed = _cli(state, inv, "runs", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []


@pytest.mark.parametrize("how", sorted(REFUSALS))
def test_a_refused_terminal_gate_runs_nothing(tmp_path: Path, how: str) -> None:
    """At a terminal, a real run asks (yes/no for a change, the name typed for a recover playbook): a wrong
    word, Ctrl-D or Ctrl-C leaves no permit, so no playbook runs and the marker files are as they were."""
    tag = uuid.uuid4().hex[:12]
    env = dict(os.environ, FACTORY_STATE_DIR=str(tmp_path / "state"))
    inv = str(DATA / "local_inventory.yml")
    written = Path(f"/tmp/factory-run-{tag}-local1")
    refuse_at_gate(["-i", inv, "run", str(DATA / "write_file.yml"), "--limit", "local1", "-e", f"run_tag={tag}"],
                   env, "run it for real? [y/N]", how, wrong="yes please")
    assert not written.exists()
    kept = Path(f"/tmp/factory-run-{tag}-local2")
    kept.write_text("a marker the recover playbook would remove\n")
    try:
        refuse_at_gate(["-i", inv, "run", str(DATA / "recover" / "wipe_marker.yml"), "--limit", "local2",
                        "-e", f"run_tag={tag}"],
                       env, "type 'wipe_marker' to confirm, anything else cancels:", how, wrong="wipe")
        assert kept.exists()
    finally:
        kept.unlink()
    listed = _cli(tmp_path / "state", DATA / "local_inventory.yml", "runs", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
