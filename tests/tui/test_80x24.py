"""An 80x24 terminal, as right after a power cut: the three Pis down. Each screen keeps its essentials in
sight: since when a Pi has been down (health), each step's state and why it is locked (checklist, step)."""

from __future__ import annotations

import re
from pathlib import Path

from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Static
from vault_helpers import wait_for

from actions.lab import Host, Lab
from tests.conftest import make_settings
from tui.app import FactoryApp
from tui.screens.checklist import ChecklistScreen
from tui.screens.step import StepScreen
from tui.widgets.host_card import HostCard

SIZE = (80, 24)
CLOCK = re.compile(r"\d\d:\d\d:\d\d")
# Nothing listens on port 1: every Pi is unreachable, as after a power cut.
DOWN = Lab(name="sandbox", kind="sandbox", inventory=Path("/inv/sandbox.yml"),  # type: ignore[arg-type]
           hosts=[Host(name=f"pi{i}", address=f"127.0.1.{i}", port=1) for i in (1, 2, 3)])


def visible(widget: Widget) -> str:
    """The text the widget shows in the room it was given (what a cut column or line loses is not here)."""
    width, height = widget.size
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, width, height)))


def app_at(tmp_path: Path) -> FactoryApp:
    settings = make_settings(tmp_path / "state", operator="ana", health={"interval": 0.5, "connect_timeout": 1})
    return FactoryApp(settings=settings, lab=DOWN)


async def test_health_cards_say_since_when_each_pi_is_down(tmp_path: Path) -> None:
    app = app_at(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        cards = list(app.screen.query(HostCard))
        assert len(cards) == 3
        for card in cards:
            headline = card.query_one(".lines", Static)
            await wait_for(pilot, lambda h=headline: "unreachable since" in visible(h), what="unreachable")
            await pilot.pause()
            shown = " ".join(visible(headline).split())
            assert re.search(r"unreachable since \d\d:\d\d:\d\d", shown), shown
            assert card.region.right <= SIZE[0] and card.region.bottom <= SIZE[1] - 1  # above the footer


async def open_checklist(pilot: object, app: FactoryApp) -> ChecklistScreen:
    await pilot.press("2")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    app.screen.open_book("recovery")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]  # start the session
    await wait_for(pilot, lambda: isinstance(app.screen, ChecklistScreen), what="the checklist")
    screen = app.screen
    assert isinstance(screen, ChecklistScreen)
    table = screen.query_one("#steps", DataTable)
    await wait_for(pilot, lambda: "unreachable" in str(screen.views.get("k3s") and screen.views["k3s"].locked),
                   what="the locks read from health")
    await wait_for(pilot, lambda: table.row_count == len(screen.walk.book.steps), what="the rows")
    return screen


async def test_checklist_rows_keep_state_and_lock(tmp_path: Path) -> None:
    app = app_at(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checklist(pilot, app)
        table = screen.query_one("#steps", DataTable)
        # The rows are counted before they are drawn: wait for each to be on screen.
        steps = screen.walk.book.steps
        await wait_for(pilot, lambda: all(f" {step.id} " in visible(table) for step in steps), what="every row")
        shown = visible(table).splitlines()
        assert "state" in shown[0] and "locked because" in shown[0], shown[0]
        rows = {step.id: next(line for line in shown[1:] if f" {step.id} " in line)
                for step in screen.walk.book.steps}
        for step in screen.walk.book.steps:
            assert "pending" in rows[step.id], rows
        assert "step reachable is pend" in rows["k3s"], rows["k3s"]
        # The highlighted step's whole reason, under the table.
        await pilot.press("down")
        lock = screen.query_one("#checklist-lock", Static)
        await wait_for(pilot, lambda: "k3s is locked" in visible(lock), what="the reason in full")
        assert CLOCK.search(visible(lock).replace("\n", " ")), visible(lock)


async def test_step_screen_keeps_state_and_lock(tmp_path: Path) -> None:
    app = app_at(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_checklist(pilot, app)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StepScreen), what="the step")
        step = app.screen
        lock = step.query_one("#step-lock", Static)
        await wait_for(pilot, lambda: "unreachable since" in " ".join(visible(lock).split()), what="the lock")
        shown = " ".join(visible(lock).split())
        assert shown.startswith("locked: step reachable is pending") and CLOCK.search(shown), shown
        assert "pending" in visible(step.query_one("#step-state", Static))
        assert lock.region.bottom <= SIZE[1] - 1
