"""Known-good snapshots in the app, against the sandbox's real sshd: `k` takes one, a stopped process
shows on the host's detail screen, `a` accepts it under the operator's name; the health screen counts
what is unexplained."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from actions import sandbox as sb
from actions.config import load_settings
from actions.health.known_good import KnownGoodStore
from actions.lab import load_lab
from tests.integration.test_backup_freshness import backup_root, inventory, put
from tests.integration.test_health_diff import LISTENER, fixed_port
from tests.tui.test_health_screen import CALM, card_text, text, until
from tui.app import FactoryApp
from tui.screens.host_detail import HostDetailScreen
from tui.screens.step import StepScreen
from tui.widgets.host_card import HostCard

pytestmark = pytest.mark.integration
__all__ = ["backup_root"]  # the fixture, shared with the integration tests


def rows(table: DataTable) -> list[list[str]]:  # type: ignore[type-arg]
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_k_records_then_the_detail_screen_names_a_stopped_process_and_a_accepts_it(
    sandbox: sb.SandboxStatus, tmp_path: Path
) -> None:
    settings = load_settings(None, state_dir=tmp_path / "state", operator="erin",
                             health={"interval": 0.5, "thresholds": CALM})
    port = fixed_port("127.0.1.2")
    listener = subprocess.Popen([sys.executable, "-c", LISTENER, "127.0.1.2", str(port)],
                                stdout=subprocess.PIPE, text=True)
    try:
        assert listener.stdout is not None and listener.stdout.readline().strip() == "listening"
        app = FactoryApp(settings=settings, lab=load_lab(sandbox.inventory))
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: all("OK" in card_text(app, h) for h in ("pi1", "pi2", "pi3")), 30, "all ok")
            known = app.screen.query_one("#health-known", Static)
            # The daily one is taken as soon as every host is green with a fingerprint.
            await until(pilot, lambda: "since known-good" in text(known), 30, "the daily snapshot")
            await pilot.press("k")
            store = KnownGoodStore(app.open_journal())
            await until(pilot, lambda: getattr(store.latest("sandbox"), "reason", "") == "asked for", 30, "k")
            listener.kill()
            listener.wait()
            app.screen.query_one("#card-pi2", HostCard).focus()
            await pilot.press("enter")
            assert isinstance(app.screen, HostDetailScreen)
            await pilot.press("r")
            table = app.screen.query_one("#detail-diff", DataTable)
            gone = f"nothing listens on 127.0.1.2:{port} any more"
            await until(pilot, lambda: [gone, ""] in rows(table), 30, "the diff naming the stopped listener")
            table.move_cursor(row=rows(table).index([gone, ""]))
            await pilot.press("a")
            await pilot.pause()
            assert [gone, "erin"] in rows(table)
            kg = store.latest("sandbox")
            assert kg is not None
            assert [(a.text, a.operator) for a in store.accepted(kg.id)] == [(f"pi2: {gone}", "erin")]
            await pilot.press("escape")
            await until(pilot, lambda: "unexplained" in text(app.screen.query_one("#health-known", Static)), 10,
                        "the count on the health screen")
    finally:
        listener.kill()
        listener.wait()


async def test_the_restore_step_names_the_dump_and_the_final_step_lists_what_is_unexplained(
    sandbox: sb.SandboxStatus, tmp_path: Path, backup_root: Path
) -> None:
    put(backup_root, "postgres/gitea/gitea-20261130T023000Z.dump", 30.0, 4000)
    put(backup_root, "postgres/gitea/gitea-20261201T023000Z.dump", 6.5, 4100)
    settings = load_settings(None, state_dir=tmp_path / "state", operator="erin",
                             health={"interval": 0.5, "thresholds": CALM})
    app = FactoryApp(settings=settings, lab=load_lab(inventory(sandbox, tmp_path, backup_root)))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "backups on pi2: " in text(app.screen.query_one("#health-known", Static)), 30,
                    "the backups line")
        walk = app.runbooks.start(app.runbooks.books["recovery"], reason="", operator="erin")
        await app.push_screen(StepScreen(walk, "restore_pg"))
        action = app.screen.query_one("#step-action", Static)
        want = f"pi2: would use {backup_root}/postgres/gitea/gitea-20261201T023000Z.dump, 6h30m old (4.0 KiB)"
        await until(pilot, lambda: want in text(action).replace("\n", ""), 20, "the dump the restore would use")
        app.pop_screen()
        await app.push_screen(StepScreen(walk, "final"))
        checks = app.screen.query_one("#step-checks", Static)
        # No gitea archive in the backups: pi2 warns, and nothing was ever known-good to compare with.
        await until(pilot, lambda: "no_unexplained_changes" in text(checks), 20, "the final step's checks")
        assert "no known-good snapshot to compare with" in text(checks).replace("\n", " ")
