"""A snapshot as a JSON document and an exit code, for `factory-tui health` and scripts.

Exit codes: 0 every host ok, 1 a warning (or a host not read yet), 2 a critical signal or a host that is
unreachable or refused.
"""

from __future__ import annotations

import time
from typing import Any

from actions.config import Thresholds
from actions.health.backups import newest_by_kind, offsite_verdict
from actions.health.evaluate import host_findings, is_stale
from actions.health.models import Snapshot, Status, worst

EXIT_CODES = {Status.OK: 0, Status.UNKNOWN: 1, Status.WARN: 1, Status.CRITICAL: 2}


def host_statuses(snap: Snapshot, th: Thresholds, now: float | None = None) -> dict[str, Status]:
    """Each host's overall status."""
    return {h.name: host_findings(h, th, snap.interval, now)[0] for h in snap.hosts}


def overall(snap: Snapshot, th: Thresholds, now: float | None = None) -> Status:
    """The lab's overall status: its worst host's."""
    return worst(list(host_statuses(snap, th, now).values()))


def exit_code(snap: Snapshot, th: Thresholds, now: float | None = None) -> int:
    """The CLI's exit status for the lab: 0 ok, 1 warn, 2 critical or unreachable."""
    return EXIT_CODES[overall(snap, th, now)]


def _iso(t: float | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(t))


def to_json(snap: Snapshot, th: Thresholds, now: float | None = None) -> dict[str, Any]:
    """One object per host with every signal, its findings and status, and the overall status."""
    now = time.time() if now is None else now
    hosts: list[dict[str, Any]] = []
    statuses: list[Status] = []
    for h in snap.hosts:
        status, findings = host_findings(h, th, snap.interval, now)
        statuses.append(status)
        signals: dict[str, Any] | None = None
        if h.reading is not None:
            signals = h.reading.model_dump(mode="json", exclude={"raw", "backups", "offsite", "fingerprint"})
            signals["mem_available_pct"] = h.reading.mem_available_pct
            signals["load_per_core"] = h.reading.load_per_core
            for disk, doc in zip(h.reading.disks or [], signals.get("disks") or [], strict=False):
                doc["used_pct"] = round(disk.used_pct, 1)
        hosts.append(
            {
                "name": h.name,
                "address": h.address,
                "port": h.port,
                "connection": h.connection,
                "since": _iso(h.since),
                "status": status.value,
                "stale": is_stale(h, snap.interval, now),
                "age_s": None if h.age(now) is None else round(h.age(now) or 0.0, 3),
                "last_error": h.last_error,
                "findings": [f.model_dump(mode="json") for f in findings],
                "signals": signals,
                "backups": [k.model_dump(mode="json") for k in newest_by_kind(h.reading, th, now)]
                if h.reading is not None else [],
                "offsite": None if h.reading is None or (v := offsite_verdict(h.reading, th, now)) is None
                else v.model_dump(mode="json"),
                "probe_cpu_per_tick_s": h.probe_cpu_per_tick_s,
            }
        )
    return {
        "taken_at": _iso(snap.taken_at),
        "interval_s": snap.interval,
        "status": worst(statuses).value,
        "hosts": hosts,
    }
