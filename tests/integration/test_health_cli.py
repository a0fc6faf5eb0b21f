"""`factory-tui health --once --json` against the sandbox: the document and its exit codes 0 / 1 / 2;
and the ssh command line the health screen's `s` key runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from actions import sandbox as sb
from actions.health.ssh import ssh_argv
from actions.lab import load_lab
from tests.conftest import cli_env, free_port

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "tui.cli"]
# This machine is shared and busy: load alone must not decide the verdict of these tests.
CALM = "[health.thresholds]\nload_per_core_warn = 1000\nload_per_core_crit = 2000\n"


def health(sandbox: sb.SandboxStatus, config: Path, inventory: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    assert sandbox.settings is not None
    proc = subprocess.run(
        [*CLI, "--config", str(config), "health", "--once", "--json", "-i", str(inventory)],
        capture_output=True, text=True, timeout=120, env=cli_env(sandbox.settings),
    )
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CALM + extra)
    return path


def test_all_ok_exits_0_with_one_object_per_host(sandbox: sb.SandboxStatus, tmp_path: Path) -> None:
    code, doc = health(sandbox, config(tmp_path), sandbox.inventory)
    assert code == 0, doc
    assert doc["status"] == "ok"
    assert [h["name"] for h in doc["hosts"]] == ["pi1", "pi2", "pi3"]
    for h in doc["hosts"]:
        assert h["status"] == "ok" and h["connection"] == "up" and not h["stale"]
        s = h["signals"]
        assert s["load"] and s["cores"] and s["mem_available_pct"] > 0 and s["disks"][0]["path"] == "/"
        assert s["temp_c"] is None and s["throttle"] is None  # no Pi here: optional signals are absent
        assert {f["signal"] for f in h["findings"]} >= {"reachability", "load", "memory", "disk /"}


def test_a_warning_exits_1(sandbox: sb.SandboxStatus, tmp_path: Path) -> None:
    code, doc = health(sandbox, config(tmp_path, "disk_used_warn_pct = 1\ndisk_used_crit_pct = 99.9\n"),
                       sandbox.inventory)
    assert code == 1 and doc["status"] == "warn"
    assert all(any(f["signal"] == "disk /" and f["status"] == "warn" for f in h["findings"]) for h in doc["hosts"])


def test_critical_exits_2(sandbox: sb.SandboxStatus, tmp_path: Path) -> None:
    code, doc = health(sandbox, config(tmp_path, "mem_available_warn_pct = 100\nmem_available_crit_pct = 99.99\n"),
                       sandbox.inventory)
    assert code == 2 and doc["status"] == "critical"


def test_an_unreachable_host_exits_2(sandbox: sb.SandboxStatus, tmp_path: Path) -> None:
    inv = yaml.safe_load(sandbox.inventory.read_text())
    inv["all"]["hosts"]["pi3"]["ansible_port"] = free_port()
    broken = tmp_path / "inventory.yml"
    broken.write_text(yaml.safe_dump(inv))
    code, doc = health(sandbox, config(tmp_path), broken)
    assert code == 2 and doc["status"] == "critical"
    pi3 = doc["hosts"][2]
    assert pi3["connection"] == "unreachable" and pi3["signals"] is None
    assert pi3["findings"][0]["text"].startswith("unreachable since ")
    assert [h["status"] for h in doc["hosts"][:2]] == ["ok", "ok"]


def test_bad_inventory_is_one_readable_line(sandbox: sb.SandboxStatus, tmp_path: Path) -> None:
    assert sandbox.settings is not None
    proc = subprocess.run(
        [*CLI, "health", "--once", "-i", str(tmp_path / "missing.yml")],
        capture_output=True, text=True, timeout=60, env=cli_env(sandbox.settings),
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().endswith("missing.yml: inventory not found")


def test_ssh_command_line_logs_in_with_the_inventory_settings(sandbox: sb.SandboxStatus) -> None:
    lab = load_lab(sandbox.inventory)
    argv = ssh_argv(lab.host("pi2"))
    assert argv[-1] == f"{sandbox.user}@127.0.1.2"
    proc = subprocess.run(
        [*argv[:-1], "-o", "BatchMode=yes", argv[-1], "echo", "hello", "from", "$(id -un)"],
        capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"hello from {sandbox.user}"
