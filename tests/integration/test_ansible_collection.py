"""The collection as Ansible's own tools see it: ansible-lint (production profile, offline),
--syntax-check of every playbook, and the inventory through ansible-inventory.

These run the real local commands and need no sandbox.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.config import REPO_ROOT

ANSIBLE = REPO_ROOT / "ansible"
BIN = Path(sys.executable).parent
CATALOG = yaml.safe_load((ANSIBLE / "playbooks" / "catalog.yml").read_text())["playbooks"]
GROUPS = {"raspberries", "k3s_server", "k3s_agents", "docker_hosts", "gitea_runners", "backup_target"}


def env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"),
        "ANSIBLE_HOME": str(tmp / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "NO_COLOR": "1",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def run(args: list[str], tmp: Path, cwd: Path = ANSIBLE, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env(tmp), capture_output=True, text=True, timeout=timeout)


def test_ansible_lint_production_profile_has_zero_violations(tmp_path: Path) -> None:
    config = yaml.safe_load((ANSIBLE / ".ansible-lint").read_text())
    assert config["profile"] == "production" and config["offline"] is True
    done = run([str(BIN / "ansible-lint")], tmp_path, timeout=1800)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert "0 failure(s), 0 warning(s)" in out
    assert "Profile 'production' was required, and it passed" in out


def test_ansible_lint_with_this_config_does_flag_a_bad_playbook(tmp_path: Path) -> None:
    # Proves the configuration is live: the same settings reject what the collection must not do.
    (tmp_path / "bad.yml").write_text(
        "---\n- hosts: all\n  tasks:\n    - shell: echo hi\n    - command: uptime\n"
    )
    done = run([str(BIN / "ansible-lint"), "-c", str(ANSIBLE / ".ansible-lint"), "bad.yml"], tmp_path,
               cwd=tmp_path, timeout=900)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    for rule in ("no-changed-when", "fqcn", "name[missing]"):
        assert rule in out, rule


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e["path"])
def test_playbook_syntax(entry: dict, tmp_path: Path) -> None:
    done = run([str(BIN / "ansible-playbook"), "--syntax-check", entry["path"]], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def inventory_list(tmp: Path, *args: str) -> dict[str, Any]:
    done = run([str(BIN / "ansible-inventory"), "--list", *args], tmp)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_inventory_lists_the_lab_s_groups_and_hosts(tmp_path: Path) -> None:
    doc = inventory_list(tmp_path, "-i", "inventory/hosts.yml")
    assert set(doc["all"]["children"]) >= GROUPS
    assert set(doc["raspberries"]["hosts"]) == {"pi1", "pi2", "pi3"}
    assert doc["k3s_server"]["hosts"] == ["pi1"]
    assert set(doc["k3s_agents"]["hosts"]) == {"pi2", "pi3"}
    assert doc["docker_hosts"]["hosts"] == ["pi2"]
    assert set(doc["gitea_runners"]["hosts"]) == {"pi1", "pi3"}
    assert doc["backup_target"]["hosts"] == ["pi2"]
    pi2 = doc["_meta"]["hostvars"]["pi2"]
    assert pi2["factory_lab_kind"] == "real" and pi2["ansible_host"] == "pi2.home"
    # Inventory-adjacent group_vars and host_vars are read with the inventory.
    assert pi2["factory_dns_servers"] and pi2["system_disks_backups_device"]
    assert "system_disks_backups_device" not in doc["_meta"]["hostvars"]["pi1"]


def test_playbook_group_vars_default_what_any_inventory_leaves_unset(tmp_path: Path) -> None:
    # An inventory like the sandbox's: same groups, no group_vars of its own, except one override.
    inv = tmp_path / "inv"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text(yaml.safe_dump({"all": {
        "vars": {"factory_lab_kind": "sandbox", "factory_lab_name": "sandbox"},
        "children": {"raspberries": {"hosts": {"pi1": None}}, "k3s_server": {"hosts": {"pi1": None}}},
    }}))
    (inv / "group_vars" / "raspberries.yml").write_text("factory_domain: example.test\n")
    doc = inventory_list(tmp_path, "-i", str(inv / "hosts.yml"), "--playbook-dir", "playbooks")
    pi1 = doc["_meta"]["hostvars"]["pi1"]
    assert pi1["factory_timezone"] == "Europe/Paris"  # from playbooks/group_vars/all
    assert pi1["factory_domain"] == "example.test"  # the inventory's group file wins
    assert pi1["factory_lab_kind"] == "sandbox"  # never shadowed by the playbook's group_vars
