"""FactoryApp: the frame, the screens (as modes), the global keys, the palette and help."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from actions.applog import logger
from tui import gc_pauses
from tui.commands import FactoryCommands
from tui.textual_patches.css_reparse import install as install_kept_stylesheet

if TYPE_CHECKING:
    # The settings' and the lab's models load pydantic (a quarter of a second): the command line's app
    # paints its first frame before it reads them (tui.boot), so nothing here imports them at the top.
    from actions.config import Settings
    from actions.journal import Journal
    from actions.lab import Lab
    from actions.remote import RemoteRunner
    from tui.runbook_hub import RunbookHub
    from tui.widgets.run_pane import RunPane

_log = logger("app")

# Every screen is imported when first shown. Those behind keys 2-5 import ansible-runner's adapter, tofu,
# hvac and the runbooks (about a second); the health screen imports the settings' and health's models.
def _health_screen() -> Screen[None]:
    from tui.screens.health import HealthScreen

    return HealthScreen()


def _runbooks_screen() -> Screen[None]:
    from tui.screens.runbooks import RunbooksScreen

    return RunbooksScreen()


def _runs_screen() -> Screen[None]:
    from tui.screens.runs import RunsScreen

    return RunsScreen()


def _plans_screen() -> Screen[None]:
    from tui.screens.plans import PlansScreen

    return PlansScreen()


def _vault_screen() -> Screen[None]:
    from tui.screens.vault import VaultScreen

    return VaultScreen()

# How long quitting waits for cancelled runs to stop (a cancel takes a few seconds) before it leaves anyway.
QUIT_WAIT = 15.0


class FactoryApp(App[int]):
    """The operator's console for the lab named by ``lab`` (or the inventory error, when there is none)."""

    TITLE = "factory-tui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {FactoryCommands}
    MODES: ClassVar[dict[str, type | Callable[[], Screen[None]]]] = {  # type: ignore[assignment]
        "health": _health_screen,
        "runbooks": _runbooks_screen,
        "runs": _runs_screen,
        "plans": _plans_screen,
        "vault": _vault_screen,
    }
    DEFAULT_MODE = "health"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('health')", "Health", id="screen.health", tooltip="Health of every Pi"),
        Binding("2", "switch_mode('runbooks')", "Runbooks", id="screen.runbooks", tooltip="Checklists"),
        Binding("3", "switch_mode('runs')", "Runs", id="screen.runs", tooltip="Playbook runs"),
        Binding("4", "switch_mode('plans')", "Plans", id="screen.plans", tooltip="OpenTofu plans"),
        Binding("5", "switch_mode('vault')", "Vault", id="screen.vault", tooltip="Vault seal and unseal"),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="Keys and screens"),
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave factory-tui"),
    ]

    def __init__(
        self,
        settings: Settings,
        lab: Lab | None,
        lab_error: str | None = None,
        inventory: Path | None = None,
        lab_cached: bool = False,
    ) -> None:
        super().__init__()
        self._init_state()
        self.take_lab(settings, lab, lab_error, inventory, lab_cached)

    def _init_state(self) -> None:
        """What the app holds before it knows its settings and lab: nothing made yet, no run going."""
        install_kept_stylesheet(self)  # before any CSS is read: each new screen no longer parses it all again
        #: True once :meth:`take_lab` has given the app its settings, lab and services.
        self.ready = False
        # Published when the lab is replaced: what shows its hosts or its name subscribes.
        self.lab_changed: Signal[Lab] = Signal(self, "lab-changed")
        self._remote: RemoteRunner | None = None
        self._runbooks: RunbookHub | None = None
        self._journal: Journal | None = None
        # Run panes whose playbook is still going (they add and remove themselves): quitting names them.
        self.live_runs: set[RunPane] = set()

    def take_lab(
        self, settings: Settings, lab: Lab | None, lab_error: str | None, inventory: Path | None, lab_cached: bool
    ) -> None:
        """Give the app its settings and lab (or the inventory's error), and make its services: once,
        from ``__init__`` or, for the command line's app, once they are read (after the first frame)."""
        from tui.inventory_watch import InventoryWatch
        from tui.known_good_flow import KnownGoodFlow
        from tui.services.health_feed import HealthFeed
        from tui.services.vault_feed import VaultFeed

        self.settings = settings
        self.lab = lab
        self.lab_error = lab_error
        self.inventory = inventory or (lab.inventory if lab else settings.inventory)
        # The one health poller of the app; the health screen and every HealthStrip subscribe to it.
        self.health = HealthFeed(self, settings, lab)
        # The one Vault poller: the Vault badges and the checklists' Vault checks read it.
        self.vault_feed = VaultFeed(self)
        self.known_good = KnownGoodFlow(self)
        # Re-reads the inventory through Ansible (at once when the lab came from the cache, and whenever
        # its files change) and replaces the lab when Ansible reads it differently.
        self.inventory_watch = InventoryWatch(self, self.inventory, verify=lab_cached)
        self.ready = True

    def open_journal(self) -> Journal:
        """The app's one journal (runs, changes, checklists), opened on first use. Raises JournalError,
        for callers that word it themselves (the checklists' read-only state)."""
        if self._journal is None:
            from actions.journal import open_journal

            self._journal = open_journal(self.settings.state_dir)
            if self._journal.notice:
                self.notify(self._journal.notice, title="Journal", severity="warning", timeout=20)
        return self._journal

    @property
    def journal(self) -> Journal | None:
        """The journal for changes made from any screen (Vault, runs); ``None`` (and the operator told
        why) when it cannot be opened: a change is not refused for want of its record."""
        from actions.journal import JournalError

        try:
            return self.open_journal()
        except JournalError as exc:
            self.notify(str(exc), title="Journal", severity="error", timeout=20)
            return None

    @property
    def runbooks(self) -> RunbookHub:
        """The checklists and their journal, opened on first use."""
        if self._runbooks is None:
            from tui.runbook_hub import RunbookHub

            self._runbooks = RunbookHub(self)
        return self._runbooks

    @property
    def remote(self) -> RemoteRunner | None:
        """Commands on hosts for checklist checks and steps (health has its own long-lived shells);
        made on first use, ``None`` without a lab."""
        if self._remote is None and self.lab is not None:
            from actions.remote import RemoteRunner

            self._remote = RemoteRunner(self.lab, self.settings.health.connect_timeout)
        return self._remote

    def replace_lab(self, lab: Lab) -> None:
        """Point the app at ``lab`` from now on: health polls its hosts, every screen shows them."""
        self.lab, self.lab_error = lab, None
        old, self._remote = self._remote, None
        if old is not None:
            self.run_worker(old.close(), group="remote-close", exit_on_error=False)
        self.health.set_lab(lab)
        self.lab_changed.publish(lab)

    def on_mount(self) -> None:
        if self.ready:
            self.start_services()

    def start_services(self) -> None:
        """Start polling and watching (on mount, or once the lab is read): health, Vault, the inventory."""
        self.health.start()
        self.vault_feed.start()
        self.inventory_watch.start()
        if self.lab_error:
            self.notify(self.lab_error, title="Inventory", severity="error", timeout=30)
        # What can wait for the glance to be up: the collection that settles the collector (no long
        # pauses while runs stream; it takes a sixth of a second), the checklists' files and journal.
        self.health.after_first_reading(gc_pauses.settle)
        self.health.after_first_reading(self._offer_resume)
        self.health.after_first_reading(self.known_good.start)

    def _offer_resume(self) -> None:
        """After a crash or a clean exit alike: name the checklist in progress and where it stopped."""
        try:
            sessions = self.runbooks.open_sessions()
        except Exception as exc:  # a broken journal must not keep the app from opening
            self.notify(str(exc), title="Journal", severity="error")
            return
        for session in sessions:
            book = self.runbooks.books.get(session.runbook)
            if book is None:
                continue
            from actions.runbooks.engine import current_states, next_step

            views = current_states(book, self.runbooks.store.events(session.id))
            at = next_step(book, views)
            self.notify(
                f"{book.title}: session {session.id} stopped at step {at}. Press 2, then enter, to resume.",
                title="Checklist in progress", timeout=20,
            )

    async def on_unmount(self) -> None:
        # However the app ends (an error, a test that failed part-way), a run still going is cancelled:
        # its thread would otherwise keep the process alive, with the playbook, until the playbook ends.
        for pane in list(self.live_runs):
            pane.cancel.set()
        gc_pauses.restore()
        if self._remote is not None:
            await self._remote.close()
        if self._runbooks is not None:
            self._runbooks.close()
        if self._journal is not None:
            self._journal.close()

    async def action_goto(self, mode: str, screen_action: str = "") -> None:
        """Switch to a screen and run one of its actions (palette commands use this)."""
        await self.switch_mode(mode)
        if screen_action:
            await self.screen.run_action(screen_action)

    async def action_open_runbook(self, name: str) -> None:
        """Switch to the runbooks screen and open the checklist ``name`` (palette commands use this)."""
        await self.switch_mode("runbooks")
        opener = getattr(self.screen, "open_book", None)
        if opener is not None:
            opener(name)

    async def action_quit(self) -> None:
        """Leave; with playbooks still going, name them first and cancel them if the operator quits anyway
        (the palette's Quit and ctrl+q come here too)."""
        if not self.live_runs:
            self.exit()
            return
        from tui.modals.quit import QuitModal

        names = sorted(f"{pane.run_name} [{pane.mode}] · {pane.status}" for pane in self.live_runs)
        self.push_screen(QuitModal(names), self._quit_answered)

    def _quit_answered(self, quit_anyway: bool | None) -> None:
        if quit_anyway:
            self.run_worker(self._cancel_then_exit(), group="quit", exclusive=True)

    async def _cancel_then_exit(self) -> None:
        panes = list(self.live_runs)
        for pane in panes:
            pane.action_cancel_run()
        self.notify(f"Cancelling {len(panes)} run(s), then quitting.", title="Quit")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + QUIT_WAIT
        while self.live_runs and loop.time() < deadline:
            await asyncio.sleep(0.1)
        self.exit()

    @on(Worker.StateChanged)
    def _log_worker_error(self, event: Worker.StateChanged) -> None:
        """Every worker that ends in an error, with its traceback, in the log (the screens word it for
        the operator; the traceback is for whoever troubleshoots)."""
        error = event.worker.error
        if event.state is WorkerState.ERROR and error is not None:
            _log.error("%s failed: %s", event.worker.name or event.worker.group, error, exc_info=error)

    def action_help(self) -> None:
        """Show the keys of the screen in front, with what each does."""
        from tui.modals.help import HelpModal, bindings_table

        self.push_screen(HelpModal(bindings_table(self.screen)))
