"""Words, colours and short numbers for health views; shared by the screen, the cards and the strip."""

from __future__ import annotations

import time

from actions.config import Thresholds
from actions.durations import ago_text
from actions.health.evaluate import clock, failing, host_findings, is_stale
from actions.health.models import Finding, HostState, Reading, Status

STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.CRITICAL: "red", Status.UNKNOWN: "bright_black"}
ICON = {Status.OK: "●", Status.WARN: "▲", Status.CRITICAL: "✖", Status.UNKNOWN: "○"}


def verdict(
    state: HostState, th: Thresholds, interval: float, now: float | None = None
) -> tuple[Status, list[Finding]]:
    """The host's overall status and its findings, judged at ``now``."""
    return host_findings(state, th, interval, time.time() if now is None else now)


def headline(status: Status, findings: list[Finding]) -> str:
    """The failing signals in words, worst first, or ``ok``."""
    bad = failing(findings)
    if not bad:
        return "ok"
    return "; ".join(f.text for f in bad[:3]) + (f" (+{len(bad) - 3})" if len(bad) > 3 else "")


def values(reading: Reading | None) -> str:
    """The main numbers on one line."""
    if reading is None:
        return "no reading yet"
    parts: list[str] = []
    if reading.load is not None:
        cores = f"/{reading.cores}c" if reading.cores else ""
        parts.append(f"load {reading.load[0]:.2f}{cores}")
    parts.append(f"{reading.temp_c:.1f}°C" if reading.temp_c is not None else "temp -")
    mem = reading.mem_available_pct
    if mem is not None:
        parts.append(f"mem {mem:.0f}% free")
    for disk in reading.disks or []:
        parts.append(f"{disk.path} {disk.used_pct:.0f}%")
    parts.append(f"rtt {reading.rtt_ms:.1f} ms")
    return " · ".join(parts)


def age(state: HostState, interval: float, now: float | None = None) -> str:
    """How old the host's reading is, in words (``read 3s ago (12:00:01)``, ``never read``)."""
    now = time.time() if now is None else now
    a = state.age(now)
    if a is None:
        return "never read"
    stale = " STALE" if is_stale(state, interval, now) else ""
    return f"read {ago_text(a)} ({clock(state.reading.taken_at)}){stale}" if state.reading else ""
