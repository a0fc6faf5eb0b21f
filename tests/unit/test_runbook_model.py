"""Runbook files: valid ones load; a broken one is rejected with file, step and field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.runbooks.model import PlaybookAction, RunbookError, load_runbook

GOOD = """
name: demo
title: Demo
kind: recovery
steps:
  - id: first
    title: First
    doc: docs/a.md
    action: {type: manual, instructions: do it}
    verify: [all_hosts_reachable]
  - id: second
    title: Second
    doc: docs/a.md
    requires: ["step:first", vault_initialized]
    action: {type: playbook, playbook: playbooks/x.yml, limit: pi1}
    verify:
      - container_running: {host: pi2, container: gitea}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# a\n")
    (tmp_path / "ansible" / "playbooks").mkdir(parents=True)
    (tmp_path / "ansible" / "playbooks" / "x.yml").write_text("- hosts: all\n")
    return tmp_path


def write(repo: Path, text: str) -> Path:
    path = repo / "book.yml"
    path.write_text(text)
    return path


def test_good_runbook_loads(repo: Path) -> None:
    book = load_runbook(write(repo, GOOD), repo_root=repo)
    second = book.step("second")
    assert second.required_steps() == ["first"]
    assert [p.name for p in second.required_predicates()] == ["vault_initialized"]
    assert isinstance(second.action, PlaybookAction) and second.action.check_first is True
    assert second.verify[0].args == {"host": "pi2", "container": "gitea"}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("verify: [all_hosts_reachable]", "verify: [all_hosts_reachble]",
         "step first: unknown predicate 'all_hosts_reachble'"),
        ("playbooks/x.yml", "playbooks/nope.yml",
         "step second, field action.playbook: unknown playbook playbooks/nope.yml"),
        ("doc: docs/a.md\n    action: {type: manual", "doc: docs/zz.md\n    action: {type: manual",
         "step first, field doc: no such page docs/zz.md"),
        ("type: manual, instructions: do it", "type: manul, instructions: do it", "step first, field action"),
        ("type: manual, instructions: do it", "type: manual", "step first, field action.manual.instructions"),
        ('"step:first"', '"step:third"', "step second, field requires: 'third' is not an earlier step"),
        ("{host: pi2, container: gitea}", "{host: pi2}", "predicate container_running: missing argument(s) container"),
        ("title: Second", "title: Second\n    colour: red", "step second, field colour"),
    ],
)
def test_broken_runbook_names_file_step_and_field(repo: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    path = write(repo, GOOD.replace(old, new, 1))
    with pytest.raises(RunbookError) as err:
        load_runbook(path, repo_root=repo)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_bad_yaml(repo: Path) -> None:
    with pytest.raises(RunbookError, match="invalid YAML"):
        load_runbook(write(repo, "name: [\n"), repo_root=repo)
