"""One grammar for every subcommand: `-i/--inventory` after it as before it, `--json` on every listing,
and one example at the foot of each `--help`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import build_parser
from tui.cli.grammar import inventory_of

CLI = [sys.executable, "-m", "tui.cli"]
INVENTORY = "all:\n  hosts:\n    far:\n      ansible_host: 10.9.9.9\n      ansible_port: 2299\n"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=60, check=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FACTORY_")}
    return {**base, "FACTORY_STATE_DIR": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config")}


def test_every_subcommand_takes_the_inventory_and_shows_an_example() -> None:
    parser = build_parser()
    names = {p.prog.removeprefix("factory-tui ") for p in parser.commands}
    assert {"hosts", "health", "run", "runs", "changes", "plan", "vault", "vault status", "vault unseal",
            "runbook", "runbook list", "runbook show", "sandbox", "sandbox status", "rehearse"} <= names
    for command in parser.commands:
        text = command.format_help()
        assert "-i INVENTORY, --inventory INVENTORY" in text, command.prog
        foot = text.split("example:", 1)
        assert len(foot) == 2 and "factory-tui " in foot[1], command.prog


@pytest.mark.parametrize("argv", [["hosts"], ["health", "--once"], ["run", "site.yml"], ["plan"], ["runs"],
                                  ["changes"], ["vault", "status"], ["runbook", "list"], ["sandbox", "status"],
                                  ["rehearse"]])
def test_inventory_after_the_subcommand_is_the_one_used(argv: list[str]) -> None:
    parser = build_parser()
    assert inventory_of(parser.parse_args([*argv, "-i", "after.yml"])) == "after.yml"
    assert inventory_of(parser.parse_args(["-i", "before.yml", *argv])) == "before.yml"
    assert inventory_of(parser.parse_args(["-i", "before.yml", *argv, "--inventory", "after.yml"])) == "after.yml"


def test_hosts_reads_the_inventory_named_after_the_subcommand(tmp_path: Path, env: dict[str, str]) -> None:
    inventory = tmp_path / "far.yml"
    inventory.write_text(INVENTORY)
    done = run("hosts", "-i", str(inventory), "--json", env=env)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["inventory"] == str(inventory) and [h["port"] for h in doc["hosts"]] == [2299]


def test_runbook_list_and_show_print_json(env: dict[str, str]) -> None:
    listed = run("runbook", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)
    assert {"bringup", "recovery"} <= {b["name"] for b in doc["runbooks"]} and doc["in_progress"] == []
    shown = run("runbook", "show", "recovery", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    book = json.loads(shown.stdout)
    assert book["name"] == "recovery" and book["steps"] and {"id", "action", "verify"} <= set(book["steps"][0])


def test_help_of_a_verb_shows_its_example(env: dict[str, str]) -> None:
    done = run("runbook", "list", "--help", env=env)
    assert done.returncode == 0 and "example:\n  factory-tui runbook list --json" in done.stdout
