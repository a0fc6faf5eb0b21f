"""Opening a checklist asks before it starts a session: the read-only view journals nothing, a started
session records why and who (the name asked for when the app does not know it), and a session in progress
resumes without a question."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, DataTable, Input
from vault_helpers import wait_for

from actions.journal import open_journal
from actions.lab import Host, Lab
from actions.runbooks.store import RunbookStore
from tests.conftest import make_settings
from tui.app import FactoryApp
from tui.modals.start_session import StartSessionModal
from tui.screens.checklist import ChecklistScreen
from tui.screens.step import StepScreen

LAB = Lab(name="sandbox", kind="sandbox", inventory=Path("/inv/sandbox.yml"),  # type: ignore[arg-type]
          hosts=[Host(name=f"pi{i}", address=f"127.0.1.{i}", port=1) for i in (1, 2, 3)])


def sessions(state: Path) -> list[tuple[str, str, str]]:
    journal = open_journal(state)
    try:
        store = RunbookStore(journal, write=False)
        return [(s.runbook, s.operator, s.reason) for s in store.sessions()]
    finally:
        journal.close()


def shot(app: FactoryApp) -> str:
    return app.export_screenshot().replace("&#160;", " ")


async def open_recovery(pilot: object, app: FactoryApp) -> None:
    await pilot.press("2")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    app.screen.open_book("recovery")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


async def test_read_only_view_then_a_session_then_resume(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "state", operator="ana")
    app = FactoryApp(settings=settings, lab=LAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_recovery(pilot, app)
        assert isinstance(app.screen, StartSessionModal)
        assert "Start a recovery session now?" in shot(app)
        assert not app.screen.query("#session-name")  # the app knows who: $USER or the settings
        await pilot.click("#read-only")
        await pilot.pause()
        checklist = app.screen
        assert isinstance(checklist, ChecklistScreen) and checklist.walk.read_only
        await wait_for(pilot, lambda: "read-only view, no session" in shot(app), what="the read-only header")
        await wait_for(pilot, lambda: checklist.query_one("#steps", DataTable).row_count > 0, what="the steps")
        await pilot.press("enter")  # a step opens, its action and moves disabled
        await wait_for(pilot, lambda: isinstance(app.screen, StepScreen), what="the step")
        step = app.screen
        await wait_for(pilot, lambda: bool(step.query_one("#skip", Button).disabled
                                           and step.query_one("#done", Button).disabled), what="moves disabled")
        await pilot.press("o")  # reopen: refused, nothing journalled
        await pilot.press("escape", "escape")
        assert sessions(settings.state_dir) == []

        await open_recovery(pilot, app)
        assert isinstance(app.screen, StartSessionModal)
        await pilot.press(*"power cut at 03:10", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ChecklistScreen) and not app.screen.walk.read_only
        assert sessions(settings.state_dir) == [("recovery", "ana", "power cut at 03:10")]
        await pilot.press("escape")

        await open_recovery(pilot, app)  # in progress: resumed, no question
        assert isinstance(app.screen, ChecklistScreen)
        assert len(sessions(settings.state_dir)) == 1


async def test_the_name_is_asked_when_the_app_does_not_know_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("USER", raising=False)
    monkeypatch.delenv("LOGNAME", raising=False)
    monkeypatch.delenv("FACTORY_OPERATOR", raising=False)
    settings = make_settings(tmp_path / "state")
    app = FactoryApp(settings=settings, lab=LAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_recovery(pilot, app)
        modal = app.screen
        assert isinstance(modal, StartSessionModal)
        await pilot.press("enter", "enter")  # no reason, no name: not started, the name is asked for
        await pilot.pause()
        assert app.screen is modal and "Type your name" in shot(app)
        assert app.screen.focused is modal.query_one("#session-name", Input)
        await pilot.press(*"Ada Lovelace", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ChecklistScreen)
    assert sessions(settings.state_dir) == [("recovery", "Ada Lovelace", "")]
    assert settings.operator == "Ada Lovelace"  # what else this app records is under the same name
