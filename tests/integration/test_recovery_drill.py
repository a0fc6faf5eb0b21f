"""The disaster-recovery drill on the rehearsal lab, end to end on real data (see ``tests/drill.py``).

Known rows on pi2's PostgreSQL, a real backup by 05_backup, the database dropped and Vault sealed, the
recovery checklist walked in the app under Pilot with its restore run for real behind the typed
confirmation, and the same rows back. The drill makes the state it needs itself on the session's shared
rehearsal lab, so it does not depend on what other tests did there before it. Then, on the same lab, pi2's
disk is lost and the rows come back from the off-site copy the drill's backup made.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from actions.config import Settings
from actions.journal import open_journal
from tests.drill import DATABASE, SKIPPED, Drill, run_drill, run_offsite_drill

Drilled = tuple[Drill, str, str]
# A duration as actions.durations writes it: 0s, 59s, 1m04s, 2h05m, 3d4h.
SPAN = r"(?:\d+s|\d+m\d\ds|\d+h\d\dm|\d+d\d+h)"


@pytest.fixture(scope="module")
async def drilled(rehearsal_lab: tuple[Settings, object], tmp_path_factory: pytest.TempPathFactory) -> Drilled:
    """The drill, run once: the lab it leaves (rows restored, an off-site copy) serves the tests after it."""
    settings, status = rehearsal_lab
    return await run_drill(settings, status, tmp_path_factory.mktemp("drill"))


async def test_a_dropped_database_comes_back_through_the_recovery_checklist(
    rehearsal_lab: tuple[Settings, object], drilled: Drilled
) -> None:
    settings, _status = rehearsal_lab
    drill, before, report = drilled

    count, _digest = before.split()
    assert count == "5000", before
    # The restore ran for real (not only its check) and took the dump 05_backup wrote.
    runs = open_journal(settings.state_dir).runs()
    restores = [r for r in runs if r.playbook_path.endswith("recover/postgres_restore.yml")]
    assert [r.check for r in restores] == [False, True], restores
    assert restores[0].status == "ok" and restores[0].operator
    assert f"postgres_restore_database={DATABASE}" in restores[0].command
    assert f"postgres_restore_dump={drill.newest_dump}" in restores[0].command, restores[0].command
    backups = [r for r in runs if r.playbook_path.endswith("05_backup.yml")]
    assert backups and backups[0].status == "ok" and not backups[0].check

    # The report: each step's state and duration, the skips with their reasons, and the RTO.
    # `reachable` is proven by its live checks; only the rehearsal hosts' missing NTP client may fail it.
    reachable = re.search(rf"^\| reachable \| (done|skipped) \| {SPAN} \|.*$", report, re.M)
    assert reachable, report
    assert reachable.group(1) == "done", reachable.group(0)
    assert re.search(rf"^\| vault_unseal \| done \| {SPAN} \|", report, re.M), report
    assert re.search(rf"^\| restore_pg \| done \| {SPAN} \| 20m00s \|", report, re.M), report
    for step_id, reason in SKIPPED.items():
        assert f"| {step_id} | skipped |" in report and reason in report
    assert re.search(rf"^- recovery time \(RTO\): {SPAN} \(from the opening until `\w+` was done\)$", report, re.M)
    assert [name for name, _ in drill.phases][-1] == "disaster to rows verified"

    # PostgreSQL's password reached no file of the controller's state dir (journal, run artifacts), nor
    # the report. The rehearsal hosts' own disks are pi2's business: its backup role keeps a pgpass file.
    secret = drill.password.get_secret_value().encode()
    for path in Path(settings.state_dir).rglob("*"):
        if settings.rehearsal_dir in path.parents or not path.is_file() or path.is_symlink():
            continue
        assert secret not in path.read_bytes(), path
    assert secret.decode() not in report


def test_with_pi2_s_disk_lost_the_rows_come_back_from_off_site(
    rehearsal_lab: tuple[Settings, object], drilled: Drilled
) -> None:
    settings, _status = rehearsal_lab
    drill, before, _report = drilled
    assert drill.fingerprint() == before
    result = run_offsite_drill(drill, before)
    # The restore found no local dump, wrote the password file 05_backup had not, and fetched the dump the
    # drill's backup copied off-site; the rows are the ones written before the first disaster.
    assert result.status.value == "ok" and drill.fingerprint() == before
    assert drill.pi2("stat -c %a /root/.pgpass").strip() == "600"
    (fetched,) = drill.dumps()
    assert fetched.rsplit("/", 1)[1] == drill.newest_dump.rsplit("/", 1)[1]
    runs = [r for r in open_journal(settings.state_dir).runs()
            if r.playbook_path.endswith("recover/postgres_restore.yml")]
    assert runs[0].status == "ok" and not runs[0].check
