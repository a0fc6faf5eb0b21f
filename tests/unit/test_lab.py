"""The lab model resolves hosts exactly as Ansible does, and a broken inventory gives one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.config import REPO_ROOT
from actions.lab import InventoryError, load_lab


def test_real_inventory_has_the_three_pis_and_groups() -> None:
    lab = load_lab(REPO_ROOT / "ansible" / "inventory" / "hosts.yml")
    assert lab.kind == "real"
    assert lab.host_names() == ["pi1", "pi2", "pi3"]
    assert "pi2" in lab.groups["docker_hosts"]
    assert set(lab.groups["gitea_runners"]) == {"pi1", "pi3"}


def test_host_vars_group_vars_and_ssh_args_resolve_like_ansible(tmp_path: Path) -> None:
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "hosts.yml").write_text(
        "all:\n  vars:\n    factory_lab_kind: sandbox\n    factory_vault_addr: http://127.0.0.1:8200\n"
        "  children:\n    web:\n      hosts:\n        a: {ansible_host: 10.0.0.1}\n        b:\n"
    )
    (tmp_path / "host_vars" / "a.yml").write_text("ansible_port: 2200\nansible_user: pi\n")
    (tmp_path / "group_vars" / "web.yml").write_text(
        "ansible_ssh_private_key_file: ~/.ssh/lab\n"
        "ansible_ssh_common_args: '-o UserKnownHostsFile=/tmp/kh -o StrictHostKeyChecking=yes'\n"
    )
    lab = load_lab(tmp_path / "hosts.yml")
    a, b = lab.host("a"), lab.host("b")
    assert (a.address, a.port, a.user) == ("10.0.0.1", 2200, "pi")
    assert (b.address, b.port, b.user) == ("b", 22, None)
    assert a.key_file == Path.home() / ".ssh" / "lab"
    assert a.known_hosts == Path("/tmp/kh")
    assert a.groups == ["web"]
    assert lab.kind == "sandbox" and lab.vault_addr == "http://127.0.0.1:8200"
    assert lab.resolve_limit("web:!b") == ["a"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("all:\n  hosts: [\n", "invalid YAML (line 3"),
        ("all:\n  children:\n    x: {}\n", "has no hosts"),
    ],
)
def test_broken_inventory_names_the_path(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "inv.yml"
    path.write_text(content)
    with pytest.raises(InventoryError) as err:
        load_lab(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_missing_inventory(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="inventory not found"):
        load_lab(tmp_path / "nope.yml")
