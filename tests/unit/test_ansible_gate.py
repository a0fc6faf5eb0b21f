"""Which playbook a name means, and the gate request of a run (pure logic over files and a journal)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from actions import gates
from actions.ansible.catalog import MissingVars, UnknownPlaybook, resolve_playbook
from actions.ansible.gate import build_request, command_line, extra_var_word
from actions.ansible.models import RunSpec
from actions.gates import Level
from actions.journal import RunRecord, open_journal


@pytest.fixture
def pdir(tmp_path: Path) -> Path:
    d = tmp_path / "ansible"
    (d / "playbooks" / "recover").mkdir(parents=True)
    for name in ("playbooks/site.yml", "playbooks/recover/longhorn.yml", "playbooks/restore_db.yml"):
        (d / name).write_text("- hosts: all\n  tasks: []\n")
    (d / "playbooks" / "catalog.yml").write_text(
        "playbooks:\n"
        "  - {path: playbooks/site.yml, title: Whole lab}\n"
        "  - {path: playbooks/restore_db.yml, title: Restore DB, destructive: true, confirm_name: gitea-db}\n"
        "  - {bogus: entry}\n"
    )
    return d


def test_resolution(pdir: Path) -> None:
    site = resolve_playbook("site", pdir)
    assert site.path == (pdir / "playbooks/site.yml").resolve() and site.title == "Whole lab"
    assert not site.destructive
    assert resolve_playbook("playbooks/site.yml", pdir).path == site.path
    assert resolve_playbook(str(site.path), pdir).title == "Whole lab"
    restore = resolve_playbook("restore_db", pdir)
    assert restore.destructive and restore.confirm_name == "gitea-db"
    # recover/ is destructive without any catalog entry; the name to type is the stem.
    rec = resolve_playbook("recover/longhorn", pdir)
    assert rec.destructive and rec.confirm_name == "longhorn"


def test_unknown_playbook_names_the_catalog(pdir: Path) -> None:
    with pytest.raises(UnknownPlaybook, match=r"unknown playbook 'nope'.*site"):
        resolve_playbook("nope", pdir)


def _spec(pdir: Path, **kw: object) -> RunSpec:
    base: dict[str, object] = dict(playbook="site", inventory=Path("/inv.yml"))
    base.update(kw)
    return RunSpec(**base)  # type: ignore[arg-type]


def test_command_line_is_exact(pdir: Path) -> None:
    pb = resolve_playbook("site", pdir)
    spec = _spec(pdir, limit="pi1:pi2", tags=("k3s", "dns"), extra_vars=(("a", "1 2"),), forks=3, check=True,
                 diff=True, become_password=SecretStr("hunter2"))
    assert command_line(spec, pb, "ansible-playbook") == (
        "ansible-playbook", "-i", "/inv.yml", "--limit", "pi1:pi2", "--tags", "k3s,dns", "-e", '{"a": "1 2"}',
        "--forks", "3", "--check", "--diff", "--ask-become-pass", str(pb.path),
    )
    assert "hunter2" not in repr(spec) and "hunter2" not in spec.model_dump_json()


@pytest.mark.parametrize("value", [
    "gitea", "", "a=b=c", "x{y}", "a,b:c/d@e", "two words", " padded ", "it's", 'say "hi"', "back\\slash",
    "tab\there", "line\nbreak", "{not json", "1", "true", "ünïcode",
])
def test_ansible_playbook_reads_each_extra_var_back_as_given(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The -e words go through ansible-playbook's own reading of -e (key=value or JSON) and come back whole."""
    from ansible.module_utils.common.collections import ImmutableDict
    from ansible.parsing.dataloader import DataLoader
    from ansible.utils.vars import load_extra_vars

    from ansible import context

    words = (extra_var_word("v", value), extra_var_word("db", "gitea"))
    monkeypatch.setattr(context, "CLIARGS", ImmutableDict(extra_vars=words))
    monkeypatch.setattr(load_extra_vars, "extra_vars", None, raising=False)  # it keeps its first answer
    assert load_extra_vars(DataLoader()) == {"v": value, "db": "gitea"}


def test_check_run_is_read_only(pdir: Path) -> None:
    req = build_request(_spec(pdir, check=True), resolve_playbook("site", pdir), ["pi1"], None, "ap")
    assert req.level is Level.READ_ONLY
    gates.require(None, req)  # no permit needed


def test_real_run_shows_last_check(tmp_path: Path, pdir: Path) -> None:
    j = open_journal(tmp_path / "state")
    pb = resolve_playbook("site", pdir)
    req = build_request(_spec(pdir, limit="pi1"), pb, ["pi1"], j, "ap")
    assert req.level is Level.CHANGE and req.suggest_check_first
    assert "last check: never checked" in req.details
    assert req.targets == ("pi1",) and req.command[-1] == str(pb.path) and "--check" not in req.command
    with pytest.raises(gates.GateRefused):
        gates.require(None, req)

    j.start_run(RunRecord(id="c1", playbook="site", playbook_path=str(pb.path), inventory="/inv.yml",
                          limit="pi1", check=True, operator="ann", started_at=time.time(), status="running"))
    j.finish_run("c1", status="ok", rc=0, message="", recap={"pi1": {"ok": 2, "changed": 1}})
    req2 = build_request(_spec(pdir, limit="pi1"), pb, ["pi1"], j, "ap")
    assert not req2.suggest_check_first
    assert any(d.startswith("last check: ok") and "by ann" in d and "pi1 (1)" in d for d in req2.details)
    # Another limit was never checked.
    assert build_request(_spec(pdir, limit="pi2"), pb, ["pi2"], j, "ap").suggest_check_first
    # A permit for the first request does not fit the second.
    permit = gates.issue(req, confirmed=True)
    with pytest.raises(gates.GateRefused, match="different action"):
        gates.require(permit, req2)

    j.start_run(RunRecord(id="c2", playbook="site", playbook_path=str(pb.path), inventory="/inv.yml",
                          limit="pi1", check=True, operator="bob", started_at=time.time() + 1, status="running"))
    j.finish_run("c2", status="failed", rc=2, message="", recap={})
    assert build_request(_spec(pdir, limit="pi1"), pb, ["pi1"], j, "ap").suggest_check_first


def test_destructive_needs_the_typed_name(pdir: Path) -> None:
    pb = resolve_playbook("recover/longhorn", pdir)
    req = build_request(_spec(pdir, playbook="recover/longhorn"), pb, ["pi1", "pi2"], None, "ap")
    assert req.level is Level.DESTRUCTIVE and req.confirm_name == "longhorn"
    with pytest.raises(gates.GateRefused):
        gates.issue(req, confirmed=True, typed_name="longhor")
    gates.require(gates.issue(req, confirmed=True, typed_name="longhorn"), req)


def test_catalog_confirm_var_and_required_vars(tmp_path: Path) -> None:
    d = tmp_path / "ansible"
    (d / "playbooks" / "recover").mkdir(parents=True)
    (d / "playbooks" / "recover" / "pg.yml").write_text("- hosts: all\n  tasks: []\n")
    (d / "playbooks" / "catalog.yml").write_text(
        "playbooks:\n"
        "  - path: playbooks/recover/pg.yml\n"
        "    destructive: true\n"
        "    confirm_name: pg\n"
        "    confirm_var: db\n"
        "    required_vars: [db]\n"
    )
    pb = resolve_playbook("recover/pg", d)
    with pytest.raises(MissingVars, match="-e db="):
        pb.for_vars({})
    chosen = pb.for_vars({"db": "gitea"})
    assert chosen.confirm_name == "gitea"  # the operator types the real target: the database
    req = build_request(_spec(d, playbook="recover/pg", extra_vars=(("db", "gitea"),)), chosen, ["pi2"], None, "ap")
    assert req.level is Level.DESTRUCTIVE and req.confirm_name == "gitea"
