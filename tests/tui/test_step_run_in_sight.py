"""A checklist step's playbook never slips out of sight: a real run (local connection) started from a
step goes on after Esc with its pane kept, listed on the checklist row, on the runs screen and in the quit
dialog, and opening the step again shows the same live pane."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

from textual.widgets import DataTable
from vault_helpers import wait_for

from actions.ansible import RunStatus
from actions.config import Settings
from actions.lab import load_lab
from actions.runbooks.model import Runbook, Step
from tui import step_keeper
from tui.app import FactoryApp
from tui.modals.confirm import ConfirmModal
from tui.modals.quit import QuitModal
from tui.modals.start_session import StartSessionModal
from tui.screens.checklist import ChecklistScreen
from tui.screens.runs import RunsScreen
from tui.screens.step import StepScreen
from tui.widgets.run_pane import RunPane

DATA = Path(__file__).resolve().parent.parent / "data" / "playbooks"
INVENTORY = DATA / "local_inventory.yml"


def _sleepers(seconds: str) -> list[str]:
    out = subprocess.run(["pgrep", "-f", f"sleep {seconds}"], capture_output=True, text=True, check=False)
    return out.stdout.split()


def drill(seconds: str) -> Runbook:
    return Runbook(name="drill", title="Drill", kind="recovery", steps=[Step(
        id="sleep", title="Sleep on local1", doc="docs/index.md",
        action={"type": "playbook", "playbook": str(DATA / "sleep.yml"), "limit": "local1",
                "check_first": False, "extra_vars": {"sleep_seconds": seconds}},
    )])


def state_cell(checklist: ChecklistScreen) -> str:
    table = checklist.query_one("#steps", DataTable)
    return str(table.get_row("sleep")[2]) if table.row_count else ""


async def test_a_running_step_stays_in_sight(settings: Settings) -> None:
    seconds = str(4000 + uuid.uuid4().int % 1000)
    settings.operator = "ana"
    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
    async with app.run_test(size=(120, 40)) as pilot:
        app.runbooks.books["drill"] = drill(seconds)
        await pilot.press("2")
        await pilot.pause()
        app.screen.open_book("drill")  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: isinstance(app.screen, StartSessionModal), what="the question")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistScreen), what="the checklist")
        checklist = app.screen
        assert isinstance(checklist, ChecklistScreen)
        await wait_for(pilot, lambda: checklist.query_one("#steps", DataTable).row_count == 1, what="the step")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StepScreen), what="the step screen")
        step = app.screen
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the gate")
        await pilot.pause(0.3)
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: len(step.query(RunPane)) == 1, what="the run pane")
        pane = step.query_one(RunPane)
        await wait_for(pilot, lambda: bool(_sleepers(seconds)), timeout=90, what="the playbook sleeping on the host")

        try:
            await pilot.press("escape")  # back to the checklist while it runs
            await wait_for(pilot, lambda: app.screen is checklist, what="back on the checklist")
            assert pane.is_attached and pane in app.live_runs and pane.status is RunStatus.RUNNING
            await wait_for(pilot, lambda: re.fullmatch(r"running \d+s", state_cell(checklist)) is not None,
                           what="the elapsed seconds on the row")

            await pilot.press("3")  # the runs screen lists it
            runs = app.screen
            assert isinstance(runs, RunsScreen)
            history = runs.query_one("#history-table", DataTable)
            await wait_for(pilot, lambda: any(
                str(history.get_row_at(i)[2]) == "sleep" and str(history.get_row_at(i)[5]) == "running"
                for i in range(history.row_count)), what="the run listed as running")

            await app.action_quit()  # the quit dialog names it
            await wait_for(pilot, lambda: isinstance(app.screen, QuitModal), what="the quit dialog")
            assert app.screen.runs == ["sleep [REAL] · running"]  # type: ignore[attr-defined]
            await pilot.press("escape")  # stay

            await pilot.press("2")
            await wait_for(pilot, lambda: app.screen is checklist, what="the checklist again")
            await pilot.press("enter")  # the same step screen, its pane still live
            await wait_for(pilot, lambda: app.screen is step, what="the step screen again")
            assert step.query_one(RunPane) is pane and pane.status is RunStatus.RUNNING

            pane.action_cancel_run()
            await wait_for(pilot, lambda: not pane.status.ongoing, timeout=60, what="cancelled")
            await wait_for(pilot, lambda: not step.busy, what="the step settled")
            await pilot.press("escape")
            # Ended and out of sight: the kept screen goes as any other popped screen.
            name = step_keeper.screen_name(checklist.walk.session.id, "sleep")
            await wait_for(pilot, lambda: not app.is_screen_installed(name) and not step.is_attached, what="released")
            await wait_for(pilot, lambda: state_cell(checklist).startswith("pending"), what="the step pending again")
        finally:
            pane.cancel.set()  # whatever failed above, the playbook does not outlive the test
    assert not _sleepers(seconds)
