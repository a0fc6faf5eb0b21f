"""The `playbook` step action's policy: what to run, in which order, and what each run's end means.

A runbook may ask for a check-mode run first (``check_first``): it runs when this playbook was never
checked against these hosts, and the real run is offered only once that check passed, behind the gate
(which then shows the check). The operator may also pick a check-mode run at the gate instead. Nothing
here shows anything: the carrier (the step screen) prepares runs, asks for the permit, runs them where the
operator sees them and says a line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

from actions.ansible import PreparedRun, RunResult, RunSpec, RunStatus
from actions.gates import GateRequest, Permit
from actions.runbooks.model import PlaybookAction
from actions.runbooks.outcome import Outcome


class Carrier(Protocol):
    """What the policy needs from the front end that carries the step."""

    async def prepare(self, spec: RunSpec) -> PreparedRun:
        """Resolve the run (playbook, hosts, gate request) without starting it."""
        ...

    async def ask(self, request: GateRequest) -> Permit | Literal["check"] | None:
        """The operator's answer at the gate: a permit, a check-mode run instead, or ``None`` (cancelled)."""
        ...

    async def run(self, prepared: PreparedRun, permit: Permit | None) -> RunResult:
        """Run it in sight of the operator and wait for its end."""
        ...

    def say(self, line: str) -> None:
        """Tell the operator one line."""
        ...


def step_spec(action: PlaybookAction, inventory: Path, *, forks: int | None = None,
              asked: dict[str, str] | None = None, backup: str | None = None) -> RunSpec:
    """The real run a step asks for: the runbook's extra vars, then the values the operator gave for
    ``ask_vars``, then the chosen backup under ``backup_var``."""
    extra = {key: str(value) for key, value in action.extra_vars.items()}
    extra.update(asked or {})
    if backup is not None:
        extra[action.backup_var] = backup
    return RunSpec(playbook=action.playbook, inventory=inventory, limit=action.limit, tags=tuple(action.tags),
                   extra_vars=tuple(extra.items()), check=False, forks=forks)


def check_outcome(result: RunResult) -> Outcome:
    """A check-mode run chosen at the gate: the lab is unchanged, so the step stays for the operator."""
    return Outcome(run_id=result.run_id or None, note=f"check run {result.status}", check_only=True,
                   failed=result.status is not RunStatus.OK)


def real_outcome(result: RunResult) -> Outcome:
    """The real run's end: cancelled leaves the step pending; anything but ok fails it."""
    note = f"run {result.status}" + (f": {result.message}" if result.message else "")
    return Outcome(run_id=result.run_id or None, note=note, cancelled=result.status is RunStatus.CANCELLED,
                   failed=result.status not in (RunStatus.OK, RunStatus.CANCELLED))


async def play(action: PlaybookAction, spec: RunSpec, carrier: Carrier) -> Outcome:
    """Carry out a playbook step: the check first when the runbook asks and it was never checked, then the
    real run if the operator confirms it (or a check-mode run if they pick that at the gate)."""
    check_spec = spec.model_copy(update={"check": True})
    real = await carrier.prepare(spec)
    if action.check_first and real.request.suggest_check_first:
        carrier.say("check mode first: nothing will change")
        result = await carrier.run(await carrier.prepare(check_spec), None)
        if result.status is not RunStatus.OK:
            note = f"check run {result.status}: {result.message}".strip(": ")
            return Outcome(run_id=result.run_id or None, note=note, check_only=True, failed=True)
        real = await carrier.prepare(spec)  # the gate now shows the check that just passed
    answer = await carrier.ask(real.request)
    if answer is None:
        return Outcome(cancelled=True, note="real run not confirmed")
    if answer == "check":
        return check_outcome(await carrier.run(await carrier.prepare(check_spec), None))
    return real_outcome(await carrier.run(real, answer))
