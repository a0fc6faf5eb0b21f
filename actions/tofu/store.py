"""Saved plans: ``<state_dir>/plans/<root>/plan.tfplan`` plus ``plan.json``, the plan's small record.

The record holds when the plan was made, the state serial and lineage it was made against, its counts and
its status; never a value from the plan. The plan file itself is the binary's own (it embeds the prior
state), so the directory is private to the operator (0700, files 0600).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from actions.config import Settings
from actions.durations import duration_text
from actions.tofu.summary import Counts

Status = Literal["no-changes", "changes", "failed", "cancelled", "applied", "apply-failed"]
PLAN_FILE = "plan.tfplan"
RECORD_FILE = "plan.json"


class PlanRecord(BaseModel):
    """What the plans screen lists for a root, and what apply checks before it runs."""

    root: str
    status: Status
    created_at: datetime
    binary: str = ""
    backend: bool = True
    serial: int | None = Field(default=None, description="State serial the plan was made against.")
    lineage: str | None = Field(default=None, description="State lineage the plan was made against.")
    plan_sha256: str | None = None
    counts: Counts | None = None
    destructive: bool = False
    message: str = Field(default="", description="Why it failed, or what the apply did.")
    applied_at: datetime | None = None

    def age(self, now: datetime | None = None) -> timedelta:
        """How old the plan is at ``now``."""
        return (now or datetime.now(UTC)) - self.created_at


def plan_dir(settings: Settings, root_name: str) -> Path:
    """The directory of the root's saved plan."""
    return settings.state_dir / "plans" / Path(*root_name.split("/"))


def plan_path(settings: Settings, root_name: str) -> Path:
    """The root's saved plan file."""
    return plan_dir(settings, root_name) / PLAN_FILE


def ensure_plan_dir(settings: Settings, root_name: str) -> Path:
    """Make the root's plan directory, private to the operator (0700)."""
    path = plan_dir(settings, root_name)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    (settings.state_dir / "plans").chmod(0o700)
    path.chmod(0o700)
    return path


def load_record(settings: Settings, root_name: str) -> PlanRecord | None:
    """The root's last record, or None when there is none (or it cannot be read: treated as no plan)."""
    path = plan_dir(settings, root_name) / RECORD_FILE
    try:
        return PlanRecord.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError):
        return None


def save_record(settings: Settings, record: PlanRecord) -> Path:
    """Write the record atomically (a reader in another app instance never sees half of it)."""
    folder = ensure_plan_dir(settings, record.root)
    path = folder / RECORD_FILE
    tmp = path.with_suffix(".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(record.model_dump_json(indent=2))
    tmp.replace(path)
    return path


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def plan_state_ids(plan_file: Path) -> tuple[int, str]:
    """Serial and lineage of the state the plan was made against (a saved plan embeds it as ``tfstate``)."""
    with zipfile.ZipFile(plan_file) as zf:
        doc = json.loads(zf.read("tfstate"))
    return int(doc.get("serial") or 0), str(doc.get("lineage") or "")


def state_ids(pulled: bytes) -> tuple[int, str]:
    """Serial and lineage from ``state pull`` output; no state at all reads as (0, "")."""
    text = pulled.strip()
    if not text:
        return 0, ""
    doc = json.loads(text)
    return int(doc.get("serial") or 0), str(doc.get("lineage") or "")


def stale_reason(
    record: PlanRecord,
    current: tuple[int, str],
    max_age_minutes: float,
    now: datetime | None = None,
) -> str | None:
    """Why the saved plan may not be applied any more, or None when it is fresh."""
    age = record.age(now)
    if age > timedelta(minutes=max_age_minutes):
        return (
            f"the plan of {record.root} is {duration_text(age.total_seconds())} old "
            f"(limit {max_age_minutes:g} min): plan again"
        )
    serial, lineage = current
    if record.lineage is not None and lineage != record.lineage:
        return f"the state of {record.root} was replaced since the plan (lineage changed): plan again"
    if record.serial is not None and serial != record.serial:
        return (
            f"the state of {record.root} changed since the plan (serial {record.serial} -> {serial}): "
            "plan again"
        )
    return None
