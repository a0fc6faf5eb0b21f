"""The incident report: a Markdown account of one runbook session, for the lab's records.

Timeline of every transition, who confirmed what, each step's duration against the runbook's target, the
recovery time (RTO), and the health at the end. Built from the journal only, so it can be written after the
fact.
"""

from __future__ import annotations

import time

from actions.durations import duration_text
from actions.runbooks.engine import StepEvent, StepState, StepView, current_states
from actions.runbooks.model import Runbook
from actions.runbooks.store import SessionRecord


def _ts(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else "-"


def recovery_time(started_at: float, views: dict[str, StepView]) -> tuple[float, str] | None:
    """The recovery time (RTO): from the session's opening to the moment its last proven step was done, and
    that step's id; None while no step is done. Skipped steps restored nothing, so they do not count."""
    done = [(v.finished_at, v.step_id) for v in views.values()
            if v.state is StepState.DONE and v.finished_at is not None]
    if not done:
        return None
    at, step_id = max(done)
    return at - started_at, step_id


def _rto(started_at: float, views: dict[str, StepView]) -> str:
    rto = recovery_time(started_at, views)
    if rto is None:
        return "- (no step done yet)"
    seconds, step_id = rto
    return f"{duration_text(seconds)} (from the opening until `{step_id}` was done)"


def render_report(book: Runbook, session: SessionRecord, events: list[StepEvent]) -> str:
    """The session's incident (or bring-up) report as Markdown: each step, its state, who, when and notes."""
    views = current_states(book, events)
    ended = session.ended_at or (events[-1].at if events else None)
    lines = [
        f"# {'Incident' if book.kind == 'recovery' else 'Bring-up'} report: {book.title}",
        "",
        f"- session: `{session.id}` ({session.status})",
        f"- lab: {session.lab or '-'}",
        f"- opened by: {session.operator} at {_ts(session.started_at)}",
        *([f"- why: {session.reason}"] if session.reason else []),
        f"- ended: {_ts(session.ended_at)}",
        f"- total: {duration_text((ended or time.time()) - session.started_at)}",
        f"- recovery time (RTO): {_rto(session.started_at, views)}",
        "",
        "## Steps",
        "",
        "| step | state | took | target | over | by | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for step in book.steps:
        v = views[step.id]
        took = v.elapsed if v.state is not StepState.PENDING else None
        target = step.target_minutes * 60 if step.target_minutes else None
        over = "yes" if took is not None and target is not None and took > target else ""
        note = v.note.replace("|", "\\|").replace("\n", " ")
        cells = [step.id, v.state.value, duration_text(took), duration_text(target), over, v.operator or "-", note]
        lines.append(f"| {' | '.join(cells)} |")
    lines += ["", "## Timeline", ""]
    for ev in events:
        extra = f" — {ev.note}" if ev.note else ""
        run = f" (run `{ev.run_id}`)" if ev.run_id else ""
        state = "interrupted" if ev.state is StepState.RUNNING and not ev.live else ev.state.value
        lines.append(f"- {_ts(ev.at)} **{ev.step_id}** → {state} by {ev.operator}{run}{extra}")
        if ev.health:
            lines.append(f"  - health: {ev.health}")
    final = next((ev.health for ev in reversed(events) if ev.health), "")
    lines += ["", "## Final health", "", final or "no health reading was journalled", ""]
    return "\n".join(lines)
