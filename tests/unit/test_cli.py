"""The command line: version, hosts, and one readable line (no traceback) for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "tui.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env or dict(os.environ), timeout=60)


def test_version() -> None:
    out = run("--version")
    assert out.returncode == 0 and out.stdout.startswith("factory-tui ")


def test_hosts_json_lists_the_real_inventory() -> None:
    out = run("hosts", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert [h["name"] for h in doc["hosts"]] == ["pi1", "pi2", "pi3"]
    assert {"name", "address", "port", "user", "groups"} <= set(doc["hosts"][0])


def test_hosts_table() -> None:
    out = run("hosts")
    assert out.returncode == 0 and "pi2" in out.stdout and "docker_hosts" in out.stdout


def test_missing_inventory_is_one_line(tmp_path: Path) -> None:
    out = run("-i", str(tmp_path / "none.yml"), "hosts")
    assert out.returncode == 1
    assert out.stderr.strip() == f"factory-tui: {tmp_path / 'none.yml'}: inventory not found"


def test_sandbox_inventory_not_up_hints(tmp_path: Path) -> None:
    env = dict(os.environ, FACTORY_STATE_DIR=str(tmp_path))
    out = run("-i", "sandbox", "hosts", env=env)
    assert out.returncode == 1 and "sandbox up" in out.stderr and "Traceback" not in out.stderr


def test_invalid_config_names_file_and_key(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[health]\ninterval = 'often'\n")
    out = run("--config", str(cfg), "hosts")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert str(cfg) in out.stderr and "health.interval" in out.stderr
