"""Thresholds: every signal of a reading, and every host's connection, into ok / warn / critical.

Limits come from ``settings.health.thresholds``; a few verdicts are fixed by the lab's rules: a throttle
bit set now is critical, one set since boot a warning, an unsynchronised clock a warning.
"""

from __future__ import annotations

import time

from actions.config import Thresholds
from actions.durations import duration_text
from actions.health.backups import findings as backup_findings
from actions.health.models import Finding, HostState, Reading, Status, worst

#: A reading older than this many ticks is stale: shown as such, never as current.
STALE_TICKS = 2
#: Containers in these states are down; any other state than ``running`` is a warning.
CONTAINER_DOWN = {"exited", "dead", "restarting", "removing"}


def _level(value: float, warn: float, crit: float, *, low_is_bad: bool = False) -> Status:
    if low_is_bad:
        return Status.CRITICAL if value <= crit else Status.WARN if value <= warn else Status.OK
    return Status.CRITICAL if value >= crit else Status.WARN if value >= warn else Status.OK


def assess(reading: Reading, th: Thresholds) -> list[Finding]:
    """A verdict for each signal the reading has, in a stable order."""
    out: list[Finding] = []
    if reading.temp_c is not None:
        st = _level(reading.temp_c, th.temp_warn_c, th.temp_crit_c)
        out.append(Finding(signal="temperature", status=st, text=f"temperature {reading.temp_c:.1f} C"))
    if reading.throttle is not None:
        t = reading.throttle
        st = Status.CRITICAL if t.now else Status.WARN if t.since_boot else Status.OK
        out.append(Finding(signal="throttling", status=st, text=f"{t.describe()} (0x{t.raw:x})"))
    per_core = reading.load_per_core
    if per_core is not None and reading.load is not None:
        st = _level(per_core, th.load_per_core_warn, th.load_per_core_crit)
        out.append(
            Finding(signal="load", status=st, text=f"load {reading.load[0]:.2f} on {reading.cores} cores")
        )
    mem = reading.mem_available_pct
    if mem is not None:
        st = _level(mem, th.mem_available_warn_pct, th.mem_available_crit_pct, low_is_bad=True)
        out.append(Finding(signal="memory", status=st, text=f"memory {mem:.0f}% available"))
    for disk in reading.disks or []:
        st = _level(disk.used_pct, th.disk_used_warn_pct, th.disk_used_crit_pct)
        text = f"disk {disk.path} {disk.used_pct:.0f}% used"
        out.append(Finding(signal=f"disk {disk.path}", status=st, text=text))
    if reading.ntp_synced is not None:
        st = Status.OK if reading.ntp_synced else Status.WARN
        text = "clock synced" if reading.ntp_synced else "clock not synced"
        out.append(Finding(signal="clock sync", status=st, text=text))
    if reading.clock_offset_s is not None:
        off = reading.clock_offset_s
        st = Status.CRITICAL if abs(off) > th.clock_offset_crit_s else Status.OK
        out.append(Finding(signal="clock offset", status=st, text=f"clock offset {off:+.3f} s"))
    for svc in reading.services or []:
        st = Status.OK if svc.active == "active" else Status.CRITICAL
        out.append(Finding(signal=f"service {svc.name}", status=st, text=f"{svc.name} {svc.active}"))
    for c in reading.containers or []:
        st = Status.OK if c.state == "running" else Status.CRITICAL if c.state in CONTAINER_DOWN else Status.WARN
        out.append(Finding(signal=f"container {c.name}", status=st, text=f"container {c.name} {c.state}"))
    for node in reading.nodes or []:
        st = Status.OK if node.ready else Status.CRITICAL
        text = f"node {node.name} Ready" if node.ready else f"node {node.name} not Ready ({node.reason})"
        out.append(Finding(signal=f"node {node.name}", status=st, text=text))
    out.extend(backup_findings(reading, th))
    return out


def clock(t: float) -> str:
    """HH:MM:SS in this machine's local time."""
    return time.strftime("%H:%M:%S", time.localtime(t))


def is_stale(state: HostState, interval: float, now: float | None = None) -> bool:
    """The host's reading is older than a few polling intervals."""
    age = state.age(now)
    return age is not None and age > STALE_TICKS * interval


def host_findings(
    state: HostState, th: Thresholds, interval: float, now: float | None = None
) -> tuple[Status, list[Finding]]:
    """The host's overall status and its findings, connection first; signals only from a current reading."""
    now = time.time() if now is None else now
    conn = state.connection
    if conn == "unreachable":
        since = f" since {clock(state.since)}" if state.since else ""
        return Status.CRITICAL, [Finding(signal="reachability", status=Status.CRITICAL, text=f"unreachable{since}")]
    if conn in ("host key mismatch", "auth failed"):
        return Status.CRITICAL, [Finding(signal="reachability", status=Status.CRITICAL, text=conn)]
    if state.reading is None:
        return Status.UNKNOWN, [Finding(signal="reachability", status=Status.UNKNOWN, text="connecting")]
    if is_stale(state, interval, now):
        text = f"stale: last reading {duration_text(state.age(now) or 0.0)} old ({clock(state.reading.taken_at)})"
        return Status.UNKNOWN, [Finding(signal="freshness", status=Status.UNKNOWN, text=text)]
    findings = [
        Finding(signal="reachability", status=Status.OK, text=f"up, rtt {state.reading.rtt_ms:.1f} ms"),
        *assess(state.reading, th),
    ]
    return worst([f.status for f in findings]), findings


def failing(findings: list[Finding]) -> list[Finding]:
    """The findings worth naming, worst first."""
    bad = [f for f in findings if f.status is not Status.OK]
    return sorted(bad, key=lambda f: -f.status.rank)
