"""The journal: WAL mode, numbered migrations, bad files moved aside (never overwritten), two writers."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from pathlib import Path

import pytest

from actions import journal as jmod
from actions.journal import JOURNAL_NAME, LATEST, Journal, RunRecord, open_journal


def _record(run_id: str, **kw: object) -> RunRecord:
    base: dict[str, object] = dict(
        id=run_id, playbook="site", playbook_path="/p/site.yml", inventory="/i.yml", check=True,
        operator="ann", started_at=time.time(), status="running", hosts=["pi1", "pi2"],
    )
    base.update(kw)
    return RunRecord(**base)  # type: ignore[arg-type]


def test_new_journal_is_wal_and_migrated(tmp_path: Path) -> None:
    j = open_journal(tmp_path)
    assert j.version == LATEST
    mode = sqlite3.connect(tmp_path / JOURNAL_NAME).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert j.notice is None


def test_run_roundtrip_and_last_check(tmp_path: Path) -> None:
    j = open_journal(tmp_path)
    j.start_run(_record("a", started_at=1.0))
    j.finish_run("a", status="failed", rc=2, message="failed: pi2", recap={"pi2": {"failures": 1}})
    j.start_run(_record("b", started_at=2.0, limit="pi1"))
    j.finish_run("b", status="ok", rc=0, message="", recap={"pi1": {"ok": 3}})
    j.start_run(_record("c", started_at=3.0, check=False))
    j.finish_run("c", status="ok", rc=0, message="", recap={})
    assert [r.id for r in j.runs()] == ["c", "b", "a"]
    assert j.last_check("/p/site.yml", None).id == "a"  # type: ignore[union-attr]
    assert j.last_check("/p/site.yml", "pi1").id == "b"  # type: ignore[union-attr]
    assert j.last_check("/p/site.yml", "pi3") is None
    got = j.get("a")
    assert got is not None and got.status == "failed" and got.recap == {"pi2": {"failures": 1}}
    assert got.duration is not None


def test_corrupt_file_is_moved_aside_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_NAME
    junk = b"this is not a database, but someone's data" * 100
    path.write_bytes(junk)
    j = open_journal(tmp_path)
    assert j.notice and "moved aside" in j.notice
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(JOURNAL_NAME + ".corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == junk
    assert j.version == LATEST


def test_newer_schema_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_NAME
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {LATEST + 5}")
    conn.commit()
    conn.close()
    j = open_journal(tmp_path)
    assert j.notice and "newer" in j.notice
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(f"{JOURNAL_NAME}.v{LATEST + 5}-")]
    assert len(aside) == 1
    old = sqlite3.connect(aside[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == LATEST + 5
    assert j.version == LATEST


def test_later_migration_applies_on_top(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    j = open_journal(tmp_path)
    j.start_run(_record("kept"))
    j.close()
    extra = jmod.Migration(LATEST + 1, "checklists", "CREATE TABLE checklist_steps (id TEXT PRIMARY KEY)")
    monkeypatch.setattr(jmod, "MIGRATIONS", [*jmod.MIGRATIONS, extra])
    monkeypatch.setattr(jmod, "LATEST", LATEST + 1)
    j2 = Journal(tmp_path)
    assert j2.version == LATEST + 1 and j2.notice is None
    assert j2.get("kept") is not None


def test_orphaned_running_run_reads_interrupted(tmp_path: Path) -> None:
    j = open_journal(tmp_path)
    j.start_run(_record("orphan"))
    # Pretend another process on this machine started it, then died.
    j._exec("UPDATE runs SET pid = ? WHERE id = 'orphan'", (2**22 + 12345,))
    assert j.runs()[0].status == "interrupted"


def _writer(state_dir: str, prefix: str, n: int) -> None:
    j = Journal(Path(state_dir))
    for i in range(n):
        j.start_run(_record(f"{prefix}-{i}"))
        j.finish_run(f"{prefix}-{i}", status="ok", rc=0, message="", recap={})


def test_two_instances_write_at_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), name, 40)) for name in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    j = open_journal(tmp_path)
    assert j.notice is None
    runs = j.runs(limit=1000)
    assert len(runs) == 80 and all(r.status == "ok" for r in runs)
    check = sqlite3.connect(tmp_path / JOURNAL_NAME).execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"
