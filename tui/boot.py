"""The command line's app: its first frame before the settings and the lab are read, the glance after.

Reading the settings and the lab loads pydantic and their models, a quarter of a second or more; painting
a Textual app takes about as long again. :class:`LaunchApp` paints first: a frame that names no lab yet
and says what it is reading. Then a thread reads the settings and the lab (and starts the poll process's
connections), and the app switches to the health screen with them. Until then no key but quit does
anything: every screen needs the lab.

A settings file that cannot be read ends the app with its one-line error, as it did before the screen
opened; an inventory that cannot be read opens the app with the error shown, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from tui.app import FactoryApp
from tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from rich.console import RenderableType

    from actions.config import Settings
    from actions.lab import Lab

#: The bar on top before the lab is known: no lab's colour, so it can be taken for neither kind.
READING = "factory-tui · Health · reading the settings and the lab …"
#: The app's keys that work before the lab is read.
BOOT_ACTIONS = frozenset({"quit"})


@dataclass(frozen=True)
class Launched:
    """What the app needs to open its screens: the settings, the lab or why it cannot be read, the
    inventory's path, and whether the lab came from the cache (then Ansible checks it at once)."""

    settings: Settings
    lab: Lab | None
    lab_error: str | None
    inventory: Path
    cached: bool


class BootScreen(Screen[None]):
    """The first frame: the lab bar's place saying what is being read, and the key bar."""

    DEFAULT_CSS = """
    BootScreen #boot-bar { dock: top; height: 1; padding: 0 1; background: $panel; }
    BootScreen #boot-body { padding: 1 2; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static(READING, id="boot-bar")
        yield Static("Reading the settings and the lab. The health of every host follows.", id="boot-body")
        yield KeyBar()


class LaunchApp(FactoryApp):
    """:class:`FactoryApp` that reads its settings and lab with ``launch`` (in a thread, after its first
    frame), then awaits ``complete`` with what it read (on the app's loop: a quit cancels it). Either
    raising ends the app; the exception is kept in :attr:`failure` for the caller."""

    DEFAULT_MODE = "boot"
    MODES = FactoryApp.MODES | {"boot": BootScreen}

    def __init__(self, launch: Callable[[], Launched],
                 complete: Callable[[Launched], Awaitable[Launched]] | None = None) -> None:
        # FactoryApp's own __init__ needs the settings; they are taken later, by take_lab.
        App.__init__(self)
        self._init_state()
        self._launch = launch
        self._complete = complete
        #: What ``launch`` raised, for the command line to report once the terminal is restored.
        self.failure: BaseException | None = None
        self._leaving = False

    def on_mount(self) -> None:
        # After the first frame: the thread's imports would otherwise hold the paint back.
        self.call_after_refresh(self.run_worker, self._read_lab(), group="launch", exit_on_error=False)

    def exit(self, result: int | None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        """Leave; a lab read after this is not opened."""
        self._leaving = True
        super().exit(result, return_code, message)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Before the lab is read only quitting works: every screen and command needs the lab."""
        if not self.ready and action not in BOOT_ACTIONS:
            return False
        return super().check_action(action, parameters)

    async def _read_lab(self) -> None:
        try:
            launched = await asyncio.to_thread(self._launch)
            if self._complete is not None and not self._leaving:
                launched = await self._complete(launched)
        except Exception as exc:  # the command line words it (a CliError) or logs it (anything else)
            self.failure = exc
            self.exit(return_code=1)
            return
        if self._leaving:  # quit while reading: nothing more to open
            return
        self.take_lab(launched.settings, launched.lab, launched.lab_error, launched.inventory, launched.cached)
        self.start_services()
        await self.switch_mode("health")
        await self.remove_mode("boot")
