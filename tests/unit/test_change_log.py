"""The journal's record of changes that are not playbook runs: started, ended, interrupted, never a secret."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from actions import change_log
from actions.gates import GateRequest, Level, issue
from actions.journal import JOURNAL_NAME, JournalError, open_journal

SEAL = GateRequest(kind="vault.seal", level=Level.DESTRUCTIVE, title="Seal Vault at http://v:8200",
                   command=("PUT", "http://v:8200/v1/sys/seal"), targets=("http://v:8200",), confirm_name="v")


def _permit():  # type: ignore[no-untyped-def]
    return issue(SEAL, confirmed=True, typed_name="v", operator="ann")


def test_a_change_is_recorded_with_what_was_confirmed(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    with change_log.recorded(journal, _permit(), "sealed"):
        (running,) = change_log.changes(journal)
        assert running.status == change_log.RUNNING and running.finished_at is None
    (done,) = change_log.changes(journal)
    assert (done.kind, done.title, done.operator, done.status, done.message) == (
        "vault.seal", "Seal Vault at http://v:8200", "ann", "ok", "sealed")
    assert done.command == "PUT http://v:8200/v1/sys/seal" and done.targets == ["http://v:8200"]
    assert done.finished_at is not None and done.finished_at >= done.started_at


def test_a_failed_change_keeps_its_message_and_the_error_goes_on(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    permit = _permit()
    with pytest.raises(RuntimeError, match="permission denied"), change_log.recorded(journal, permit):
        raise RuntimeError("http://v:8200: permission denied")
    (failed,) = change_log.changes(journal)
    assert failed.status == change_log.ERROR and failed.message == "http://v:8200: permission denied"


def test_nothing_is_written_without_a_journal_or_a_permit(tmp_path: Path) -> None:
    with change_log.recorded(None, _permit()):
        pass
    journal = open_journal(tmp_path)
    with change_log.recorded(journal, None):
        pass
    assert change_log.changes(journal) == []


def test_changes_list_newest_first_and_as_json(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    first = change_log.start(journal, _permit())
    change_log.finish(journal, first, change_log.OK, "sealed")
    second = change_log.start(journal, _permit())
    change_log.finish(journal, second, change_log.STOPPED, "left sealed: 1 of 3 shares entered")
    listed = change_log.changes(journal)
    assert [c.id for c in listed] == [second, first]
    assert change_log.as_json(listed)[0]["message"] == "left sealed: 1 of 3 shares entered"
    assert len(change_log.changes(journal, limit=1)) == 1
    assert len(change_log.changes(journal, kind="vault.")) == 2 and change_log.changes(journal, kind="tofu.") == []


def test_a_change_left_running_by_a_dead_app_reads_interrupted(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    change_id = change_log.start(journal, _permit())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    journal.execute("UPDATE changes SET pid = ? WHERE id = ?", (int(dead.stdout), change_id))
    mine = change_log.start(journal, _permit())  # this process is alive: its change stays running
    states = {c.id: c.status for c in change_log.changes(journal)}
    assert states == {change_id: change_log.INTERRUPTED, mine: change_log.RUNNING}


def test_a_journal_that_cannot_be_written_says_where(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    sqlite3.connect(tmp_path / JOURNAL_NAME).execute("DROP TABLE changes")
    with pytest.raises(JournalError, match=f"{tmp_path}.*so it was not made"):
        change_log.start(journal, _permit())
    # An adapter has it raised as its own error, which its callers already show as one line.
    with pytest.raises(LookupError, match="cannot record the change"), change_log.recorded(
        journal, _permit(), "sealed", LookupError
    ):
        raise AssertionError("the change must not start when its record cannot be written")
