"""Folding step events into states; interrupted never reads done; locks name what fails and what it reads."""

from __future__ import annotations

from actions.runbooks.engine import (
    StepEvent,
    StepState,
    current_states,
    next_step,
    progress,
    step_locks,
    verified,
)
from actions.runbooks.model import Runbook
from actions.runbooks.predicates import Check

BOOK = Runbook.model_validate({
    "name": "r", "title": "R", "kind": "recovery",
    "steps": [
        {"id": "a", "title": "A", "doc": "d", "action": {"type": "manual", "instructions": "x"}},
        {"id": "b", "title": "B", "doc": "d", "requires": ["step:a", "vault_sealed"],
         "action": {"type": "vault_unseal"}},
        {"id": "c", "title": "C", "doc": "d", "requires": ["step:b"],
         "action": {"type": "manual", "instructions": "y"}},
    ],
})


def ev(step: str, state: StepState, at: float, live: bool = True, note: str = "") -> StepEvent:
    return StepEvent(session_id="s", step_id=step, state=state, at=at, operator="ana", live=live, note=note)


def test_fold_and_elapsed() -> None:
    views = current_states(BOOK, [ev("a", StepState.RUNNING, 10), ev("a", StepState.DONE, 70)])
    assert views["a"].state is StepState.DONE
    assert views["a"].elapsed == 60
    assert views["b"].state is StepState.PENDING
    assert next_step(BOOK, views) == "b"
    assert progress(views) == (1, 3)


def test_running_in_a_dead_process_is_interrupted_never_done() -> None:
    views = current_states(BOOK, [ev("a", StepState.RUNNING, 10, live=False)])
    assert views["a"].state is StepState.INTERRUPTED
    assert not views["a"].state.settled
    assert next_step(BOOK, views) == "a"


def test_skipped_with_reason_settles() -> None:
    views = current_states(BOOK, [ev("a", StepState.SKIPPED, 5, note="no k3s in the sandbox")])
    assert views["a"].state.settled and views["a"].note == "no k3s in the sandbox"


def test_locks_name_the_failing_step_and_predicate_with_its_reading() -> None:
    views = current_states(BOOK, [])
    checks = {"b": [Check(name="vault_sealed", ok=False, reading="Vault unsealed")]}
    step_locks(BOOK, views, checks)
    assert views["a"].locked is None
    assert views["b"].locked == "step a is pending; vault_sealed: Vault unsealed"
    assert views["c"].locked == "step b is pending"
    views = current_states(BOOK, [ev("a", StepState.DONE, 1)])
    step_locks(BOOK, views, {"b": [Check(name="vault_sealed", ok=True, reading="Vault sealed")]})
    assert views["b"].locked is None


def test_verified_needs_every_check_true() -> None:
    assert not verified([])
    assert not verified([Check(name="x", ok=None, reading="no reading")])
    assert verified([Check(name="x", ok=True, reading="")])
