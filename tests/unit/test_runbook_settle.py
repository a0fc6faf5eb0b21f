"""How a step action's end is journalled (`Walk.settle`): only verify makes a step done, a cancel leaves it
pending, a failure fails it, and every such event carries the health line like every other move."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from actions.config import Settings
from actions.journal import open_journal
from actions.runbooks.engine import StepState
from actions.runbooks.model import Runbook
from actions.runbooks.outcome import Outcome
from actions.runbooks.predicates import Live
from actions.runbooks.store import RunbookStore
from actions.runbooks.walk import Settled, Walk

BOOK = Runbook.model_validate({
    "name": "r", "title": "R", "kind": "recovery",
    "steps": [
        {"id": "unseal", "title": "Unseal", "doc": "d", "action": {"type": "vault_unseal"},
         "verify": ["vault_unsealed"]},
        {"id": "look", "title": "Look", "doc": "d", "action": {"type": "manual", "instructions": "x"}},
    ],
})


@dataclass(frozen=True)
class Seal:
    initialized: bool | None
    sealed: bool | None


def walk_with(settings: Settings, tmp_path: Path, sealed: bool) -> Walk:
    store = RunbookStore(open_journal(tmp_path / "journal"))
    live = Live(settings=settings, vault=Seal(initialized=True, sealed=sealed))
    return Walk.resume_or_start(store, BOOK, lambda: live, "ana", "lab")


def settle(walk: Walk, step_id: str, outcome: Outcome) -> Settled:
    return asyncio.run(walk.settle(step_id, outcome))


def last_event(walk: Walk, step_id: str) -> tuple[StepState, str, str | None, str]:
    ev = [e for e in walk.store.events(walk.session.id) if e.step_id == step_id][-1]
    return ev.state, ev.note, ev.run_id, ev.health


@pytest.mark.parametrize(("outcome", "state", "note"), [
    (Outcome(cancelled=True), StepState.PENDING, "cancelled before it changed anything"),
    (Outcome(run_id="r1", cancelled=True, note="run cancelled"), StepState.PENDING, "run cancelled"),
    (Outcome(run_id="r2", failed=True, note="run failed: pi2"), StepState.FAILED, "run failed: pi2"),
    (Outcome(run_id="r3", check_only=True, note="check run ok"), StepState.PENDING, "check run ok"),
    (Outcome(run_id="r4", check_only=True, failed=True, note="check run failed"), StepState.FAILED,
     "check run failed"),
])
def test_outcomes_that_do_not_verify(settings: Settings, tmp_path: Path, outcome: Outcome, state: StepState,
                                     note: str) -> None:
    # Vault reads unsealed, so a verify would pass: none of these may make the step done.
    walk = walk_with(settings, tmp_path, sealed=False)
    settled = settle(walk, "unseal", outcome)
    assert settled == Settled(state, note)
    assert last_event(walk, "unseal") == (state, note, outcome.run_id, "vault unsealed")


def test_verify_decides_done_or_failed(settings: Settings, tmp_path: Path) -> None:
    walk = walk_with(settings, tmp_path, sealed=False)
    settled = settle(walk, "unseal", Outcome(note="Vault unsealed"))
    assert settled.state is StepState.DONE and settled.note == "Vault unsealed"
    assert settled.checks is not None and [c.ok for c in settled.checks] == [True]
    assert last_event(walk, "unseal") == (StepState.DONE, "Vault unsealed", None, "vault unsealed")

    still_sealed = walk_with(settings, tmp_path / "b", sealed=True)
    settled = settle(still_sealed, "unseal", Outcome(run_id="r5", note="Vault unsealed"))
    assert settled.state is StepState.FAILED
    # The note names the check that failed and what it read, not how the action ended.
    assert settled.note.startswith("vault_unsealed: ") and "Vault unsealed" not in settled.note
    assert last_event(still_sealed, "unseal")[:3] == (StepState.FAILED, settled.note, "r5")


def test_nothing_to_verify_waits_for_the_operator(settings: Settings, tmp_path: Path) -> None:
    walk = walk_with(settings, tmp_path, sealed=False)
    settled = settle(walk, "look", Outcome(note="instructions followed"))
    assert settled == Settled(StepState.PENDING, "instructions followed; mark it done once you have checked")
    assert settle(walk, "look", Outcome()).note == "action finished; mark it done once you have checked"
