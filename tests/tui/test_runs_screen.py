"""The runs screen with Pilot: a real check-mode run (local connection) streams into a tab, then replays."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import DataTable, RichLog, TabbedContent

from actions.ansible import RunSpec
from actions.config import Settings
from actions.lab import load_lab
from tui.app import FactoryApp
from tui.screens.runs import RunsScreen
from tui.widgets.run_pane import RunPane

DATA = Path(__file__).resolve().parent.parent / "data" / "playbooks"
INVENTORY = DATA / "local_inventory.yml"


async def _wait(pilot, predicate, timeout: float = 90.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await pilot.pause(0.1)


async def test_check_run_streams_into_a_tab_and_replays(settings: Settings) -> None:
    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        screen.start_run(RunSpec(playbook=str(DATA / "hello.yml"), inventory=INVENTORY, check=True))
        await _wait(pilot, lambda: len(screen.query(RunPane)) == 1)
        pane = screen.query_one(RunPane)
        await _wait(pilot, lambda: pane.status not in ("running", "cancelling"))
        assert pane.status == "ok"
        await pilot.pause()
        tabs = screen.query_one("#runs-tabs", TabbedContent)
        label = str(tabs.get_tab(pane.tab_id).label)
        assert label.startswith("hello · ok · ")
        # The task list has one row per task with a mark for each host.
        tasks = pane.query_one("#run-tasks", DataTable)
        assert tasks.row_count == 3
        assert str(tasks.get_cell_at((1, 1))) == "changed" or str(tasks.get_cell_at((1, 1))) == "skip"
        recap = pane.query_one("#run-recap", DataTable)
        assert recap.row_count == 2 and recap.has_class("-on")
        assert any("hello from local1" in line for line in pane.lines)

        # The filter hides the other lines and says so.
        await pilot.press("slash")
        await pilot.press(*"local2")
        await pilot.press("enter")
        log = pane.query_one("#run-log", RichLog)
        assert pane.query_one("#run-cue").has_class("-on")
        assert 0 < len(log.lines) < len(pane.lines)
        await pilot.press("escape")
        assert not pane.query_one("#run-cue").has_class("-on")

        # History lists the run; Enter replays it in a new tab with the same lines and recap.
        tabs.active = "history"
        await pilot.pause()
        history = screen.query_one("#history-table", DataTable)
        assert history.row_count == 1
        history.focus()
        await pilot.pause()
        await pilot.press("enter")
        await _wait(pilot, lambda: len(screen.query(RunPane)) == 2)
        replayed = next(p for p in screen.query(RunPane) if p.replay)
        await _wait(pilot, lambda: replayed.status != "running")
        assert replayed.status == "ok"
        assert replayed.lines == pane.lines
        assert replayed.query_one("#run-tasks", DataTable).row_count == 3
