"""One backup age reads the same wherever it is shown: the health screen's backups line, the finding's text
(host detail) and the verdict all count the exact seconds; only the JSON report's hours are rounded."""

from __future__ import annotations

from actions.config import Thresholds
from actions.health.backups import newest_by_kind, offsite_verdict
from actions.health.models import BackupFile, HostState, Reading, Snapshot
from actions.health.offsite import OffsiteStatus
from tui.screens.health import backups_line

NOW = 1_800_000_000.0
# 7h17m50s: the rounded hours (7.30 h) would read 7h18m.
AGE = 7 * 3600 + 17 * 60 + 50


def reading() -> Reading:
    return Reading(
        taken_at=NOW, rtt_ms=1.0, probe_ms=2.0, backup_root="/mnt/backups",
        backups=[BackupFile(path="/mnt/backups/gitea/gitea-1.tar.gz", mtime=NOW - AGE, size=10_000)],
        offsite_file="/var/lib/factory-backup/offsite.status",
        offsite=OffsiteStatus(last_attempt=NOW - AGE, ok=True, last_success=NOW - AGE, snapshot="ab12",
                              repository="gs:b:/restic"),
    )


def test_an_age_reads_alike_on_the_line_in_the_finding_and_in_the_verdict() -> None:
    th = Thresholds()
    r = reading()
    (kind,) = newest_by_kind(r, th, NOW)
    assert kind.age_s == AGE and kind.age_h == 7.3
    assert "7h17m old" in kind.text
    offsite = offsite_verdict(r, th, NOW)
    assert offsite is not None and offsite.age_s == AGE and "7h17m old" in offsite.text
    snap = Snapshot(taken_at=NOW, interval=2.0,
                    hosts=[HostState(name="pi2", address="10.0.0.2", port=22, reading=r)])
    line = str(backups_line(snap, th))
    assert "gitea 7h17m" in line and "off-site 7h17m" in line and "7h18m" not in line


def test_the_verdict_is_on_the_exact_age() -> None:
    # 26 h and 10 s old is past a 26 h warning, though its hours rounded to 0.01 (26.0) are not.
    th = Thresholds(backup_warn_hours=26)
    for age, status in ((26 * 3600 + 10, "warn"), (26 * 3600 - 60, "ok")):
        r = reading().model_copy(update={
            "backups": [BackupFile(path="/mnt/backups/gitea/gitea-1.tar.gz", mtime=NOW - age, size=10_000)],
            "offsite": OffsiteStatus(last_attempt=NOW, ok=True, last_success=NOW - age, snapshot="ab12"),
        })
        (kind,) = newest_by_kind(r, th, NOW)
        offsite = offsite_verdict(r, th, NOW)
        assert offsite is not None
        assert (kind.status.value, offsite.status.value) == (status, status), (age, kind, offsite)
