"""The off-site copy's status file, read into the off-site age the health screen shows beside the
local backups' age.

The backup role's ``factory-offsite-backup`` writes the file on the backup host after every run
(format in docs/roles/backup.md): key=value lines, times in Unix seconds. A failed run keeps the
last success, so the age keeps growing while the copies fail, and the error says why.
"""

from __future__ import annotations

from pydantic import BaseModel

from actions.durations import ago_text
from actions.keyvalue import key_value_lines
from actions.lab import DEFAULT_OFFSITE_STATUS_FILE

STATUS_FILE = DEFAULT_OFFSITE_STATUS_FILE


class OffsiteStatus(BaseModel):
    """The last off-site copy as the backup host recorded it."""

    last_success: float | None
    last_attempt: float | None
    ok: bool
    error: str = ""
    snapshot: str = ""
    repository: str = ""

    def age(self, now: float) -> float | None:
        """Seconds since the last successful copy; None when none ever succeeded."""
        return None if self.last_success is None else max(0.0, now - self.last_success)


def _stamp(value: str) -> float | None:
    try:
        stamp = float(value)
    except ValueError:
        return None
    return stamp if stamp > 0 else None


def parse_offsite_status(text: str) -> OffsiteStatus | None:
    """The status file's text; None when it holds no run at all (empty, or not this file)."""
    fields = key_value_lines(text)
    if "result" not in fields:
        return None
    return OffsiteStatus(
        last_success=_stamp(fields.get("last_success", "")),
        last_attempt=_stamp(fields.get("last_attempt", "")),
        ok=fields["result"] == "ok",
        error=fields.get("error", ""),
        snapshot=fields.get("last_snapshot", ""),
        repository=fields.get("repository", ""),
    )


def describe(status: OffsiteStatus | None, now: float) -> str:
    """One reading: ``off-site 3h00m ago (2294a4be)``, or the failure and the last good copy's age."""
    if status is None:
        return "off-site: no copy recorded yet"
    age = status.age(now)
    last = "never copied" if age is None else f"{ago_text(age)} ({status.snapshot or '?'})"
    if status.ok:
        return f"off-site {last}"
    return f"off-site FAILED: {status.error or 'no reason recorded'}; last good copy {last}"
