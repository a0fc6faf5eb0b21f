"""Backup freshness: the newest dump of each kind on the backup host, its age and size, and the age of the
last good off-site copy (the copy's status file), as health verdicts.

The kinds follow what ``05_backup``'s scripts write under ``backup_root``: ``postgres/<db>/<db>-*.dump``
(one kind per database), ``gitea/gitea-*.tar.gz``, and Longhorn's backup store on the NFS export,
``longhorn/backupstore/volumes/../<volume>/backups/backup_*.cfg`` (one kind per volume). A dump older than
``backup_warn_hours`` is a warning, older than ``backup_crit_hours`` critical; a dump under
``backup_shrink_ratio`` of the one before it is a warning (a Longhorn record's size says nothing of the
volume's, so Longhorn backups are judged by age only).
"""

from __future__ import annotations

import time
from pathlib import PurePosixPath

from pydantic import BaseModel, Field

from actions.config import Thresholds
from actions.durations import HOUR, duration_text
from actions.health.models import BackupFile, Finding, Reading, Snapshot, Status, worst
from actions.lab import DEFAULT_BACKUP_ROOT

#: Kinds every backup host must have at least one dump of; Longhorn's depends on the optional NFS export.
EXPECTED = ("postgres", "gitea")


class BackupKind(BaseModel):
    """The newest dump of one kind, and the verdict on it."""

    kind: str
    newest: str
    mtime: float
    age_s: float = Field(description="Seconds since the dump: what is judged and shown.")
    age_h: float = Field(description="The same age in hours, rounded for the JSON report.")
    size: int
    previous_size: int | None = None
    status: Status
    text: str


def kind_of(root: str, path: str) -> tuple[str, bool] | None:
    """(``postgres/gitea``, whether its size is comparable) for a file the backup scripts wrote, else None."""
    try:
        rel = PurePosixPath(path).relative_to(root).parts
    except ValueError:
        return None
    if len(rel) == 3 and rel[0] == "postgres" and rel[2].endswith(".dump") and rel[1] != "globals":
        return f"postgres/{rel[1]}", True
    if len(rel) == 2 and rel[0] == "gitea" and rel[1].startswith("gitea-") and rel[1].endswith(".tar.gz"):
        return "gitea", True
    if rel and rel[0] == "longhorn" and len(rel) >= 4 and rel[-2] == "backups" and rel[-1].startswith("backup_"):
        return f"longhorn/{rel[-3]}", False
    return None


def size_text(size: int) -> str:
    """``4.0 KiB``: a size as the operator reads it."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def _by_age(age_h: float, th: Thresholds) -> tuple[Status, str]:
    """The verdict on a backup ``age_h`` old, and the words to add to its text (the threshold it passed)."""
    if age_h > th.backup_crit_hours:
        return Status.CRITICAL, f" (past {th.backup_crit_hours:g} h)"
    if age_h > th.backup_warn_hours:
        return Status.WARN, f" (past {th.backup_warn_hours:g} h)"
    return Status.OK, ""


def _judge(kind: str, files: list[BackupFile], comparable: bool, now: float, th: Thresholds) -> BackupKind:
    files = sorted(files, key=lambda f: -f.mtime)
    newest = files[0]
    previous = files[1] if len(files) > 1 else None
    age_s = max(0.0, now - newest.mtime)
    age_h = age_s / HOUR
    name = PurePosixPath(newest.path).name
    status, past = _by_age(age_h, th)
    text = f"backup {kind}: {name}, {duration_text(age_s)} old, {size_text(newest.size)}{past}"
    if comparable and previous is not None and newest.size < th.backup_shrink_ratio * previous.size:
        status = Status.WARN if status is Status.OK else status
        text = f"{text}; under {th.backup_shrink_ratio:.0%} of the one before ({size_text(previous.size)})"
    return BackupKind(
        kind=kind, newest=newest.path, mtime=newest.mtime, age_s=age_s, age_h=round(age_h, 2), size=newest.size,
        previous_size=previous.size if previous is not None and comparable else None, status=status, text=text,
    )


def newest_by_kind(reading: Reading, th: Thresholds, now: float | None = None) -> list[BackupKind]:
    """Each kind's newest dump with its verdict, by kind name; empty when the host is no backup host.

    Ages are counted on the host's clock (this machine's plus the measured offset), as the files' times are.
    """
    if reading.backup_root is None or reading.backups is None:
        return []
    now = (reading.taken_at if now is None else now) + (reading.clock_offset_s or 0.0)
    groups: dict[str, tuple[bool, list[BackupFile]]] = {}
    for f in reading.backups:
        found = kind_of(reading.backup_root, f.path)
        if found is not None:
            groups.setdefault(found[0], (found[1], []))[1].append(f)
    return [_judge(kind, files, comparable, now, th) for kind, (comparable, files) in sorted(groups.items())]


class OffsiteVerdict(BaseModel):
    """The off-site copy beside the local dumps: its last run, the age of its last good copy, the verdict."""

    file: str
    recorded: bool = False
    ok: bool = False
    snapshot: str = ""
    age_s: float | None = Field(None, description="Seconds since the last good copy: what is judged and shown.")
    age_h: float | None = Field(None, description="The same age in hours, rounded for the JSON report.")
    error: str = ""
    status: Status
    text: str


def offsite_verdict(reading: Reading, th: Thresholds, now: float | None = None) -> OffsiteVerdict | None:
    """How old the last good off-site copy is and whether the last run failed (and why); None where the
    host keeps no off-site copy. Ages are counted on the host's clock, as the status file's times are.

    Its age is judged as a local dump's is; a failed run warns at least, and critical when no copy ever
    succeeded.
    """
    if reading.offsite_file is None:
        return None
    file = reading.offsite_file
    if reading.offsite_note:
        return OffsiteVerdict(file=file, status=Status.WARN, text=f"backup off-site: {reading.offsite_note}")
    st = reading.offsite
    if st is None:
        return OffsiteVerdict(file=file, status=Status.WARN, text=f"backup off-site: no copy recorded in {file}")
    now = (reading.taken_at if now is None else now) + (reading.clock_offset_s or 0.0)
    age = st.age(now)
    if age is None:
        status, last = Status.CRITICAL, "no copy ever succeeded"
    else:
        status, past = _by_age(age / HOUR, th)
        last = f"snapshot {st.snapshot or '?'}, {duration_text(age)} old{past}"
    if st.ok:
        text = f"backup off-site: {last}"
    else:
        status = worst([status, Status.WARN])
        text = f"backup off-site: FAILED: {st.error or 'no reason recorded'}; last good copy: {last}"
    return OffsiteVerdict(file=file, recorded=True, ok=st.ok, snapshot=st.snapshot, age_s=age,
                          age_h=None if age is None else round(age / HOUR, 2), error=st.error,
                          status=status, text=text)


def findings(reading: Reading, th: Thresholds) -> list[Finding]:
    """A verdict per kind and on the off-site copy, and a warning for each expected kind with no dump."""
    if reading.backup_root is None or reading.backups is None:
        return []
    kinds = newest_by_kind(reading, th)
    out = [Finding(signal=f"backup {k.kind}", status=k.status, text=k.text) for k in kinds]
    offsite = offsite_verdict(reading, th)
    if offsite is not None:
        out.append(Finding(signal="backup off-site", status=offsite.status, text=offsite.text))
    if reading.backups_note:
        out.append(Finding(signal="backups readable", status=Status.WARN, text=reading.backups_note))
    for expected in EXPECTED:
        if not any(k.kind == expected or k.kind.startswith(expected + "/") for k in kinds):
            text = f"no {expected} backup in {reading.backup_root}/{expected}"
            out.append(Finding(signal=f"backup {expected}", status=Status.WARN, text=text))
    return out


def newest_in(reading: Reading | None, directory: str) -> BackupFile | None:
    """The newest dump directly under ``directory`` (what a restore step would use), or None."""
    if reading is None or not reading.backups:
        return None
    base = directory.rstrip("/")
    files = [f for f in reading.backups if str(PurePosixPath(f.path).parent) == base]
    return max(files, key=lambda f: f.mtime, default=None)


def describe_pick(reading: Reading | None, directory: str, now: float | None = None) -> str:
    """``would use gitea-20261201T023000Z.dump, 8h30m old (12.0 MiB)``, or why there is none to name."""
    chosen = newest_in(reading, directory)
    if chosen is None:
        return f"no dump in {directory} seen by the health probe"
    now = time.time() if now is None else now
    offset = (reading.clock_offset_s if reading is not None else None) or 0.0
    return f"would use {chosen.path}, {duration_text(now + offset - chosen.mtime)} old ({size_text(chosen.size)})"


def under_root(directory: str, backup_root: str | None) -> str:
    """A checklist's backup directory, written under the role's default root, moved under the host's own
    ``backup_root`` when the inventory sets another."""
    default = DEFAULT_BACKUP_ROOT.rstrip("/")
    if backup_root and directory.startswith(default + "/"):
        return backup_root.rstrip("/") + directory[len(default):]
    return directory


def pick_line(snap: Snapshot | None, directory: str, now: float | None = None) -> str:
    """What a restore step from ``directory`` would use, from the backup host's latest reading."""
    if snap is not None:
        for state in snap.hosts:
            r = state.reading
            if r is not None and r.backup_root:
                return f"{state.name}: {describe_pick(r, under_root(directory, r.backup_root), now)}"
    return f"no health reading of the backups in {directory} yet"
