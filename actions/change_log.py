"""The journal's record of confirmed changes that are not playbook runs: Vault init, unseal, seal and
step-down, and tofu applies.

A playbook run has its own, richer record (``runs``). Every other change that a permit allows is written
here as it starts (``running``) and again as it ends (``ok``, ``error``, or ``stopped`` for an unseal left
sealed), so "who sealed Vault, and when" has an answer. A record holds what the operator confirmed (the
gate request's kind, title, command and targets), never a value it carried: no key share, no token.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, Field

from actions.gates import Permit
from actions.journal import Journal, JournalError

RUNNING, OK, ERROR, STOPPED, INTERRUPTED = "running", "ok", "error", "stopped", "interrupted"

_COLUMNS = "id, kind, title, command, targets, operator, started_at, finished_at, status, message"


class ChangeRecord(BaseModel):
    """One journalled change, as ``factory-tui changes`` lists it."""

    id: str
    kind: str = Field(description="The gate request's kind: vault.seal, tofu.apply, ...")
    title: str
    command: str = ""
    targets: list[str] = Field(default_factory=list)
    operator: str
    started_at: float
    finished_at: float | None = None
    status: str
    message: str = ""


def _record(row: sqlite3.Row) -> ChangeRecord:
    return ChangeRecord(
        id=row["id"], kind=row["kind"], title=row["title"], command=row["command"],
        targets=json.loads(row["targets"]), operator=row["operator"], started_at=row["started_at"],
        finished_at=row["finished_at"], status=row["status"], message=row["message"],
    )


def start(journal: Journal, permit: Permit, error: type[Exception] = JournalError) -> str:
    """Record the change ``permit`` allows as started; returns its id for :func:`finish`.

    A journal that cannot be written raises ``error`` (an adapter passes its own error type, so that
    its callers show the message as they show any other): the change does not start unrecorded."""
    request = permit.request
    change_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    try:
        journal.execute(
            f"INSERT INTO changes ({_COLUMNS}, pid, machine) VALUES ({', '.join('?' * 12)})",
            (
                change_id, request.kind, request.title, request.command_line(), json.dumps(request.targets),
                permit.operator, time.time(), None, RUNNING, "", os.getpid(), socket.gethostname(),
            ),
        )
    except sqlite3.Error as exc:
        raise error(f"{journal.path}: cannot record the change, so it was not made: {exc}") from None
    return change_id


def finish(
    journal: Journal, change_id: str, status: str, message: str = "", error: type[Exception] = JournalError
) -> None:
    """Record how the change ``change_id`` ended; a journal that cannot be written raises ``error``."""
    try:
        journal.execute(
            "UPDATE changes SET status = ?, message = ?, finished_at = ? WHERE id = ?",
            (status, message, time.time(), change_id),
        )
    except sqlite3.Error as exc:
        raise error(f"{journal.path}: cannot record the end of change {change_id} ({status}): {exc}") from None


@contextmanager
def recorded(
    journal: Journal | None, permit: Permit | None, done: str = "", error: type[Exception] = JournalError
) -> Iterator[None]:
    """Journal the change carried out inside the block: ``ok`` with ``done``, or ``error`` with the
    exception's message (adapters word their errors without secrets). Call it after
    :func:`actions.gates.require`; without a journal (or a permit: read-only work) nothing is written."""
    if journal is None or permit is None:
        yield
        return
    change_id = start(journal, permit, error)
    try:
        yield
    except BaseException as exc:
        finish(journal, change_id, ERROR, str(exc) or type(exc).__name__, error)
        raise
    finish(journal, change_id, OK, done, error)


def changes(journal: Journal, limit: int = 200, kind: str = "") -> list[ChangeRecord]:
    """The latest changes (those whose kind starts with ``kind``, e.g. ``vault.``), newest first. One left
    ``running`` by a process that died reads ``interrupted``."""
    try:
        journal.mark_orphans("changes", "the app carrying it out stopped before it ended")
        rows = journal.execute(
            f"SELECT {_COLUMNS} FROM changes WHERE substr(kind, 1, ?) = ? ORDER BY started_at DESC LIMIT ?",
            (len(kind), kind, limit),
        ).fetchall()
    except sqlite3.Error as exc:
        raise JournalError(f"{journal.path}: cannot read the changes: {exc}") from None
    return [_record(row) for row in rows]


def as_json(records: list[ChangeRecord]) -> list[dict[str, Any]]:
    """The changes as JSON documents, for ``--json``."""
    return [r.model_dump() for r in records]
