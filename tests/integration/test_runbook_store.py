"""Checklist progress in the real SQLite journal: it survives a kill -9 mid-step (shown interrupted, never
done), a second app instance is read-only, and the report is written from the journal alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from actions.config import Settings
from actions.journal import open_journal
from actions.runbooks.engine import StepState, current_states, next_step
from actions.runbooks.model import load_runbook
from actions.runbooks.predicates import Live
from actions.runbooks.report import render_report
from actions.runbooks.store import ReadOnlyError, RunbookStore
from actions.runbooks.walk import StepRefused, Walk

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def book_file(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "p.md").write_text("# page\n")
    path = tmp_path / "demo.yml"
    path.write_text(textwrap.dedent("""
        name: demo
        title: Demo recovery
        kind: recovery
        steps:
          - {id: one, title: One, doc: docs/p.md, target_minutes: 1,
             action: {type: manual, instructions: x}}
          - {id: two, title: Two, doc: docs/p.md, requires: ["step:one"],
             action: {type: manual, instructions: y}, verify: [vault_unsealed]}
          - {id: three, title: Three, doc: docs/p.md, requires: ["step:two"],
             action: {type: manual, instructions: z}}
    """))
    return path


def test_walk_moves_are_journalled_and_gated_by_locks(settings: Settings, book_file: Path) -> None:
    import asyncio

    book = load_runbook(book_file, repo_root=book_file.parent)
    store = RunbookStore(open_journal(settings.state_dir))
    walk = Walk.resume_or_start(store, book, lambda: Live(settings=settings), "ana", "sandbox")

    async def go() -> None:
        with pytest.raises(StepRefused, match="locked: step one is pending"):
            await walk.start("two")
        await walk.start("one")
        with pytest.raises(StepRefused, match="nothing to verify"):
            await walk.finish("one")
        state, _ = await walk.finish("one", operator_says_done=True)
        assert state is StepState.DONE
        await walk.start("two")
        state, checks = await walk.finish("two", note="instructions followed")
        # No Vault reading: verify cannot pass, so the step fails and says why (not how the action ended).
        assert state is StepState.FAILED and checks[0].ok is None
        assert walk.views()["two"].note.startswith(f"{checks[0].name}: "), walk.views()["two"].note
        walk.skip("two", "Vault is not part of this rehearsal")

    asyncio.run(go())
    views = walk.views()
    assert [views[s].state for s in ("one", "two", "three")] == [StepState.DONE, StepState.SKIPPED, StepState.PENDING]
    assert views["two"].note == "Vault is not part of this rehearsal"
    report = render_report(book, walk.session, store.events(walk.session.id))
    assert "| two | skipped |" in report and "Vault is not part of this rehearsal" in report
    assert "by ana" in report
    store.close()


def test_kill_9_mid_step_resumes_there_as_interrupted(settings: Settings, book_file: Path) -> None:
    code = textwrap.dedent(f"""
        import asyncio, os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from actions.config import load_settings
        from actions.journal import open_journal
        from actions.runbooks.model import load_runbook
        from actions.runbooks.predicates import Live
        from actions.runbooks.store import RunbookStore
        from actions.runbooks.walk import Walk
        settings = load_settings(None, state_dir=Path({str(settings.state_dir)!r}))
        book = load_runbook(Path({str(book_file)!r}), repo_root=Path({str(book_file.parent)!r}))
        store = RunbookStore(open_journal(settings.state_dir))
        walk = Walk.resume_or_start(store, book, lambda: Live(settings=settings), "ana")
        async def go():
            await walk.start("one")
            await walk.finish("one", operator_says_done=True)
            await walk.start("two")
        asyncio.run(go())
        print("running", flush=True)
        os.kill(os.getpid(), 9)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9 and "running" in proc.stdout, proc.stderr
    book = load_runbook(book_file, repo_root=book_file.parent)
    store = RunbookStore(open_journal(settings.state_dir))
    session = store.open_session_for("demo")
    assert session is not None
    views = current_states(book, store.events(session.id))
    assert views["one"].state is StepState.DONE
    assert views["two"].state is StepState.INTERRUPTED
    assert next_step(book, views) == "two"
    store.close()


def test_second_instance_is_read_only(settings: Settings, book_file: Path) -> None:
    first = RunbookStore(open_journal(settings.state_dir))
    session = first.start_session("demo", "recovery", "Demo", "sandbox", "ana")
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from actions.journal import open_journal
        from actions.runbooks.engine import StepState
        from actions.runbooks.store import ReadOnlyError, RunbookStore
        store = RunbookStore(open_journal(Path({str(settings.state_dir)!r})))
        print(store.read_only_reason)
        print([s.id for s in store.sessions()])
        try:
            store.record({session.id!r}, "one", StepState.DONE, "bob")
        except ReadOnlyError:
            print("refused")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("read-only: another factory-tui is writing"), proc.stderr
    assert session.id in lines[1] and lines[2] == "refused"
    assert first.events(session.id) == []
    first.record(session.id, "one", StepState.DONE, "ana")
    first.close()
    with pytest.raises(ReadOnlyError):
        RunbookStore(open_journal(settings.state_dir), write=False).record(session.id, "one", StepState.DONE, "x")


def test_corrupt_journal_is_set_aside_and_reported(settings: Settings) -> None:
    settings.state_dir.mkdir(parents=True)
    (settings.state_dir / "journal.sqlite3").write_bytes(b"this is not sqlite" * 100)
    journal = open_journal(settings.state_dir)
    assert journal.notice and "moved aside" in journal.notice
    kept = [p for p in settings.state_dir.iterdir() if p.name.startswith("journal.sqlite3.corrupt-")]
    assert kept and kept[0].read_bytes().startswith(b"this is not sqlite")
    store = RunbookStore(journal)
    assert store.start_session("demo", "recovery", "Demo", "", "ana").status == "open"
    store.close()
