"""The command line's app paints before it reads the settings and the lab: its first frame names no lab and
lets no key but quit through; the health screen follows once they are read. A launch that fails ends the app
with its error kept for the command line; quitting while reading opens nothing afterwards."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static
from vault_helpers import wait_for

from actions.lab import Host, Lab
from tests import waiting
from tests.conftest import make_settings
from tui.boot import READING, BootScreen, LaunchApp, Launched
from tui.cli.context import CliError
from tui.screens.health import HealthScreen
from tui.widgets.key_bar import KeyBar
from tui.widgets.lab_bar import LabBar

# Nothing listens on port 1: the health screen needs no host to answer.
DOWN = Lab(name="sandbox", kind="sandbox", inventory=Path("/inv/sandbox.yml"),  # type: ignore[arg-type]
           hosts=[Host(name=f"pi{i}", address=f"127.0.1.{i}", port=1) for i in (1, 2, 3)])


class Held:
    """A launch that returns ``launched`` (or raises ``error``) once the test lets it go."""

    def __init__(self, launched: Launched | None = None, error: Exception | None = None) -> None:
        self.launched, self.error = launched, error
        self.go = threading.Event()
        self.called = threading.Event()

    def __call__(self) -> Launched:
        self.called.set()
        assert self.go.wait(30), "the test never let the launch go"
        if self.error is not None:
            raise self.error
        assert self.launched is not None
        return self.launched


def launched(tmp_path: Path) -> Launched:
    settings = make_settings(tmp_path / "state")
    return Launched(settings, DOWN, None, DOWN.inventory, cached=False)


@contextlib.asynccontextmanager
async def reading(held: Held) -> AsyncIterator[tuple[LaunchApp, Pilot[int]]]:
    """The app, run until ``held`` is reading the lab; the launch is let go on the way out, however the
    block ends (a test that failed must not leave its thread waiting)."""
    app = LaunchApp(held)
    async with app.run_test(size=(120, 30)) as pilot:
        try:
            await wait_for(pilot, held.called.is_set)
            yield app, pilot
        finally:
            held.go.set()


async def test_the_first_frame_comes_before_the_lab_then_the_health_screen(tmp_path: Path) -> None:
    held = Held(launched(tmp_path))
    async with reading(held) as (app, pilot):
        assert isinstance(app.screen, BootScreen) and not app.ready
        bar = app.screen.query_one("#boot-bar", Static)
        assert str(bar.render()) == READING  # no lab named, none's colour: it is not known yet
        # Every key but quit waits for the lab: the bar shows quit alone, the others do nothing.
        assert [k.key for k in app.screen.query_one(KeyBar).keys] == ["q"]
        for key in ("1", "2", "3", "4", "5", "question_mark", "ctrl+p"):
            await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, BootScreen) and len(app.screen_stack) == 1
        held.go.set()
        await wait_for(pilot, lambda: isinstance(app.screen, HealthScreen))
        assert app.ready and app.settings.state_dir == tmp_path / "state"
        assert "SANDBOX lab 'sandbox'" in str(app.screen.query_one(LabBar).render())
        await wait_for(pilot, lambda: app.health.poller is not None)  # its services started too
        await pilot.press("q")
    assert app.return_code == 0 and app.failure is None


async def test_a_launch_that_fails_ends_the_app_and_keeps_its_error(tmp_path: Path) -> None:
    broken = CliError("config.toml: health.interval: Input should be a valid number")
    held = Held(error=broken)
    held.go.set()
    app = LaunchApp(held)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.failure is not None)
    assert app.failure is broken and app.return_code == 1 and not app.ready


@pytest.mark.parametrize("how", ["key", "click"])
async def test_quit_while_the_lab_is_read_opens_nothing(tmp_path: Path, how: str) -> None:
    held = Held(launched(tmp_path))
    async with reading(held) as (app, pilot):
        if how == "key":
            await pilot.press("q")
        else:  # the boot frame's one key, clicked on its key bar
            bar = app.screen.query_one(KeyBar)
            start = next(start for start, _end, shown in bar.spans if shown.key == "q")
            assert await pilot.click(KeyBar, offset=(start + 1, 0))
        assert app.return_code == 0  # the quit was taken there and then, not by the test's end
    assert app.return_code == 0 and app.failure is None
    assert not app.ready  # the lab read after the quit was not taken: no poller, no screen for it


async def test_a_lab_read_just_after_the_quit_is_not_opened(tmp_path: Path) -> None:
    """The read ends once the quit was asked for: whichever the app's loop then takes first, the quit's
    end of the workers or the read's result, nothing is opened."""

    class QuitFirst(Held):
        app: LaunchApp

        def __call__(self) -> Launched:
            self.app.call_from_thread(self.app.exit)  # returns once the app has taken the quit
            return super().__call__()

    held = QuitFirst(launched(tmp_path))
    held.go.set()
    app = held.app = LaunchApp(held)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, held.called.is_set)
    assert app.return_code == 0 and not app.ready


async def test_quit_while_ansible_reads_a_lab_not_in_the_cache_stops_the_reading(tmp_path: Path) -> None:
    """A lab the cache does not have is read through Ansible on the app's loop: a quit meanwhile ends the app
    at once and stops the read, an inventory script that hangs included."""
    from actions.procs import alive
    from tests.hanging_inventory import HangingInventory
    from tui.launch import read_miss

    script = HangingInventory(tmp_path)
    settings = make_settings(tmp_path / "state")
    app = LaunchApp(lambda: Launched(settings, None, None, script.path, cached=False), read_miss)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: script.pid is not None, timeout=60)
        await pilot.press("q")
        assert app.return_code == 0
    assert app.failure is None and not app.ready
    pid = script.pid
    await waiting.wait_for(lambda: not alive(pid), 10, "the inventory script to be stopped")
