"""The roles of arcodange.factory: documented, validated, named as the lab names them, idempotent by construction."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.config import REPO_ROOT

ANSIBLE = REPO_ROOT / "ansible"
ROLES = sorted(p for p in (ANSIBLE / "roles").iterdir() if p.is_dir())
ROLE_NAMES = [p.name for p in ROLES]
DOCS_ROLES = REPO_ROOT / "docs" / "roles"
NAMED_BY_THE_LAB = {
    "deploy_docker_compose", "gitea_token", "gitea_secrets", "gitea_runner", "traefik_certs", "playwright",
    "postgres", "gitea", "k3s", "backup", "longhorn_dr", "preflight",
}
SECRETISH = re.compile(r"(password|passwd|token|secret|_key)$", re.I)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_the_lab_s_role_names_exist() -> None:
    assert set(ROLE_NAMES) >= NAMED_BY_THE_LAB, NAMED_BY_THE_LAB - set(ROLE_NAMES)


@pytest.mark.parametrize("role", ROLES, ids=ROLE_NAMES)
def test_role_has_defaults_specs_readme_and_tasks(role: Path) -> None:
    for rel in ("defaults/main.yml", "meta/argument_specs.yml", "meta/main.yml", "README.md", "tasks/main.yml"):
        assert (role / rel).is_file(), f"{role.name}: missing {rel}"


@pytest.mark.parametrize("role", ROLES, ids=ROLE_NAMES)
def test_every_default_is_specified_documented_and_prefixed(role: Path) -> None:
    defaults = load(role / "defaults/main.yml") or {}
    specs = load(role / "meta/argument_specs.yml")["argument_specs"]
    options = specs["main"].get("options", {})
    readme = (role / "README.md").read_text()
    for name in defaults:
        assert name.startswith(role.name + "_"), f"{role.name}: {name} lacks the role prefix"
        assert name in options, f"{role.name}: default {name} is not in argument_specs"
        assert f"`{name}`" in readme, f"{role.name}: {name} is not in the README"
    for name, opt in options.items():
        assert opt.get("description"), f"{role.name}: {name} has no description"
        assert opt.get("type") in {"str", "int", "bool", "list", "dict", "path", "float", "raw"}
        # An option is either required or has a default: a role never reads an undefined variable.
        assert opt.get("required") or name in defaults, f"{role.name}: {name} has neither default nor required"


@pytest.mark.parametrize("role", ROLES, ids=ROLE_NAMES)
def test_every_tasks_file_used_as_entry_point_has_a_spec(role: Path) -> None:
    specs = load(role / "meta/argument_specs.yml")["argument_specs"]
    used = set()
    for path in (ANSIBLE / "playbooks").rglob("*.yml"):
        used |= set(re.findall(rf"name: {role.name}\n\s+tasks_from: (\w+)", path.read_text()))
    for entry in used:
        assert (role / "tasks" / f"{entry}.yml").is_file()
        assert entry in specs, f"{role.name}: tasks_from {entry} has no argument spec"


def family_page(role: str) -> Path | None:
    """The role's family page: docs/roles/<longest underscore prefix of the role name>.md."""
    parts = role.split("_")
    for n in range(len(parts), 0, -1):
        page = DOCS_ROLES / ("_".join(parts[:n]) + ".md")
        if page.is_file():
            return page
    return None


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_role_has_a_family_page_that_names_it(role: str) -> None:
    page = family_page(role)
    assert page is not None, f"no docs/roles page for {role}"
    assert f"`{role}`" in page.read_text(), f"{page.name} does not describe {role}"
    assert f"docs/roles/{page.name}" in (ANSIBLE / "roles" / role / "README.md").read_text()


def tasks_in(node: Any) -> Iterator[dict]:
    if isinstance(node, list):
        for item in node:
            yield from tasks_in(item)
    elif isinstance(node, dict):
        if any(k in node for k in ("block", "rescue", "always")):
            for key in ("block", "rescue", "always"):
                yield from tasks_in(node.get(key, []))
        elif "tasks" in node or "roles" in node or "handlers" in node:
            for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                yield from tasks_in(node.get(key, []))
        else:
            yield node


def task_files() -> list[Path]:
    files = []
    for role in ROLES:
        for sub in ("tasks", "handlers"):
            files += sorted((role / sub).glob("*.yml"))
    files += sorted(p for p in (ANSIBLE / "playbooks").rglob("*.yml") if "group_vars" not in p.parts)
    return files


@pytest.mark.parametrize("path", task_files(), ids=lambda p: str(p.relative_to(ANSIBLE)))
def test_commands_say_when_they_change(path: Path) -> None:
    for task in tasks_in(load(path)):
        module = next((k for k in task if k.split(".")[-1] in {"command", "shell", "raw", "script"}), None)
        if module is None:
            continue
        args = task[module] if isinstance(task[module], dict) else {}
        assert "changed_when" in task or "creates" in args or "removes" in args, (
            f"{path.name}: '{task.get('name')}' runs a command without changed_when/creates/removes"
        )


def var_files() -> list[Path]:
    roots = [ANSIBLE / "inventory", ANSIBLE / "playbooks" / "group_vars"]
    files = [p for root in roots for p in root.rglob("*.yml")]
    files += [role / "defaults/main.yml" for role in ROLES]
    return files


def walk(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, str(k))
    elif isinstance(node, list):
        for v in node:
            yield from walk(v, key)
    else:
        yield key, node


@pytest.mark.parametrize("path", var_files(), ids=lambda p: str(p.relative_to(ANSIBLE)))
def test_no_secret_in_clear(path: Path) -> None:
    for key, value in walk(load(path) or {}):
        if not SECRETISH.search(key) or value in (None, "", [], {}):
            continue
        # A secret's value is only ever a reference: a Vault lookup or another variable.
        assert isinstance(value, str) and value.strip().startswith("{{"), f"{path.name}: {key} looks like a secret"


def test_k3s_version_is_pinned() -> None:
    assert load(ANSIBLE / "roles/k3s/defaults/main.yml")["k3s_version"] == "v1.34.3+k3s1"


def test_inventory_keeps_the_lab_s_hosts_groups_and_vars() -> None:
    doc = load(ANSIBLE / "inventory/hosts.yml")["all"]
    assert {"factory_lab_name", "factory_lab_kind"} <= set(doc["vars"])
    groups = doc["children"]
    assert set(groups["raspberries"]["hosts"]) == {"pi1", "pi2", "pi3"}
    for group in ("k3s_server", "k3s_agents", "docker_hosts", "gitea_runners", "backup_target"):
        assert group in groups
    assert set(groups["docker_hosts"]["hosts"]) == {"pi2"}
    assert set(groups["gitea_runners"]["hosts"]) == {"pi1", "pi3"}


def test_playbook_group_vars_do_not_shadow_the_inventory() -> None:
    # Playbook group_vars/all outrank the inventory's own vars: the lab's identity must not be set there.
    for path in (ANSIBLE / "playbooks" / "group_vars").rglob("*.yml"):
        keys = set(load(path) or {})
        shadowed = keys & {"factory_lab_name", "factory_lab_kind", "vault_addr", "factory_vault_addr", "ansible_user"}
        assert not shadowed, f"{path.name} would override the inventory's {shadowed}"


def test_recover_playbooks_see_the_playbook_group_vars() -> None:
    link = ANSIBLE / "playbooks" / "recover" / "group_vars"
    assert link.resolve() == (ANSIBLE / "playbooks" / "group_vars").resolve()
