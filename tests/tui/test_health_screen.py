"""The health screen and strip under Pilot, fed by the app's one poller from the sandbox's real sshd."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static

from actions import sandbox as sb
from actions.config import Settings, load_settings
from actions.lab import load_lab
from tests.conftest import free_port
from tui.app import FactoryApp
from tui.screens.host_detail import HostDetailScreen
from tui.widgets.health_strip import HealthStrip
from tui.widgets.host_card import HostCard, SparkRow

pytestmark = pytest.mark.integration
CALM = {"load_per_core_warn": 1000, "load_per_core_crit": 2000}


def settings_for(sandbox: sb.SandboxStatus, interval: float = 1.0) -> Settings:
    assert sandbox.settings is not None
    return load_settings(
        None, state_dir=sandbox.settings.state_dir, health={"interval": interval, "thresholds": CALM}
    )


def text(widget: Any) -> str:
    return str(widget.render())


async def until(pilot: Any, check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
        await pilot.pause()


def card_text(app: FactoryApp, name: str) -> str:
    card = app.screen.query_one(f"#card-{name}", HostCard)
    return "\n".join(text(s) for s in card.query(Static))


async def test_three_hosts_shown_with_values(sandbox: sb.SandboxStatus) -> None:
    app = FactoryApp(settings=settings_for(sandbox), lab=load_lab(sandbox.inventory))
    async with app.run_test(size=(120, 40)) as pilot:
        cards = list(app.screen.query(HostCard))
        assert [c.host_name for c in cards] == ["pi1", "pi2", "pi3"]
        await until(pilot, lambda: all("OK" in card_text(app, c.host_name) for c in cards), 30, "three ok cards")
        for card in cards:
            body = card_text(app, card.host_name)
            assert "load " in body and "mem " in body and "% free" in body and "rtt " in body
            assert "up · read " in body and "STALE" not in body
            assert card.has_class("-ok")
            # Its lines wrap at this width: the card grows with them and keeps its sparklines whole,
            # above its bottom border.
            assert card.query_one(".lines").region.height >= 4
            assert card.query_one(SparkRow).region.bottom <= card.region.bottom - 1
        top = text(app.screen.query_one("#health-top", Static))
        assert "3 ok" in top
        # One poller for the whole app, in the `health` worker group.
        assert [w.group for w in app.workers if w.name == "health poller"] == ["health"]


async def test_detail_view_shows_every_signal_and_the_raw_probe(sandbox: sb.SandboxStatus) -> None:
    app = FactoryApp(settings=settings_for(sandbox), lab=load_lab(sandbox.inventory))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "OK" in card_text(app, "pi2"), 30, "pi2 read")
        app.screen.query_one("#card-pi2", HostCard).focus()
        await pilot.press("enter")
        assert isinstance(app.screen, HostDetailScreen) and app.screen.host_name == "pi2"
        await until(pilot, lambda: "@@loadavg" in text(app.screen.query_one("#detail-raw", Static)), 10, "raw")
        table = app.screen.query_one(DataTable)

        def signals() -> set[str]:
            return {str(table.get_row_at(i)[0]) for i in range(table.row_count)}

        await until(pilot, lambda: "reachability" in signals(), 10, "a current reading")
        assert {"reachability", "load", "memory", "disk /", "clock offset", "uptime", "temperature"} <= signals()
        assert "docker" in signals()  # pi2 is a docker host; docker is not running here, which is a note
        await pilot.press("escape")
        assert not isinstance(app.screen, HostDetailScreen)


async def test_pause_and_refresh_keys(sandbox: sb.SandboxStatus) -> None:
    app = FactoryApp(settings=settings_for(sandbox, interval=30), lab=load_lab(sandbox.inventory))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: all("OK" in card_text(app, n) for n in ("pi1", "pi2", "pi3")), 30, "read")
        poller = app.health.poller
        assert poller is not None
        ticks = poller.ticks
        await pilot.press("r")  # a 30 s interval: only the key can make the next tick come this soon
        await until(pilot, lambda: poller.ticks > ticks, 10, "refresh now")
        await pilot.press("p")
        assert poller.paused
        await until(pilot, lambda: "PAUSED" in text(app.screen.query_one("#health-top", Static)), 5, "paused")
        await pilot.press("p")
        assert not poller.paused


async def test_unreachable_host_named_with_its_time(sandbox: sb.SandboxStatus) -> None:
    lab = load_lab(sandbox.inventory)
    hosts = [h if h.name != "pi3" else h.model_copy(update={"port": free_port()}) for h in lab.hosts]
    app = FactoryApp(settings=settings_for(sandbox), lab=lab.model_copy(update={"hosts": hosts}))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "unreachable since" in card_text(app, "pi3"), 10, "pi3 unreachable")
        card = app.screen.query_one("#card-pi3", HostCard)
        assert card.has_class("-critical")
        assert "CRITICAL" in card_text(app, "pi3")


class StripScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield HealthStrip()


async def test_health_strip_on_another_screen_shares_the_poller(sandbox: sb.SandboxStatus) -> None:
    app = FactoryApp(settings=settings_for(sandbox), lab=load_lab(sandbox.inventory))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(StripScreen())
        strip = app.screen.query_one(HealthStrip)
        await until(pilot, lambda: text(strip).count("load ") == 3, 30, "strip with three hosts")
        line = text(strip)
        assert line.index("pi1") < line.index("pi2") < line.index("pi3")
        assert len(app.workers) == len([w for w in app.workers if w.group != "health"]) + 1


async def test_only_the_screen_in_front_is_painted(sandbox: sb.SandboxStatus,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Views on a screen out of sight get no snapshots (they would take frames from the one in front); the
    screen gets the latest one as soon as it is back in front."""
    from tui.services.health_feed import HealthFeed, feed_of

    monkeypatch.setattr(HealthFeed, "REPAINT", 3600.0)  # only readings and screen changes deliver here
    got: list[Any] = []

    class Probe(Static):
        def on_mount(self) -> None:
            feed = feed_of(self.app)
            assert feed is not None
            feed.subscribe(self, got.append)

    class ProbeScreen(Screen[None]):
        def compose(self) -> ComposeResult:
            yield Probe()

    app = FactoryApp(settings=settings_for(sandbox), lab=load_lab(sandbox.inventory))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(ProbeScreen())
        await until(pilot, lambda: len(got) >= 3, 30, "readings delivered to the screen in front")
        feed = feed_of(app)
        assert feed is not None
        await app.push_screen(Screen())  # the probe's screen goes out of sight
        await pilot.pause()
        hidden_at = len(got)
        await asyncio.sleep(2.5)  # two or three readings arrive meanwhile
        await pilot.pause()
        assert len(got) == hidden_at, "a screen out of sight was painted"
        feed.toggle_pause()  # no more readings: what comes next is the screen change's doing
        await pilot.pause()
        app.pop_screen()
        await until(pilot, lambda: len(got) > hidden_at, 2, "the latest snapshot when the screen is back")
        assert got[-1] is feed.latest


async def test_no_lab_shows_no_cards(settings: Settings) -> None:
    app = FactoryApp(settings=settings, lab=None, lab_error="inventory broken")
    async with app.run_test(size=(120, 40)):
        assert list(app.screen.query(HostCard)) == []
        assert app.health.poller is None




async def test_ssh_key_names_the_command_when_the_terminal_cannot_be_handed_over(
    sandbox: sb.SandboxStatus,
) -> None:
    lab = load_lab(sandbox.inventory)
    app = FactoryApp(settings=settings_for(sandbox), lab=lab)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one("#card-pi3", HostCard).focus()
        await pilot.press("s")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        pi3 = lab.host("pi3")
        wanted = f"-p {pi3.port} -o StrictHostKeyChecking=yes -i {pi3.key_file}"
        assert any(wanted in m and m.endswith(f"{pi3.user}@{pi3.address}") for m in messages), messages
