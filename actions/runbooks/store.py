"""Runbook sessions in the journal: one session per walk through a checklist (an "incident" for recovery),
and an append-only list of step events from which each step's state is folded.

Writing is for one app instance at a time: the writer holds ``locks/runbooks.lock`` for as long as it
runs; a second instance opens the store read-only and is told so, so two apps never interleave steps.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from typing import Any

from pydantic import BaseModel

from actions.journal import Journal, JournalError
from actions.locks import FileLock, LockBusy, lock_dir
from actions.procs import alive
from actions.runbooks.engine import StepEvent, StepState

OPEN = "open"
CLOSED = "closed"
ABANDONED = "abandoned"


class ReadOnlyError(Exception):
    """Another app instance is the writer of the checklists."""


class SessionRecord(BaseModel):
    """One checklist session: which runbook, who opened it, when and why, and whether it is open."""
    id: str
    runbook: str
    kind: str
    title: str
    lab: str
    operator: str
    started_at: float
    ended_at: float | None = None
    status: str
    reason: str = ""


def _alive(pid: int | None, machine: str) -> bool:
    """Whether the process that wrote a `running` event still runs (another machine's: assume so)."""
    if machine != socket.gethostname():
        return True
    if pid is None:
        return False
    return pid == os.getpid() or alive(pid)


class RunbookStore:
    """Sessions and step events over an open :class:`Journal`."""

    def __init__(self, journal: Journal, *, write: bool = True) -> None:
        self.journal = journal
        self._lock = FileLock(lock_dir(journal.path.parent) / "runbooks.lock", "factory-tui checklists")
        self.read_only_reason: str | None = None
        if write:
            try:
                self._lock.acquire()
            except LockBusy as exc:
                self.read_only_reason = f"read-only: another factory-tui is writing the checklists ({exc})"
        else:
            self.read_only_reason = "read-only"

    @property
    def read_only(self) -> bool:
        """Another process writes the checklists, so this store only reads."""
        return self.read_only_reason is not None

    def close(self) -> None:
        """Release the store's lock."""
        self._lock.release()

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        if self.read_only:
            raise ReadOnlyError(self.read_only_reason)
        try:
            self.journal.execute(sql, params)
        except JournalError:
            raise
        except Exception as exc:
            raise JournalError(f"{self.journal.path}: cannot record checklist progress: {exc}") from None

    # -- sessions --------------------------------------------------------------------------------------

    def start_session(
        self, runbook: str, kind: str, title: str, lab: str, operator: str, reason: str = ""
    ) -> SessionRecord:
        """Open a new session of ``runbook`` and return it."""
        rec = SessionRecord(
            id=time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6], runbook=runbook, kind=kind, title=title,
            lab=lab, operator=operator, started_at=time.time(), status=OPEN, reason=reason.strip(),
        )
        self._write(
            "INSERT INTO runbook_sessions (id, runbook, kind, title, lab, operator, started_at, status, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rec.id, rec.runbook, rec.kind, rec.title, rec.lab, rec.operator, rec.started_at, rec.status,
             rec.reason),
        )
        return rec

    def end_session(self, session_id: str, status: str = CLOSED) -> None:
        """Mark the session ended (closed, or another ``status``)."""
        self._write("UPDATE runbook_sessions SET status = ?, ended_at = ? WHERE id = ?",
                    (status, time.time(), session_id))

    def sessions(self, *, open_only: bool = False, limit: int = 100) -> list[SessionRecord]:
        """Sessions, newest first; only the open ones with ``open_only``."""
        where = "WHERE status = 'open'" if open_only else ""
        rows = self.journal.execute(
            f"SELECT * FROM runbook_sessions {where} ORDER BY started_at DESC LIMIT ?", (limit,)
        ).fetchall()
        return [SessionRecord(**dict(row)) for row in rows]

    def session(self, session_id: str) -> SessionRecord | None:
        """The session ``session_id``, or ``None``."""
        row = self.journal.execute("SELECT * FROM runbook_sessions WHERE id = ?", (session_id,)).fetchone()
        return SessionRecord(**dict(row)) if row else None

    def open_session_for(self, runbook: str) -> SessionRecord | None:
        """The open session of ``runbook``, or ``None``."""
        row = self.journal.execute(
            "SELECT * FROM runbook_sessions WHERE runbook = ? AND status = 'open' ORDER BY started_at DESC LIMIT 1",
            (runbook,),
        ).fetchone()
        return SessionRecord(**dict(row)) if row else None

    # -- step events -----------------------------------------------------------------------------------

    def record(
        self, session_id: str, step_id: str, state: StepState, operator: str, *, note: str = "",
        run_id: str | None = None, health: str = "",
    ) -> StepEvent:
        """Record a step's new state, who set it and the health then; returns the event."""
        ev = StepEvent(session_id=session_id, step_id=step_id, state=state, at=time.time(), operator=operator,
                       note=note, run_id=run_id, health=health, pid=os.getpid())
        self._write(
            "INSERT INTO step_events (session_id, step_id, state, at, operator, note, run_id, health, pid, machine)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ev.session_id, ev.step_id, ev.state.value, ev.at, ev.operator, ev.note, ev.run_id, ev.health,
             ev.pid, socket.gethostname()),
        )
        return ev

    def events(self, session_id: str) -> list[StepEvent]:
        """The session's step events, oldest first."""
        rows = self.journal.execute(
            "SELECT * FROM step_events WHERE session_id = ? ORDER BY at, id", (session_id,)
        ).fetchall()
        out = []
        for row in rows:
            state = StepState(row["state"])
            live = state is not StepState.RUNNING or _alive(row["pid"], row["machine"])
            out.append(StepEvent(
                session_id=row["session_id"], step_id=row["step_id"], state=state, at=row["at"],
                operator=row["operator"], note=row["note"], run_id=row["run_id"], health=row["health"],
                pid=row["pid"], live=live,
            ))
        return out


def session_json(rec: SessionRecord, events: list[StepEvent]) -> dict[str, Any]:
    """A session and its events as one JSON document."""
    doc = rec.model_dump()
    doc["events"] = [json.loads(e.model_dump_json()) for e in events]
    return doc
