"""The TUI shell: which lab it points at (sandbox vs real, in different colours), screens, help, palette."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from textual.widgets import Markdown

from actions.config import Settings
from actions.lab import Host, Lab
from tui.app import FactoryApp
from tui.modals.help import HelpModal
from tui.widgets.lab_bar import LabBar


def lab(kind: str) -> Lab:
    hosts = [Host(name=f"pi{i}", address=f"127.0.1.{i}", groups=["raspberries"]) for i in (1, 2, 3)]
    return Lab(name=kind, kind=kind, inventory=Path(f"/inv/{kind}.yml"), hosts=hosts)  # type: ignore[arg-type]


async def test_header_names_the_sandbox_in_its_colour(settings: Settings) -> None:
    app = FactoryApp(settings=settings, lab=lab("sandbox"))
    async with app.run_test(size=(120, 40)):
        bar = app.screen.query_one(LabBar)
        assert "SANDBOX" in str(bar.render()) and "/inv/sandbox.yml" in str(bar.render())
        assert bar.has_class("-sandbox") and not bar.has_class("-real")


async def test_header_warns_of_the_real_lab(settings: Settings) -> None:
    app = FactoryApp(settings=settings, lab=lab("real"))
    async with app.run_test(size=(120, 40)):
        bar = app.screen.query_one(LabBar)
        assert "REAL LAB" in str(bar.render()) and bar.has_class("-real")
        sandbox_bg = None
    app2 = FactoryApp(settings=settings, lab=lab("sandbox"))
    async with app2.run_test(size=(120, 40)):
        sandbox_bg = app2.screen.query_one(LabBar).styles.background
    assert bar.styles.background != sandbox_bg


async def test_number_keys_switch_screens_and_help_opens(settings: Settings) -> None:
    app = FactoryApp(settings=settings, lab=lab("sandbox"))
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.current_mode == "health"
        for key, mode in (("2", "runbooks"), ("3", "runs"), ("4", "plans"), ("5", "vault"), ("1", "health")):
            await pilot.press(key)
            assert app.current_mode == mode
            assert app.screen.query_one(LabBar).section == mode
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpModal)
        text = app.screen.query_one(Markdown).source
        assert "Runbooks" in text and "command palette" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpModal)


async def test_palette_offers_screens(settings: Settings) -> None:
    app = FactoryApp(settings=settings, lab=lab("sandbox"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"screen: plans")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.current_mode == "plans"


async def test_broken_inventory_still_opens_with_the_error(settings: Settings) -> None:
    app = FactoryApp(settings=settings, lab=None, lab_error="/x/hosts.yml: inventory not found",
                     inventory=Path("/x/hosts.yml"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(LabBar)
        assert bar.has_class("-broken") and "/x/hosts.yml" in str(bar.render())
        assert any("inventory not found" in n.message for n in app._notifications)


async def test_palette_resumes_a_checklist(settings: Settings) -> None:
    from tui.modals.start_session import StartSessionModal
    from tui.screens.checklist import ChecklistScreen

    settings.operator = "ana"
    app = FactoryApp(settings=settings, lab=lab("sandbox"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"runbook: resume recovery")
        await pilot.pause(0.3)
        await pilot.press("enter")
        for _ in range(50):
            await pilot.pause(0.1)
            if isinstance(app.screen, StartSessionModal):
                await pilot.press("enter")  # none in progress: it asks first
            if isinstance(app.screen, ChecklistScreen):
                break
        assert isinstance(app.screen, ChecklistScreen) and app.screen.walk.book.name == "recovery"


async def test_one_journal_for_checklists_runs_and_changes(settings: Settings) -> None:
    """A corrupt journal is moved aside once, the operator told once, and every screen writes the new one."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    (settings.state_dir / "journal.sqlite3").write_bytes(b"not a database" * 100)
    app = FactoryApp(settings=settings, lab=lab("sandbox"))
    async with app.run_test(size=(120, 40)) as pilot:
        # Once every host has answered or failed, the app offers to resume a checklist: that opens the
        # checklists' store, and with it the journal.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not any("moved aside" in n.message for n in app._notifications):
            assert loop.time() < deadline, "the journal was never opened"
            await pilot.pause(0.1)
        journal = app.journal
        assert journal is not None and app.runbooks.store.journal is journal
        notices = [n.message for n in app._notifications if "moved aside" in n.message]
        assert len(notices) == 1, notices
    aside = [p for p in settings.state_dir.iterdir() if p.name.startswith("journal.sqlite3.corrupt-")]
    assert len(aside) == 1
    # Closed with the app, and the checklists' lock released with it.
    assert not app.runbooks.store._lock.held
    with pytest.raises(sqlite3.ProgrammingError):
        _ = journal.version


async def test_every_screen_shows_the_lab_bar_even_where_vault_is_initialised(settings: Settings) -> None:
    """The host detail and the Vault init and unseal screens carry the bar too, in the lab's colour."""
    from actions import vault
    from actions.gates import issue
    from tui.screens.host_detail import HostDetailScreen
    from tui.screens.vault_init import VaultInitScreen
    from tui.screens.vault_unseal import VaultUnsealScreen

    target = vault.VaultTarget(addr="http://127.0.0.1:9")  # nothing answers: no reading, no change
    session = vault.UnsealSession(target, issue(vault.unseal_request(target), confirmed=True))
    app = FactoryApp(settings=settings, lab=lab("real"))
    async with app.run_test(size=(120, 40)) as pilot:
        for screen in (HostDetailScreen("pi1"), VaultInitScreen(target, operator="op"), VaultUnsealScreen(session)):
            await app.push_screen(screen)
            await pilot.pause()
            bar = screen.query_one(LabBar)
            assert "REAL LAB" in str(bar.render()) and bar.has_class("-real"), type(screen).__name__
            app.pop_screen()
            await pilot.pause()
    session.close()
