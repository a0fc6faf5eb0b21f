"""The real playbooks, 01_system to 05_backup, converge twice on the rehearsal lab.

Every role whose inputs are Debian packages or files of this repository converges (the second pass
changes nothing); every role that needs something from the internet says which artifact instead of failing
on a download; nothing fails. The guidebook's table (docs/rehearsal.md) is this run's table: the test
compares them, so the page can only be regenerated (`factory-tui rehearse --markdown`), never retyped.
"""

from __future__ import annotations

import re
from pathlib import Path

from actions import gates
from actions.config import Settings
from actions.journal import open_journal
from actions.lab import load_lab
from actions.rehearsal import RehearsalStatus
from actions.rehearsal.converge import converge, plan
from actions.rehearsal.tally import Verdict

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "rehearsal.md"
Lab = tuple[Settings, RehearsalStatus]


def page_table() -> list[tuple[str, str]]:
    """(role, verdict) of each row between the page's generated-table markers."""
    text = PAGE.read_text()
    block = text.split("<!-- rehearse:begin -->", 1)[1].split("<!-- rehearse:end -->", 1)[0]
    return [(m.group(1), m.group(2).strip()) for m in re.finditer(r"^\| `([\w-]+)` \| ([^|]+) \|", block, re.M)]


def test_the_playbooks_converge_twice_and_the_guidebook_shows_the_table(rehearsal_lab: Lab) -> None:
    settings, st = rehearsal_lab
    journal = open_journal(settings.state_dir)
    conv = plan(settings, load_lab(st.inventory), journal=journal)
    report = converge(conv, gates.issue(conv.request, confirmed=True, operator="ci"))
    rows = {r.role: r for r in report.rows}
    bad = [f"{r.role}: {r.verdict.value}: {r.detail}" for r in report.rows
           if r.verdict in (Verdict.FAILED, Verdict.CHANGES_AGAIN)]
    assert not bad, "\n".join(bad)
    converged = {r for r, row in rows.items() if row.verdict is Verdict.CONVERGED}
    assert {"preflight", "system_base", "system_dns", "system_iscsi", "backup"} <= converged, rows
    assert rows["k3s"].verdict is Verdict.NEEDS_ARTIFACT and "k3s/" in rows["k3s"].detail
    assert rows["system_docker"].verdict is Verdict.NEEDS_ARTIFACT
    assert page_table() == [(r.role, r.verdict.value) for r in report.rows], (
        "docs/rehearsal.md's table is not this run's: regenerate it with `factory-tui rehearse --markdown`"
    )
    # The throwaway Vault secrets went to ansible-playbook's environment only: no journal, run artifact or
    # log of the controller holds one. (The hosts' own disks are the hosts' business: pi2 keeps a pgpass.)
    values = [value.get_secret_value().encode() for _, value in conv.secret_env]
    assert values
    for path in settings.state_dir.rglob("*"):
        if settings.rehearsal_dir / "hosts" in path.parents or not path.is_file() or path.is_symlink():
            continue
        if path.stat().st_size < 50_000_000:
            data = path.read_bytes()
            assert not any(v in data for v in values), f"a Vault secret of the converge reached {path}"
