"""The checklist engine: each step's state, whether it is locked and why, and what may happen next.

Pure logic over a runbook, the journalled step events of one session, and live checks; the store
(``store.py``) persists, the screens and the CLI render. A step that was ``running`` in a process that is
gone reads ``interrupted``, never done: only a passing verify (or the operator's explicit mark, for steps
with nothing to verify) makes a step done.
"""

from __future__ import annotations

import time
from enum import StrEnum

from pydantic import BaseModel, Field

from actions.runbooks.model import Runbook, Step
from actions.runbooks.predicates import Check, Live, evaluate


class StepState(StrEnum):
    """A step's state in a session."""
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"

    @property
    def mark(self) -> str:
        """The state as a checkbox (``[x]`` done, ``[!]`` failed, ...)."""
        return {
            "pending": "[ ]", "running": "[~]", "done": "[x]", "failed": "[!]", "skipped": "[-]",
            "interrupted": "[?]",
        }[self.value]

    @property
    def settled(self) -> bool:
        """Done or skipped: later steps that require this one may go."""
        return self in (StepState.DONE, StepState.SKIPPED)


class StepEvent(BaseModel):
    """One transition of one step, as journalled."""

    session_id: str
    step_id: str
    state: StepState
    at: float
    operator: str
    note: str = ""
    run_id: str | None = None
    health: str = Field("", description="One-line health summary at the transition.")
    pid: int | None = None
    live: bool = Field(True, description="False when the process that wrote a `running` event is gone.")


class StepView(BaseModel):
    """A step as the checklist shows it now."""

    step_id: str
    title: str
    state: StepState
    since: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    note: str = ""
    operator: str = ""
    locked: str | None = Field(None, description="Why the step cannot start now, or None.")

    @property
    def elapsed(self) -> float | None:
        """Seconds the step took, or has been running; ``None`` before it started."""
        if self.started_at is None:
            return None
        return (self.finished_at or time.time()) - self.started_at


def current_states(book: Runbook, events: list[StepEvent]) -> dict[str, StepView]:
    """Fold the events (oldest first) into each step's current view."""
    views = {s.id: StepView(step_id=s.id, title=s.title, state=StepState.PENDING) for s in book.steps}
    for ev in events:
        view = views.get(ev.step_id)
        if view is None:
            continue  # a step removed from the runbook since; its history stays in the journal
        state = ev.state
        if state is StepState.RUNNING and not ev.live:
            state = StepState.INTERRUPTED
        if state is StepState.RUNNING or (state is not StepState.PENDING and view.started_at is None):
            view.started_at = view.started_at if view.state is StepState.RUNNING else ev.at
        view.finished_at = ev.at if state in (StepState.DONE, StepState.FAILED, StepState.SKIPPED) else None
        view.state, view.since, view.note, view.operator = state, ev.at, ev.note, ev.operator
    return views


def step_locks(book: Runbook, views: dict[str, StepView], checks: dict[str, list[Check]]) -> None:
    """Set ``locked`` on each view from its required steps and its required predicates' checks."""
    for step in book.steps:
        reasons = []
        for dep in step.required_steps():
            if not views[dep].state.settled:
                reasons.append(f"step {dep} is {views[dep].state.value}")
        for check in checks.get(step.id, []):
            if check.ok is not True:
                reasons.append(f"{check.name}: {check.reading}")
        views[step.id].locked = "; ".join(reasons) or None


async def requirement_checks(book: Runbook, live: Live) -> dict[str, list[Check]]:
    """Evaluate every step's required predicates once (steps share most of them)."""
    cache: dict[str, Check] = {}
    out: dict[str, list[Check]] = {}
    for step in book.steps:
        results = []
        for ref in step.required_predicates():
            key = ref.model_dump_json()
            if key not in cache:
                cache[key] = (await evaluate(live, [ref]))[0]
            results.append(cache[key])
        out[step.id] = results
    return out


async def verify(step: Step, live: Live) -> list[Check]:
    """Evaluate the step's verify predicates against ``live``."""
    return await evaluate(live, step.verify)


def verified(checks: list[Check]) -> bool:
    """All verify checks pass. A step with nothing to verify is never done by itself."""
    return bool(checks) and all(c.ok is True for c in checks)


def next_step(book: Runbook, views: dict[str, StepView]) -> str | None:
    """The first step that is neither done nor skipped: where the operator resumes."""
    for step in book.steps:
        if not views[step.id].state.settled:
            return step.id
    return None


def progress(views: dict[str, StepView]) -> tuple[int, int]:
    """Steps settled (done or skipped) and steps in all."""
    settled = sum(1 for v in views.values() if v.state.settled)
    return settled, len(views)
