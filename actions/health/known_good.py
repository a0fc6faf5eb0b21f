"""Known-good snapshots in the journal: every host's fingerprint, taken only when every host is green.

A snapshot is named by the time it was taken (UTC, ``2026-12-01T10:59:42Z``). The app records one at most
once a day on its own (:class:`Recorder`) and whenever the operator asks (:meth:`KnownGoodStore.record`);
either way a lab with a host that is not green, or not read, is refused with the reason, so a snapshot is
never called known-good by mistake. The diff against the latest one (:meth:`KnownGoodStore.report`) leaves
out the differences an operator accepted, each journalled with who accepted it and when.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from actions.config import Thresholds
from actions.health.diff import Change, diff
from actions.health.evaluate import failing, host_findings
from actions.health.models import Fingerprint, Snapshot, Status
from actions.journal import Journal, JournalError

#: The app records a known-good snapshot on its own at most this often.
DAILY = 24 * 3600.0


class NotGreen(Exception):
    """The lab is not all green (or a host has no fingerprint yet): no known-good snapshot is taken."""


class KnownGood(BaseModel):
    """One known-good snapshot."""

    id: str
    lab: str
    taken_at: float
    operator: str
    reason: str
    hosts: dict[str, Fingerprint]


class Accepted(BaseModel):
    """A difference an operator accepted as explained."""

    known_good_id: str
    key: str
    text: str
    operator: str
    at: float
    note: str = ""


class DiffReport(BaseModel):
    """The differences from the latest known-good snapshot; ``unexplained`` are those nobody accepted."""

    known_good: KnownGood | None
    changes: list[Change] = Field(default_factory=list)
    accepted: list[Accepted] = Field(default_factory=list)
    unexplained: list[Change] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list, description="Hosts with no fingerprint read yet.")

    def for_host(self, host: str) -> list[Change]:
        """The differences of one host."""
        return [c for c in self.changes if c.host == host]

    def to_json(self) -> dict[str, Any]:
        """The document of ``health --diff --json``: the snapshot, the count unexplained, every change."""
        kg = self.known_good
        accepted = {a.key: a for a in self.accepted}
        return {
            "known_good": None if kg is None else {
                "id": kg.id, "taken_at": kg.taken_at, "operator": kg.operator, "reason": kg.reason,
                "hosts": sorted(kg.hosts),
            },
            "unexplained": len(self.unexplained),
            "changes": [
                {**c.model_dump(), "key": c.key,
                 "accepted_by": accepted[c.key].operator if c.key in accepted else None}
                for c in self.changes
            ],
        }


def snapshot_name(t: float) -> str:
    """A snapshot's name: the UTC time it was taken."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def not_green(snap: Snapshot, th: Thresholds, now: float | None = None) -> list[str]:
    """Each host that is not ok, with its worst finding; empty when every host is green."""
    why: list[str] = []
    for h in snap.hosts:
        status, found = host_findings(h, th, snap.interval, now)
        if status is not Status.OK:
            bad = failing(found)
            why.append(f"{h.name}: {status.value}" + (f" ({bad[0].text})" if bad else ""))
    return why


def unprinted(snap: Snapshot, since: float = 0.0) -> list[str]:
    """Hosts whose latest fingerprint is missing, or older than ``since``."""
    return [h.name for h in snap.hosts
            if h.reading is None or h.reading.fingerprint is None or h.reading.fingerprint.taken_at < since]


class KnownGoodStore:
    """Known-good snapshots and accepted differences over an open :class:`Journal`."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        try:
            return self.journal.execute(sql, params)
        except Exception as exc:
            raise JournalError(f"{self.journal.path}: known-good snapshots: {exc}") from None

    def record(self, snap: Snapshot, th: Thresholds, *, lab: str, operator: str, reason: str,
               now: float | None = None) -> KnownGood:
        """Journal every host's fingerprint as known-good, or raise :class:`NotGreen` saying why not."""
        why = not_green(snap, th, now) + [f"{name}: no fingerprint read yet" for name in unprinted(snap)]
        if why:
            raise NotGreen("not every host is green: " + "; ".join(why))
        taken = time.time() if now is None else now
        name = snapshot_name(taken)
        while self._exec("SELECT 1 FROM known_good WHERE id = ?", (name,)).fetchone():
            taken += 1.0
            name = snapshot_name(taken)
        hosts = {h.name: h.reading.fingerprint for h in snap.hosts if h.reading and h.reading.fingerprint}
        kg = KnownGood(id=name, lab=lab, taken_at=taken, operator=operator, reason=reason, hosts=hosts)
        doc = json.dumps({n: fp.model_dump(mode="json") for n, fp in hosts.items()})
        self._exec(
            "INSERT INTO known_good (id, lab, taken_at, operator, reason, hosts) VALUES (?, ?, ?, ?, ?, ?)",
            (kg.id, lab, taken, operator, reason, doc),
        )
        return kg

    def latest(self, lab: str) -> KnownGood | None:
        """The newest known-good snapshot of ``lab``, or None."""
        row = self._exec(
            "SELECT id, lab, taken_at, operator, reason, hosts FROM known_good WHERE lab = ? "
            "ORDER BY taken_at DESC LIMIT 1", (lab,),
        ).fetchone()
        if row is None:
            return None
        hosts = {n: Fingerprint.model_validate(fp) for n, fp in json.loads(row["hosts"]).items()}
        return KnownGood(id=row["id"], lab=row["lab"], taken_at=row["taken_at"], operator=row["operator"],
                         reason=row["reason"], hosts=hosts)

    def accept(self, known_good_id: str, change: Change, operator: str, note: str = "",
               now: float | None = None) -> Accepted:
        """Journal that ``operator`` accepted ``change`` as explained."""
        acc = Accepted(known_good_id=known_good_id, key=change.key, text=change.text, operator=operator,
                       at=time.time() if now is None else now, note=note)
        self._exec(
            "INSERT INTO accepted_changes (known_good_id, change_key, text, operator, at, note) "
            "VALUES (?, ?, ?, ?, ?, ?)", (acc.known_good_id, acc.key, acc.text, acc.operator, acc.at, acc.note),
        )
        return acc

    def accepted(self, known_good_id: str) -> list[Accepted]:
        """The differences accepted against one snapshot, oldest first."""
        rows = self._exec(
            "SELECT known_good_id, change_key, text, operator, at, note FROM accepted_changes "
            "WHERE known_good_id = ? ORDER BY at", (known_good_id,),
        ).fetchall()
        return [Accepted(known_good_id=r["known_good_id"], key=r["change_key"], text=r["text"],
                         operator=r["operator"], at=r["at"], note=r["note"]) for r in rows]

    def report(self, snap: Snapshot, lab: str) -> DiffReport:
        """The differences between the latest known-good snapshot and each host's latest fingerprint."""
        kg = self.latest(lab)
        missing = [h.name for h in snap.hosts if h.reading is None or h.reading.fingerprint is None]
        if kg is None:
            return DiffReport(known_good=None, missing=missing)
        now = {h.name: h.reading.fingerprint if h.reading else None for h in snap.hosts}
        changes = diff(kg.hosts, now)
        accepted = self.accepted(kg.id)
        keys = {a.key for a in accepted}
        return DiffReport(known_good=kg, changes=changes, accepted=accepted,
                          unexplained=[c for c in changes if c.key not in keys], missing=missing)


class Recorder:
    """A poller listener that takes the known-good snapshots: the daily one on its own, and one when asked.

    The journal is asked once for the latest snapshot's time, then it is kept here, so a tick costs no
    query. Each call returns a line for the operator when it took a snapshot or refused one it was asked for.
    """

    def __init__(self, store: KnownGoodStore, th: Thresholds, *, lab: str, operator: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.th, self.lab, self.operator, self.clock = store, th, lab, operator, clock
        self._latest: float | None = None
        self._loaded = False
        self._asked: float | None = None
        #: The last snapshot this recorder took.
        self.taken: KnownGood | None = None

    def ask(self) -> None:
        """Take one as soon as every host has a fingerprint read after now (request one from the poller)."""
        self._asked = self.clock()

    def __call__(self, snap: Snapshot) -> str | None:
        now = self.clock()
        if not self._loaded:
            latest = self.store.latest(self.lab)
            self._latest, self._loaded = (latest.taken_at if latest else None), True
        if self._asked is not None:
            return self._on_demand(snap, now, self._asked)
        if self._latest is not None and now - self._latest < DAILY:
            return None
        if not_green(snap, self.th, now) or unprinted(snap):
            return None
        return self._take(snap, now, "daily, every host green")

    def _on_demand(self, snap: Snapshot, now: float, asked: float) -> str | None:
        why = not_green(snap, self.th, now)
        if why:
            self._asked = None
            return "no known-good snapshot taken: not every host is green: " + "; ".join(why)
        if unprinted(snap, asked):
            return None  # the fingerprints asked for are on their way
        self._asked = None
        return self._take(snap, now, "asked for")

    def _take(self, snap: Snapshot, now: float, reason: str) -> str:
        self.taken = self.store.record(snap, self.th, lab=self.lab, operator=self.operator, reason=reason, now=now)
        self._latest = self.taken.taken_at
        return f"known-good snapshot {self.taken.id} of {len(self.taken.hosts)} hosts ({reason})"
