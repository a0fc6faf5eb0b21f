"""One walk through a runbook: the session, its steps' states with live locks, and the operator's moves.

UI-free, so the screens and the CLI make the same moves with the same rules: a step starts only when it is
not locked; it is done only when its verify checks pass (or, for a step with nothing to verify, when the
operator says so); a skip needs a reason; how a step's action ended is settled here too (:meth:`Walk.settle`).
Every move is journalled with a one-line health summary.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from actions.runbooks.engine import (
    StepState,
    StepView,
    current_states,
    next_step,
    requirement_checks,
    step_locks,
    verified,
    verify,
)
from actions.runbooks.model import Runbook, Step
from actions.runbooks.outcome import Outcome
from actions.runbooks.predicates import Check, Live
from actions.runbooks.store import RunbookStore, SessionRecord

#: The name settings fall back to when neither $USER nor $LOGNAME says who runs the app.
UNNAMED = "operator"
#: The status of the stand-in session a read-only view shows: it is never written to the journal.
PREVIEW = "preview"


@dataclass(frozen=True)
class Settled:
    """What :meth:`Walk.settle` journalled: the step's new state and note, and the verify checks when they
    decided it (``None`` when the outcome did not call for them)."""

    state: StepState
    note: str
    checks: list[Check] | None = None


class StepRefused(Exception):
    """The move is not allowed now; the message says why."""


def known_operator(operator: str) -> str | None:
    """The operator's name, or ``None`` when it is only the fallback: a session must not be recorded as
    started by "operator", so the screens ask for the name instead."""
    name = operator.strip()
    return None if not name or name == UNNAMED else name


def health_line(live: Live) -> str:
    """One line of health for the journal: each host's connection and worst finding, and Vault."""
    parts = []
    snap = live.snapshot
    if snap is not None:
        from actions.health.evaluate import failing, host_findings

        for state in snap.hosts:
            status, findings = host_findings(state, live.settings.health.thresholds, snap.interval)
            bad = failing(findings)
            parts.append(f"{state.name} {status.value}" + (f" ({bad[0].text})" if bad else ""))
    if live.vault is not None:
        v = live.vault
        parts.append("vault " + ("not initialised" if not v.initialized else "sealed" if v.sealed else "unsealed"))
    elif live.vault_error:
        parts.append(f"vault {live.vault_error}")
    return "; ".join(parts)


class Walk:
    """A session of ``book`` in ``store``; ``live`` gives the current live view when called."""

    def __init__(self, store: RunbookStore, book: Runbook, session: SessionRecord, live: Callable[[], Live],
                 operator: str, refresh: Callable[[], Awaitable[None]] | None = None) -> None:
        self.store = store
        self.book = book
        self.session = session
        self.live = live
        self.operator = operator
        # Called before live checks are evaluated, to bring readings that are not pushed (Vault) up to date.
        self.refresh = refresh

    @classmethod
    def resume_or_start(cls, store: RunbookStore, book: Runbook, live: Callable[[], Live], operator: str,
                        lab: str = "", refresh: Callable[[], Awaitable[None]] | None = None,
                        reason: str = "") -> Walk:
        """Walk the open session of ``book``, starting one when there is none."""
        session = store.open_session_for(book.name)
        if session is None:
            session = store.start_session(book.name, book.kind, book.title, lab, operator, reason)
        return cls(store, book, session, live, operator, refresh)

    @classmethod
    def preview(cls, store: RunbookStore, book: Runbook, live: Callable[[], Live], operator: str,
                lab: str = "", refresh: Callable[[], Awaitable[None]] | None = None) -> Walk:
        """The steps with their live locks and checks, and no session: nothing is journalled, no move is
        allowed. For reading the checklist before (or without) starting one."""
        import time

        session = SessionRecord(id="", runbook=book.name, kind=book.kind, title=book.title, lab=lab,
                                operator=operator, started_at=time.time(), status=PREVIEW)
        return cls(store, book, session, live, operator, refresh)

    @property
    def is_preview(self) -> bool:
        """A read-only view of the steps: nothing is recorded."""
        return self.session.status == PREVIEW

    @property
    def read_only(self) -> bool:
        """No move can be journalled: a read-only view, or another factory-tui writes the checklists."""
        return self.is_preview or self.store.read_only

    def _record(self, step_id: str, state: StepState, *, note: str = "", run_id: str | None = None) -> None:
        if self.is_preview:
            raise StepRefused("read-only view: start a session to act on the steps")
        self.store.record(self.session.id, step_id, state, self.operator, note=note, run_id=run_id,
                          health=health_line(self.live()))

    async def _fresh_live(self) -> Live:
        if self.refresh is not None:
            await self.refresh()
        return self.live()

    def views(self) -> dict[str, StepView]:
        """Each step's state, from the journal."""
        return current_states(self.book, self.store.events(self.session.id))

    async def views_with_locks(self) -> tuple[dict[str, StepView], dict[str, list[Check]]]:
        """Each step's state and lock (what it waits for), with the requirement checks read live."""
        views = self.views()
        checks = await requirement_checks(self.book, await self._fresh_live())
        step_locks(self.book, views, checks)
        return views, checks

    def resume_at(self) -> str | None:
        """The step to do next, or ``None`` when every step is settled."""
        return next_step(self.book, self.views())

    async def start(self, step_id: str, note: str = "") -> None:
        """Record the step running; refused when it is locked or already running."""
        views, _ = await self.views_with_locks()
        view = views[step_id]
        if view.locked:
            raise StepRefused(f"{step_id} is locked: {view.locked}")
        if view.state is StepState.RUNNING:
            raise StepRefused(f"{step_id} is already running")
        self._record(step_id, StepState.RUNNING, note=note)

    async def check(self, step_id: str) -> list[Check]:
        """Evaluate the step's verify checks now."""
        return await verify(self.book.step(step_id), await self._fresh_live())

    async def finish(self, step_id: str, *, run_id: str | None = None, note: str = "",
                     operator_says_done: bool = False) -> tuple[StepState, list[Check]]:
        """Record the step's outcome from its verify checks: done when they pass, failed when not.

        A step without verify checks is done only when the operator says so.
        """
        step = self.book.step(step_id)
        checks = await self.check(step_id)
        if step.verify:
            state, note = _verdict(checks, note)
        elif operator_says_done:
            state = StepState.DONE
        else:
            raise StepRefused(f"{step_id} has nothing to verify: mark it done yourself once it is")
        self._record(step_id, state, note=note, run_id=run_id)
        return state, checks

    async def settle(self, step_id: str, outcome: Outcome) -> Settled:
        """Journal how the step's action ended. Only its verify checks make it done (or the operator, for a
        step with nothing to verify): a cancelled action leaves it pending, a failed one fails it, and a
        check-mode run or an action with nothing to verify leaves it pending for the operator to judge."""
        step = self.book.step(step_id)
        if outcome.failed and not outcome.cancelled:
            self._record(step_id, StepState.FAILED, note=outcome.note, run_id=outcome.run_id)
            return Settled(StepState.FAILED, outcome.note)
        if outcome.cancelled or outcome.check_only or not step.verify:
            note = pending_note(step, outcome)
            self._record(step_id, StepState.PENDING, note=note, run_id=outcome.run_id)
            return Settled(StepState.PENDING, note)
        checks = await self.check(step_id)
        state, note = _verdict(checks, outcome.note)
        self._record(step_id, state, note=note, run_id=outcome.run_id)
        return Settled(state, note, checks)

    def fail(self, step_id: str, reason: str, run_id: str | None = None) -> None:
        """Record the step failed, with why (and its run)."""
        self._record(step_id, StepState.FAILED, note=reason, run_id=run_id)

    def skip(self, step_id: str, reason: str) -> None:
        """Record the step skipped; a reason is required."""
        if not reason.strip():
            raise StepRefused("a skipped step needs a reason")
        self._record(step_id, StepState.SKIPPED, note=reason.strip())

    def reopen(self, step_id: str, reason: str = "reopened") -> None:
        """Set the step back to pending."""
        self._record(step_id, StepState.PENDING, note=reason)

    def close(self, status: str = "closed") -> None:
        """End the session (refused for a read-only view)."""
        if self.is_preview:
            raise StepRefused("read-only view: there is no session to close")
        self.store.end_session(self.session.id, status)


def pending_note(step: Step, outcome: Outcome) -> str:
    """The note of an outcome that leaves the step pending: why nothing changed, or what is left to do."""
    if outcome.cancelled:
        return outcome.note or "cancelled before it changed anything"
    hint = "" if step.verify else "; mark it done once you have checked"
    return (outcome.note or "action finished") + hint


def _verdict(checks: list[Check], note: str) -> tuple[StepState, str]:
    """Done when every verify check passes, else failed. A failed verify's note says which checks failed
    (the report shows it), not how the action ended."""
    failing = [f"{c.name}: {c.reading}" for c in checks if c.ok is not True]
    state = StepState.DONE if verified(checks) else StepState.FAILED
    return state, "; ".join(failing) if failing else (note or "verified")
