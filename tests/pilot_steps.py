"""Moves of an operator walking a checklist in the app under Pilot: open a step, run it, confirm its gate,
skip it with a reason. Shared by the sandbox rehearsal and the disaster-recovery drill."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.widgets import Input

from actions.runbooks.engine import StepState
from tui.app import FactoryApp
from tui.modals.confirm import ConfirmModal
from tui.modals.reason import ReasonModal
from tui.modals.start_session import StartSessionModal
from tui.screens.checklist import ChecklistScreen
from tui.screens.step import StepScreen
from tui.screens.vault_unseal import VaultUnsealScreen


async def until(pilot: Any, check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


def step_state(app: FactoryApp, step_id: str) -> StepState:
    """The step's journalled state, read through the step screen under any modal on top of it."""
    screen = next(s for s in reversed(app.screen_stack) if isinstance(s, StepScreen))
    return screen.walk.views()[step_id].state


async def open_step(pilot: Any, app: FactoryApp, step_id: str) -> StepScreen:
    if isinstance(app.screen, StepScreen):
        await pilot.press("escape")
    await until(pilot, lambda: isinstance(app.screen, ChecklistScreen), "the checklist")
    checklist = app.screen
    assert isinstance(checklist, ChecklistScreen)
    checklist.open_step(step_id)
    await until(pilot, lambda: isinstance(app.screen, StepScreen) and app.screen.step.id == step_id, step_id)
    return app.screen  # type: ignore[return-value]


async def run_step(pilot: Any, screen: StepScreen) -> None:
    """Press `x` once the step is unlocked (a loaded machine can hold a reading back a tick)."""
    await until(pilot, lambda: bool(screen.query("#run")) and screen.query_one("#run").disabled is False,
                f"{screen.step.id} unlocked")
    await pilot.press("x")


async def skip(pilot: Any, app: FactoryApp, step_id: str, reason: str) -> None:
    await pilot.press("s")
    await until(pilot, lambda: isinstance(app.screen, ReasonModal), "the reason prompt")
    await pilot.press(*reason, "enter")
    await until(pilot, lambda: step_state(app, step_id) is StepState.SKIPPED, f"{step_id} skipped")


async def press_button(pilot: Any, app: FactoryApp, modal: type, button: str) -> None:
    """Click a modal's button once it is laid out, and wait for the modal to go."""
    await until(pilot, lambda: isinstance(app.screen, modal) and bool(app.screen.query(button)), modal.__name__)
    shown = app.screen
    for _ in range(20):
        await pilot.pause(0.2)
        await pilot.click(button)
        await pilot.pause(0.2)
        if app.screen is not shown:
            return
    raise AssertionError(f"{button} on {modal.__name__} did not respond")


async def confirm_gate(pilot: Any, app: FactoryApp) -> None:
    await press_button(pilot, app, ConfirmModal, "#confirm")


async def unseal_step(pilot: Any, app: FactoryApp, shares: list[str]) -> None:
    """Walk the `vault_unseal` step: its gate, then the unseal screen fed ``shares`` one at a time."""
    screen = await open_step(pilot, app, "vault_unseal")
    await run_step(pilot, screen)
    await confirm_gate(pilot, app)
    await until(pilot, lambda: isinstance(app.screen, VaultUnsealScreen), "the unseal screen")
    unseal = app.screen
    for share in shares[:2]:
        await until(pilot, lambda: not unseal.busy, "the previous share")  # type: ignore[attr-defined]
        await pilot.press(*share, "enter")
    await until(pilot, lambda: app.screen.unsealed, "Vault unsealed", timeout=60)  # type: ignore[attr-defined]
    assert app.screen.query_one(Input).value == ""
    await pilot.press("escape")
    assert await verified(pilot, app, screen, "vault_unseal"), screen.walk.views()["vault_unseal"].note


async def open_checklist(pilot: Any, app: FactoryApp, name: str, reason: str = "rehearsal") -> None:
    """Wait for every host's first health reading, then open checklist ``name`` from the runbooks screen,
    starting its session (with ``reason``) when none is in progress."""
    await until(pilot, lambda: app.health.latest is not None
                and all(h.reading is not None for h in app.health.latest.hosts), "health readings")
    await pilot.press("2")
    await pilot.pause(0.5)
    app.screen.open_book(name)  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, ChecklistScreen | StartSessionModal), f"the {name} checklist")
    if isinstance(app.screen, StartSessionModal):  # none in progress: it asks first, and why
        await pilot.press(*reason, "enter")
        if isinstance(app.screen, StartSessionModal) and app.screen.query("#session-name"):
            await pilot.press(*"operator", "enter")
    await until(pilot, lambda: isinstance(app.screen, ChecklistScreen), f"the {name} checklist")


async def verified(pilot: Any, app: FactoryApp, screen: StepScreen, step_id: str) -> bool:
    """Whether the step ran and its verify passed. On a loaded machine a reading can be a tick late: the
    operator verifies again with `d`, unless the action itself failed (verifying again would hide that)."""
    await until(pilot, lambda: not screen.busy and step_state(app, step_id) is not StepState.RUNNING,
                f"{step_id}'s verify")
    for _ in range(5):
        state, note = step_state(app, step_id), screen.walk.views()[step_id].note
        if state is StepState.DONE:
            return True
        if note.startswith(("run ", "check run ", "action error")):
            return False
        await pilot.pause(2)
        await pilot.press("d")
        await pilot.pause(1)
    return step_state(app, step_id) is StepState.DONE
