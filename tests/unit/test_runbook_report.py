"""The incident report: each step's duration and the recovery time (RTO); the backups a restore offers."""

from __future__ import annotations

from actions.runbooks.backups import parse_listing
from actions.runbooks.engine import StepEvent, StepState, current_states
from actions.runbooks.model import Runbook
from actions.runbooks.report import recovery_time, render_report
from actions.runbooks.store import SessionRecord

BOOK = Runbook.model_validate({
    "name": "recovery", "title": "Recovery", "kind": "recovery",
    "steps": [
        {"id": "reachable", "title": "A", "doc": "d", "action": {"type": "manual", "instructions": "x"}},
        {"id": "k3s", "title": "B", "doc": "d", "action": {"type": "manual", "instructions": "y"}},
        {"id": "restore_pg", "title": "C", "doc": "d", "target_minutes": 1,
         "action": {"type": "manual", "instructions": "z"}},
        {"id": "final", "title": "D", "doc": "d", "action": {"type": "manual", "instructions": "w"}},
    ],
})
SESSION = SessionRecord(id="s1", runbook="recovery", kind="recovery", title="Recovery", lab="rehearsal",
                        operator="ana", started_at=1000.0, status="open")


def ev(step: str, state: StepState, at: float, note: str = "") -> StepEvent:
    return StepEvent(session_id="s1", step_id=step, state=state, at=at, operator="ana", note=note)


EVENTS = [
    ev("reachable", StepState.RUNNING, 1010), ev("reachable", StepState.DONE, 1030),
    ev("k3s", StepState.SKIPPED, 1040, note="no k3s in the rehearsal lab"),
    ev("restore_pg", StepState.RUNNING, 1050), ev("restore_pg", StepState.DONE, 1145),
    # A later skip restores nothing: the RTO still ends with the restore.
    ev("final", StepState.SKIPPED, 1300, note="later"),
]


def test_rto_runs_from_the_opening_to_the_last_step_done() -> None:
    assert recovery_time(SESSION.started_at, current_states(BOOK, EVENTS)) == (145.0, "restore_pg")
    assert recovery_time(SESSION.started_at, current_states(BOOK, EVENTS[:1])) is None


def test_report_shows_each_steps_duration_the_overrun_and_the_rto() -> None:
    report = render_report(BOOK, SESSION, EVENTS)
    assert "- recovery time (RTO): 2m25s (from the opening until `restore_pg` was done)" in report
    assert "| reachable | done | 20s | - |" in report
    assert "| restore_pg | done | 1m35s | 1m00s | yes |" in report
    assert "| k3s | skipped | 0s | - |  | ana | no k3s in the rehearsal lab |" in report
    assert "- recovery time (RTO): - (no step done yet)" in render_report(BOOK, SESSION, [])


def test_a_restore_offers_dumps_not_their_checksums_or_partial_files() -> None:
    listing = "\n".join([
        "300.0 64 /mnt/backups/postgres/gitea/gitea-20260101T020000Z.dump.sha256",
        "299.0 4096 /mnt/backups/postgres/gitea/gitea-20260101T020000Z.dump",
        "400.0 10 /mnt/backups/postgres/gitea/.gitea-20260102T020000Z.dump.partial",
        "100.0 2048 /mnt/backups/postgres/gitea/gitea-20251231T020000Z.dump",
        "garbage",
    ])
    assert [b.path.rsplit("/", 1)[-1] for b in parse_listing(listing)] == [
        "gitea-20260101T020000Z.dump", "gitea-20251231T020000Z.dump"]
