"""The off-site status file read into an age and one reading (the file itself comes from the real
script in tests/integration/test_offsite_backup.py; these cover the reading's wording and edges)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from actions.config import load_settings
from actions.health.offsite import describe, parse_offsite_status
from actions.lab import Host, Lab
from actions.runbooks.predicates import PREDICATES, Live

OK = "last_attempt=1000\nresult=ok\nlast_success=1000\nlast_snapshot=2294a4be\nerror=\nrepository=gs:b:/restic\n"
FAILED = ("last_attempt=5000\nresult=failed\nlast_success=1000\nlast_snapshot=2294a4be\n"
          "error=wrong repository password (check kv/infra/backup and /etc/factory-backup/offsite.pass)\n"
          "repository=gs:b:/restic\n")
NEVER = "last_attempt=5000\nresult=failed\nlast_success=0\nlast_snapshot=\nerror=no repository at gs:b:/restic\n"


def test_a_success_reads_as_its_age_and_snapshot() -> None:
    status = parse_offsite_status(OK)
    assert status is not None and status.ok and status.age(1000 + 3 * 3600) == 3 * 3600
    assert describe(status, 1000 + 3 * 3600) == "off-site 3h00m ago (2294a4be)"


def test_a_failure_keeps_the_last_good_copy_s_age_and_says_why() -> None:
    status = parse_offsite_status(FAILED)
    assert status is not None and not status.ok and status.age(1000 + 86400) == 86400
    assert describe(status, 1000 + 86400) == (
        "off-site FAILED: wrong repository password (check kv/infra/backup and "
        "/etc/factory-backup/offsite.pass); last good copy 1d0h ago (2294a4be)")


def test_never_copied_and_no_file() -> None:
    status = parse_offsite_status(NEVER)
    assert status is not None and status.age(9999) is None
    assert describe(status, 9999).endswith("last good copy never copied")
    assert parse_offsite_status("") is None and parse_offsite_status("garbage\n") is None
    assert describe(None, 0) == "off-site: no copy recorded yet"


def check_with(text: str, now_offset: float, **args: object) -> tuple[bool | None, str]:
    """offsite_fresh over a host that answers `cat` with ``text`` (written ``now_offset`` s before now)."""
    shifted = text.replace("=1000", f"={int(time.time() - now_offset)}")

    async def ssh(host: str, command: str) -> tuple[int, str]:
        assert host == "pi2" and command.startswith("cat /var/lib/factory-backup/offsite.status")
        return 0, shifted

    lab = Lab(name="t", inventory=Path("/x"), hosts=[Host(name="pi2", address="pi2")],
              groups={"backup_target": ["pi2"]})
    live = Live(settings=load_settings(None, state_dir=Path("/tmp/unused")), lab=lab, ssh=ssh)
    result = asyncio.run(PREDICATES["offsite_fresh"](live, dict(args)))
    return result.ok, result.reading


def test_offsite_fresh_judges_success_and_age() -> None:
    assert check_with(OK, 3600)[0] is True
    assert check_with(OK, 30 * 3600)[0] is False
    assert check_with(OK, 30 * 3600, max_age_hours=48)[0] is True
    ok, reading = check_with(FAILED, 60)
    assert ok is False and reading.startswith("off-site FAILED: wrong repository password")
    assert check_with("", 0) == (False, "off-site: no copy recorded yet")


def test_the_probe_s_offsite_section() -> None:
    from actions.health.parse import parse_offsite

    assert parse_offsite(f"file /s\n{OK}rc 0\n") == ("/s", parse_offsite_status(OK), None)
    assert parse_offsite("file /s\nabsent\n") == ("/s", None, None)
    assert parse_offsite("file /s\nrc 1\n") == ("/s", None, "the off-site status /s cannot be read (cat exited 1)")
