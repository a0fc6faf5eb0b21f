"""The health models: one host's signals as the probe read them, their verdicts, and the poller's view.

Every signal is optional: ``None`` means the host does not have it (no thermal zone, no ``vcgencmd``, no
docker) or it was not sampled yet. Times are Unix seconds (floats) of this machine's clock.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from actions.health.offsite import OffsiteStatus


class Status(StrEnum):
    """A verdict, ordered from best to worst by :func:`worst`."""

    OK = "ok"
    UNKNOWN = "unknown"
    WARN = "warn"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """The status's place from best (0) to worst."""
        return _RANK[self]


_RANK = {Status.OK: 0, Status.UNKNOWN: 1, Status.WARN: 2, Status.CRITICAL: 3}


def worst(statuses: list[Status]) -> Status:
    """The worst of ``statuses`` (OK when there are none)."""
    return max(statuses, key=lambda s: s.rank, default=Status.OK)


class Throttle(BaseModel):
    """``vcgencmd get_throttled``, decoded bit by bit."""

    raw: int
    now: list[str] = Field(default_factory=list, description="Conditions present right now (bits 0-3).")
    since_boot: list[str] = Field(default_factory=list, description="Conditions seen since boot (16-19).")

    def describe(self) -> str:
        """The throttling in words: now, since boot, or not at all."""
        if self.now:
            return f"{' and '.join(self.now)} NOW"
        if self.since_boot:
            return f"{' and '.join(self.since_boot)} happened since boot"
        return "not throttled"


class Disk(BaseModel):
    """Use of the filesystem that holds ``path``."""

    path: str
    mount: str
    size_kb: int
    used_kb: int
    available_kb: int

    @property
    def used_pct(self) -> float:
        """Percent used, as ``df`` counts it."""
        # df's own Capacity: used / (used + available), which is what fills up.
        total = self.used_kb + self.available_kb
        return 100.0 * self.used_kb / total if total else 0.0


class Service(BaseModel):
    """A systemd unit the lab relies on (``k3s``, ``k3s-agent``), when the host has it."""

    name: str
    active: str
    sub: str = ""


class Container(BaseModel):
    """One docker container, as ``docker ps -a`` reports it."""

    name: str
    state: str
    status: str = ""
    image: str = ""


class Node(BaseModel):
    """One k3s node, as ``k3s kubectl get nodes -o json`` reports it."""

    name: str
    ready: bool
    reason: str = ""


class BackupFile(BaseModel):
    """One file a backup script wrote (a PostgreSQL dump, a Gitea archive, a Longhorn backup's record)."""

    path: str
    mtime: float
    size: int


class Fingerprint(BaseModel):
    """What a host looks like when it works: compared, item by item, with the last known-good one.

    A field is ``None`` when the host could not tell (no systemd, no docker, no dpkg, no k3s).
    """

    taken_at: float
    kernel: str | None = None
    os_release: str | None = None
    k3s_version: str | None = None
    nodes_ready: dict[str, bool] | None = Field(None, description="k3s node name -> Ready.")
    failed_units: list[str] | None = None
    containers: dict[str, str] | None = Field(None, description="Running container name -> image.")
    mounts: dict[str, str] = Field(default_factory=dict, description="Mount point -> filesystem type.")
    disk_used_pct: dict[str, float] = Field(default_factory=dict, description="Mount point -> % used.")
    listening: list[str] = Field(default_factory=list, description="Listening TCP sockets, address:port.")
    throttled_since_boot: list[str] | None = None
    packages: int | None = None
    packages_hash: str | None = None


class Reading(BaseModel):
    """Everything one probe round trip told about one host."""

    taken_at: float = Field(description="When the answer arrived (this machine's clock).")
    rtt_ms: float = Field(description="Round trip minus the probe's own run time.")
    probe_ms: float = Field(description="Whole round trip, probe included.")
    clock_offset_s: float | None = Field(None, description="Host clock minus this machine's clock.")
    uptime_s: float | None = None
    load: tuple[float, float, float] | None = None
    cores: int | None = None
    temp_c: float | None = None
    temp_source: str | None = None
    throttle: Throttle | None = None
    mem_total_kb: int | None = None
    mem_available_kb: int | None = None
    # Sampled every few ticks (``slow``): carried over between samples, with the time they were read.
    slow_at: float | None = None
    disks: list[Disk] | None = None
    ntp_synced: bool | None = None
    services: list[Service] | None = None
    containers: list[Container] | None = None
    docker_note: str | None = None
    backup_root: str | None = Field(None, description="Where the backups were looked for (backup hosts).")
    backups: list[BackupFile] | None = None
    backups_note: str | None = None
    offsite_file: str | None = Field(None, description="Where the off-site copy's status was looked for.")
    offsite: OffsiteStatus | None = Field(None, description="The last off-site copy; None: none recorded.")
    offsite_note: str | None = None
    # Read on a slow tick every few minutes: the host's fingerprint, when this reading carries one.
    fingerprint: Fingerprint | None = None
    # Sampled less often still (``kube``): kubectl is heavy on a Pi.
    kube_at: float | None = None
    nodes: list[Node] | None = None
    kube_note: str | None = None
    probe_cpu_s: float | None = Field(None, description="CPU the probe shell and its children used, total.")
    raw: str = Field("", description="The probe's output, as received.")

    @property
    def mem_available_pct(self) -> float | None:
        """Memory available, in percent of the total; ``None`` when unknown."""
        if not self.mem_total_kb or self.mem_available_kb is None:
            return None
        return 100.0 * self.mem_available_kb / self.mem_total_kb

    @property
    def load_per_core(self) -> float | None:
        """The one-minute load per core; ``None`` when unknown."""
        if self.load is None or not self.cores:
            return None
        return self.load[0] / self.cores


class Finding(BaseModel):
    """One signal's verdict, in words the operator reads."""

    signal: str
    status: Status
    text: str


Connection = Literal["connecting", "up", "unreachable", "host key mismatch", "auth failed"]


class Sample(BaseModel):
    """One point of the sparkline history."""

    t: float
    load1: float | None = None
    temp_c: float | None = None


class HostState(BaseModel):
    """What the poller knows of one host right now."""

    name: str
    address: str
    port: int
    connection: Connection = "connecting"
    since: float | None = Field(None, description="When the connection entered its current state.")
    last_error: str | None = None
    reading: Reading | None = None
    history: list[Sample] = Field(default_factory=list)
    probe_cpu_per_tick_s: float | None = Field(None, description="Probe CPU time per tick, averaged.")

    def age(self, now: float | None = None) -> float | None:
        """Seconds since the last reading arrived; ``None`` before the first."""
        if self.reading is None:
            return None
        return (time.time() if now is None else now) - self.reading.taken_at


class Snapshot(BaseModel):
    """Every host at one moment; what the poller hands to its listeners."""

    taken_at: float
    interval: float
    paused: bool = False
    hosts: list[HostState]

    def host(self, name: str) -> HostState:
        """The state of host ``name``; ``KeyError`` when there is none."""
        for state in self.hosts:
            if state.name == name:
                return state
        raise KeyError(name)
