"""The playbook catalog (ansible/playbooks/catalog.yml): complete, consistent, and honest about danger."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.config import REPO_ROOT

ANSIBLE = REPO_ROOT / "ansible"
PLAYBOOKS = ANSIBLE / "playbooks"
CATALOG = PLAYBOOKS / "catalog.yml"
FIELDS = {"path", "title", "doc", "destructive", "confirm_name", "hosts"}
OPTIONAL = {"confirm_var", "required_vars", "tags"}


def playbook_files() -> set[str]:
    found = set()
    for path in PLAYBOOKS.rglob("*.yml"):
        rel = path.relative_to(PLAYBOOKS)
        if path == CATALOG or "group_vars" in rel.parts:
            continue
        found.add(str(path.relative_to(ANSIBLE)))
    return found


def entries() -> list[dict]:
    return yaml.safe_load(CATALOG.read_text())["playbooks"]


def inventory_groups() -> set[str]:
    doc = yaml.safe_load((ANSIBLE / "inventory" / "hosts.yml").read_text())
    return set(doc["all"]["children"]) | {"all"}


def test_catalog_lists_every_playbook_exactly_once() -> None:
    paths = [e["path"] for e in entries()]
    assert len(paths) == len(set(paths))
    assert set(paths) == playbook_files()


def test_numbered_playbooks_01_to_06_are_there() -> None:
    stems = {Path(p).stem for p in playbook_files()}
    for prefix in ("00_", "01_", "02_", "03_", "04_", "05_", "06_"):
        assert any(s.startswith(prefix) for s in stems), prefix


@pytest.mark.parametrize("entry", entries(), ids=lambda e: e["path"])
def test_entry_fields(entry: dict) -> None:
    assert set(entry) >= FIELDS, FIELDS - set(entry)
    assert set(entry) <= FIELDS | OPTIONAL, set(entry) - FIELDS - OPTIONAL
    assert isinstance(entry["destructive"], bool)
    assert entry["title"].strip()
    # The page is named after the playbook: docs/playbooks/<same relative path>.md
    expected_doc = "docs/" + str(Path(entry["path"]).with_suffix(".md"))
    assert entry["doc"] == expected_doc
    assert (REPO_ROOT / entry["doc"]).is_file(), entry["doc"]


@pytest.mark.parametrize("entry", entries(), ids=lambda e: e["path"])
def test_destructive_means_recover_and_a_name_to_type(entry: dict) -> None:
    is_recover = entry["path"].startswith("playbooks/recover/")
    assert entry["destructive"] is is_recover
    if entry["destructive"]:
        assert isinstance(entry["confirm_name"], str) and entry["confirm_name"].strip()
        text = (ANSIBLE / entry["path"]).read_text()
        assert "DESTRUCTIVE" in text.splitlines()[1], "a destructive playbook says so in its first comment"
        if "confirm_var" in entry:
            assert entry["confirm_var"] in text or entry["confirm_var"].startswith("longhorn_dr_")
    else:
        assert entry["confirm_name"] is None
        assert "confirm_var" not in entry


@pytest.mark.parametrize("entry", entries(), ids=lambda e: e["path"])
def test_hosts_pattern_names_real_groups(entry: dict) -> None:
    groups = inventory_groups()
    for part in entry["hosts"].split(":"):
        name = re.sub(r"\[.*\]$", "", part.lstrip("&!"))
        assert name in groups, f"{entry['path']}: unknown group {name!r}"


@pytest.mark.parametrize("entry", entries(), ids=lambda e: e["path"])
def test_required_vars_are_checked_by_the_playbook(entry: dict) -> None:
    text = (ANSIBLE / entry["path"]).read_text()
    for var in entry.get("required_vars", []):
        assert f"-e {var}=" in text, f"{entry['path']} does not document {var}"


@pytest.mark.parametrize("entry", entries(), ids=lambda e: e["path"])
def test_tags_exist_in_the_playbook_or_its_roles(entry: dict) -> None:
    text = (ANSIBLE / entry["path"]).read_text()
    for tag in entry.get("tags", []):
        if tag == "preflight":
            assert "00_preflight.yml" in text or entry["path"].endswith("00_preflight.yml")
        elif tag == "run_now":
            assert "run_now" in (ANSIBLE / "roles/backup/tasks/main.yml").read_text()
        else:
            assert re.search(rf"\b{re.escape(tag)}\b", text), f"{entry['path']}: no tag {tag}"


def test_every_numbered_playbook_starts_with_the_preflight() -> None:
    for rel in playbook_files():
        if rel.endswith("00_preflight.yml"):
            continue
        plays = yaml.safe_load((ANSIBLE / rel).read_text())
        assert plays[0].get("ansible.builtin.import_playbook", "").endswith("00_preflight.yml"), rel
        for play in plays[1:]:
            assert play.get("gather_facts") is False, f"{rel}: {play['name']} gathers facts again"
