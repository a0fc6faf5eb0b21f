"""The playbook step's policy (`actions.runbooks.playbook_step`): check first when the runbook asks and the
playbook was never checked, the real run only after a passing check and a confirmation, and what each end
means for the step. The carrier is a recording fake: this is the order of moves, not Ansible."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from actions.ansible import RunResult, RunSpec, RunStatus
from actions.runbooks.model import PlaybookAction
from actions.runbooks.outcome import Outcome
from actions.runbooks.playbook_step import play, step_spec

PERMIT = object()


def action(**fields: Any) -> PlaybookAction:
    return PlaybookAction.model_validate({"type": "playbook", "playbook": "playbooks/05_backup.yml", **fields})


class Carrier:
    """Answers the gate with ``answer``; each run ends with the next status of ``ends``."""

    def __init__(self, answer: Any, ends: list[RunStatus], never_checked: bool = True) -> None:
        self.answer = answer
        self.ends = list(ends)
        self.never_checked = never_checked
        self.moves: list[str] = []

    async def prepare(self, spec: RunSpec) -> Any:
        self.moves.append("prepare check" if spec.check else "prepare real")
        return SimpleNamespace(spec=spec, request=SimpleNamespace(suggest_check_first=self.never_checked))

    async def ask(self, request: Any) -> Any:
        self.moves.append("ask")
        return self.answer

    async def run(self, prepared: Any, permit: Any) -> RunResult:
        mode = "check" if prepared.spec.check else "real"
        assert (permit is None) == (mode == "check"), "a check runs without a permit, a real run with one"
        self.moves.append(f"run {mode}")
        status = self.ends.pop(0)
        return RunResult(run_id=f"{mode}-{len(self.moves)}", status=status,
                         message="pi2 failed" if status is RunStatus.FAILED else "")

    def say(self, line: str) -> None:
        self.moves.append(f"say {line}")


def go(act: PlaybookAction, carrier: Carrier) -> Outcome:
    spec = step_spec(act, Path("/inv.yml"))
    return asyncio.run(play(act, spec, carrier))


def test_never_checked_runs_the_check_then_asks_for_the_real_run() -> None:
    carrier = Carrier(PERMIT, [RunStatus.OK, RunStatus.OK])
    outcome = go(action(), carrier)
    assert carrier.moves == ["prepare real", "say check mode first: nothing will change", "prepare check",
                             "run check", "prepare real", "ask", "run real"]
    assert outcome == Outcome(run_id="real-7", note="run ok")


def test_a_failed_check_stops_before_the_gate() -> None:
    carrier = Carrier(PERMIT, [RunStatus.FAILED])
    outcome = go(action(), carrier)
    assert "ask" not in carrier.moves and "run real" not in carrier.moves
    assert outcome == Outcome(run_id="check-4", note="check run failed: pi2 failed", check_only=True, failed=True)


@pytest.mark.parametrize("check_first, never_checked", [(False, True), (True, False)])
def test_no_check_first_when_not_asked_or_already_checked(check_first: bool, never_checked: bool) -> None:
    carrier = Carrier(PERMIT, [RunStatus.OK], never_checked=never_checked)
    go(action(check_first=check_first), carrier)
    assert carrier.moves == ["prepare real", "ask", "run real"]


@pytest.mark.parametrize("end, outcome", [
    (RunStatus.CANCELLED, Outcome(run_id="real-3", note="run cancelled", cancelled=True)),
    (RunStatus.FAILED, Outcome(run_id="real-3", note="run failed: pi2 failed", failed=True)),
    (RunStatus.REFUSED, Outcome(run_id="real-3", note="run refused", failed=True)),
])
def test_the_real_run_s_end(end: RunStatus, outcome: Outcome) -> None:
    assert go(action(check_first=False), Carrier(PERMIT, [end])) == outcome


def test_gate_left_runs_nothing() -> None:
    carrier = Carrier(None, [])
    assert go(action(check_first=False), carrier) == Outcome(cancelled=True, note="real run not confirmed")
    assert carrier.moves == ["prepare real", "ask"]


@pytest.mark.parametrize("end, failed", [(RunStatus.OK, False), (RunStatus.FAILED, True)])
def test_check_chosen_at_the_gate_leaves_the_lab_unchanged(end: RunStatus, failed: bool) -> None:
    carrier = Carrier("check", [end])
    outcome = go(action(check_first=False), carrier)
    assert carrier.moves == ["prepare real", "ask", "prepare check", "run check"]
    assert outcome == Outcome(run_id="check-4", note=f"check run {end.value}", check_only=True, failed=failed)


def test_step_spec_extra_vars_in_order() -> None:
    act = action(limit="pi2", tags=["restore"], extra_vars={"keep": 3, "db": "gitea"}, backup_var="dump")
    spec = step_spec(act, Path("/inv.yml"), forks=4, asked={"db": "app"}, backup="/b/gitea.sql")
    assert spec.extra_vars == (("keep", "3"), ("db", "app"), ("dump", "/b/gitea.sql"))
    assert (spec.limit, spec.tags, spec.check, spec.forks) == ("pi2", ("restore",), False, 4)
