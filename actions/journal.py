"""The journal: one SQLite file (WAL mode) under the state dir recording what was run, by whom, and how it ended.

Schema changes are numbered migrations in :data:`MIGRATIONS`; a feature that needs its own tables appends
one (version 2, 3, ...) and never edits an earlier one. ``PRAGMA user_version`` holds the version reached.

Several app instances may open the same file at once: SQLite's WAL mode and a busy timeout serialise
writers, and opening (migrating, or moving a bad file aside) happens under an exclusive ``flock`` so two
instances never migrate or rename at the same time. A file that is not a database, or that a newer
version of the app has migrated further than this one knows, is renamed aside with a timestamp and
reported in :attr:`Journal.notice`; it is never overwritten.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from actions.procs import alive

JOURNAL_NAME = "journal.sqlite3"


@dataclass(frozen=True)
class Migration:
    """One schema step. ``version`` is the ``user_version`` the database has after it."""

    version: int
    title: str
    sql: str


MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "runs: one row per playbook run (check or real)",
        """
        CREATE TABLE runs (
            id            TEXT PRIMARY KEY,
            kind          TEXT NOT NULL DEFAULT 'ansible',
            playbook      TEXT NOT NULL,
            playbook_path TEXT NOT NULL,
            inventory     TEXT NOT NULL,
            lab           TEXT NOT NULL DEFAULT '',
            run_limit     TEXT,
            tags          TEXT NOT NULL DEFAULT '[]',
            hosts         TEXT NOT NULL DEFAULT '[]',
            check_mode    INTEGER NOT NULL,
            command       TEXT NOT NULL DEFAULT '',
            operator      TEXT NOT NULL,
            started_at    REAL NOT NULL,
            finished_at   REAL,
            status        TEXT NOT NULL,
            rc            INTEGER,
            message       TEXT NOT NULL DEFAULT '',
            recap         TEXT NOT NULL DEFAULT '{}',
            artifacts     TEXT NOT NULL DEFAULT '',
            pid           INTEGER,
            machine       TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX runs_started ON runs (started_at);
        CREATE INDEX runs_check ON runs (playbook_path, run_limit, check_mode, started_at);
        """,
    ),
    Migration(
        2,
        "runbook sessions and their step events (checklist progress)",
        """
        CREATE TABLE runbook_sessions (
            id          TEXT PRIMARY KEY,
            runbook     TEXT NOT NULL,
            kind        TEXT NOT NULL,
            title       TEXT NOT NULL,
            lab         TEXT NOT NULL DEFAULT '',
            operator    TEXT NOT NULL,
            started_at  REAL NOT NULL,
            ended_at    REAL,
            status      TEXT NOT NULL
        );
        CREATE INDEX runbook_sessions_open ON runbook_sessions (status, started_at);
        CREATE TABLE step_events (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id  TEXT NOT NULL REFERENCES runbook_sessions (id),
            step_id     TEXT NOT NULL,
            state       TEXT NOT NULL,
            at          REAL NOT NULL,
            operator    TEXT NOT NULL,
            note        TEXT NOT NULL DEFAULT '',
            run_id      TEXT,
            health      TEXT NOT NULL DEFAULT '',
            pid         INTEGER,
            machine     TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX step_events_session ON step_events (session_id, at)
        """,
    ),
    Migration(
        3,
        "changes: each confirmed change that is not a playbook run (Vault, tofu apply)",
        """
        CREATE TABLE changes (
            id          TEXT PRIMARY KEY,
            kind        TEXT NOT NULL,
            title       TEXT NOT NULL,
            command     TEXT NOT NULL DEFAULT '',
            targets     TEXT NOT NULL DEFAULT '[]',
            operator    TEXT NOT NULL,
            started_at  REAL NOT NULL,
            finished_at REAL,
            status      TEXT NOT NULL,
            message     TEXT NOT NULL DEFAULT '',
            pid         INTEGER,
            machine     TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX changes_started ON changes (started_at)
        """,
    ),
    Migration(
        4,
        "runbook sessions: why each one was started (one optional line)",
        "ALTER TABLE runbook_sessions ADD COLUMN reason TEXT NOT NULL DEFAULT ''",
    ),
    Migration(
        5,
        "known-good fingerprints of every host, and the differences from them an operator accepted",
        """
        CREATE TABLE known_good (
            id          TEXT PRIMARY KEY,
            lab         TEXT NOT NULL,
            taken_at    REAL NOT NULL,
            operator    TEXT NOT NULL,
            reason      TEXT NOT NULL,
            hosts       TEXT NOT NULL
        );
        CREATE INDEX known_good_lab ON known_good (lab, taken_at);
        CREATE TABLE accepted_changes (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            known_good_id  TEXT NOT NULL REFERENCES known_good (id),
            change_key     TEXT NOT NULL,
            text           TEXT NOT NULL,
            operator       TEXT NOT NULL,
            at             REAL NOT NULL,
            note           TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX accepted_changes_known_good ON accepted_changes (known_good_id)
        """,
    ),
]

LATEST = MIGRATIONS[-1].version


class JournalError(Exception):
    """The journal cannot be opened or written; the message says where and why."""


class RunRecord(BaseModel):
    """One journalled run, as the runs list and ``factory-tui runs --json`` show it."""

    id: str
    kind: str = "ansible"
    playbook: str
    playbook_path: str
    inventory: str
    lab: str = ""
    limit: str | None = None
    tags: list[str] = Field(default_factory=list)
    hosts: list[str] = Field(default_factory=list)
    check: bool
    command: str = ""
    operator: str
    started_at: float
    finished_at: float | None = None
    status: str
    rc: int | None = None
    message: str = ""
    recap: dict[str, dict[str, int]] = Field(default_factory=dict)
    artifacts: str = ""

    @property
    def duration(self) -> float | None:
        """Seconds the run took; ``None`` while it runs."""
        return None if self.finished_at is None else self.finished_at - self.started_at


_COLUMNS = (
    "id, kind, playbook, playbook_path, inventory, lab, run_limit, tags, hosts, check_mode, command, "
    "operator, started_at, finished_at, status, rc, message, recap, artifacts, pid, machine"
)


def _record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"],
        kind=row["kind"],
        playbook=row["playbook"],
        playbook_path=row["playbook_path"],
        inventory=row["inventory"],
        lab=row["lab"],
        limit=row["run_limit"],
        tags=json.loads(row["tags"]),
        hosts=json.loads(row["hosts"]),
        check=bool(row["check_mode"]),
        command=row["command"],
        operator=row["operator"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        status=row["status"],
        rc=row["rc"],
        message=row["message"],
        recap=json.loads(row["recap"]),
        artifacts=row["artifacts"],
    )


class Journal:
    """The open journal. Cheap to create; each method uses a short transaction."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / JOURNAL_NAME
        #: A line for the operator when the journal had to be moved aside on open; else None.
        self.notice: str | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the UI and the run threads; this keeps their statements apart.
        self._lock = threading.RLock()
        with self._open_lock():
            self._conn = self._open_checked()

    # -- opening ---------------------------------------------------------------------------------------

    @contextmanager
    def _open_lock(self) -> Iterator[None]:
        fd = os.open(self.path.with_name(JOURNAL_NAME + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 10000")
        return conn

    def _open_checked(self) -> sqlite3.Connection:
        try:
            conn = self._connect()
            version = self._prepare(conn)
        except sqlite3.DatabaseError as exc:
            self._move_aside("corrupt", f"cannot be read ({exc})")
            conn = self._connect()
            self._prepare(conn)
            return conn
        if version > LATEST:
            conn.close()
            self._move_aside(
                f"v{version}", f"was written by a newer factory-tui (schema {version}, this one knows {LATEST})"
            )
            conn = self._connect()
            self._prepare(conn)
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> int:
        """WAL mode, integrity, migrations; returns the version found before migrating."""
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.DatabaseError(f"journal mode is {mode}, not wal")
        ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {ok}")
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if found < LATEST:
            self._migrate(conn)
        return found

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            for migration in MIGRATIONS:
                if migration.version > current:
                    for statement in _statements(migration.sql):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _move_aside(self, why: str, reason: str) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{JOURNAL_NAME}.{why}-{stamp}")
        n = 1
        while target.exists():
            target = self.path.with_name(f"{JOURNAL_NAME}.{why}-{stamp}-{n}")
            n += 1
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                src.rename(Path(str(target) + suffix))
        self.notice = f"journal {self.path} {reason}; moved aside to {target.name}, starting a new one"

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        """One statement for a feature's own tables (the checklists' store uses it)."""
        return self._exec(sql, params)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @property
    def version(self) -> int:
        """The journal's schema version (its last migration)."""
        return int(self._exec("PRAGMA user_version").fetchone()[0])

    # -- runs ------------------------------------------------------------------------------------------

    def start_run(self, record: RunRecord) -> None:
        """Record a run as it starts (status ``running``), with this process as its owner."""
        try:
            self._exec(
                f"INSERT INTO runs ({_COLUMNS}) VALUES ({', '.join('?' * 21)})",
                (
                    record.id, record.kind, record.playbook, record.playbook_path, record.inventory,
                    record.lab, record.limit, json.dumps(record.tags), json.dumps(record.hosts),
                    int(record.check), record.command, record.operator, record.started_at,
                    record.finished_at, record.status, record.rc, record.message,
                    json.dumps(record.recap), record.artifacts, os.getpid(), socket.gethostname(),
                ),
            )
        except sqlite3.Error as exc:
            raise JournalError(f"{self.path}: cannot record the run: {exc}") from None

    def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        rc: int | None,
        message: str,
        recap: dict[str, dict[str, int]],
        finished_at: float | None = None,
    ) -> None:
        """Record how the run ended: status, exit code, message and recap."""
        try:
            self._exec(
                "UPDATE runs SET status = ?, rc = ?, message = ?, recap = ?, finished_at = ? WHERE id = ?",
                (status, rc, message, json.dumps(recap), finished_at or time.time(), run_id),
            )
        except sqlite3.Error as exc:
            raise JournalError(f"{self.path}: cannot record the end of run {run_id}: {exc}") from None

    def runs(self, limit: int = 200) -> list[RunRecord]:
        """The latest runs, newest first. Runs left ``running`` by a process that died read ``interrupted``."""
        self.mark_orphans("runs", "the app running it stopped before the run ended")
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM runs ORDER BY started_at DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_record(row) for row in rows]

    def get(self, run_id: str) -> RunRecord | None:
        """The run ``run_id``, or ``None``."""
        row = self._exec(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _record(row) if row else None

    def last_check(self, playbook_path: str, limit: str | None) -> RunRecord | None:
        """The latest finished check-mode run of this playbook with this exact limit."""
        row = self._exec(
            f"SELECT {_COLUMNS} FROM runs WHERE playbook_path = ? AND run_limit IS ? AND check_mode = 1 "
            "AND status != 'running' ORDER BY started_at DESC LIMIT 1",
            (playbook_path, limit or None),
        ).fetchone()
        return _record(row) if row else None

    def mark_orphans(self, table: str, message: str) -> None:
        """Rows of ``table`` (``runs``, ``changes``) left ``running`` on this machine by a process that is
        gone now read ``interrupted``, with ``message``."""
        if table not in _TRACKED:
            raise ValueError(f"no such journal table with owners: {table!r}")
        rows = self._exec(
            f"SELECT id, pid FROM {table} WHERE status = 'running' AND machine = ?", (socket.gethostname(),)
        ).fetchall()
        for row in rows:
            if row["pid"] is not None and row["pid"] != os.getpid() and not alive(int(row["pid"])):
                self._exec(
                    f"UPDATE {table} SET status = 'interrupted', message = ? WHERE id = ? AND status = 'running'",
                    (message, row["id"]),
                )


# Tables whose rows carry the owning process (pid, machine): what mark_orphans may name.
_TRACKED = ("runs", "changes")


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


def open_journal(state_dir: Path) -> Journal:
    """Open (creating or migrating) the journal under ``state_dir``, or raise :class:`JournalError`."""
    try:
        return Journal(state_dir)
    except (OSError, sqlite3.Error) as exc:
        raise JournalError(f"{state_dir / JOURNAL_NAME}: cannot open the journal: {exc}") from None


def as_json(records: list[RunRecord]) -> list[dict[str, Any]]:
    """The runs as JSON documents, for ``--json``."""
    return [r.model_dump() for r in records]
