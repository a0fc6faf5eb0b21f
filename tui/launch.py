"""Open the TUI from the command line: paint its first frame, then read the settings and the lab.

The app (:class:`tui.boot.LaunchApp`) paints before anything loads pydantic, and reads the settings and the
lab in a thread with :func:`read_lab` afterwards (a lab not in the cache with :func:`read_miss`, on its
loop). A broken config ends the app with its one-line error; a broken inventory opens the app anyway, with
the error shown, so the operator can still reach the help and the sandbox. The lab comes from the cache
when the inventory has not changed (Ansible's import alone takes longer than the first frame should); the
app then checks it against Ansible's own reading in the background.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from tui.cli.context import CliContext

if TYPE_CHECKING:
    from actions.config import Settings
    from actions.lab import Lab
    from tui.boot import Launched


def run_app(ctx: CliContext, start_log: Callable[[], object]) -> int:
    """Open the full-screen app on the lab of ``ctx``; ``start_log`` opens the app's log once the settings
    are read. What reading them raised (a :class:`~tui.cli.context.CliError`) is raised again here, once the
    terminal is restored."""
    from tui.boot import LaunchApp

    app = LaunchApp(partial(read_lab, ctx, start_log), read_miss)
    app.run()
    if app.failure is not None:
        raise app.failure
    return int(app.return_code or 0)


def read_lab(ctx: CliContext, start_log: Callable[[], object]) -> Launched:
    """The settings and, when the cache has it, the lab of ``ctx``, its connections begun (off the UI's
    thread: this loads pydantic and the models). A lab the cache does not have is left to :func:`read_miss`."""
    from actions.lab import InventoryError, load_lab
    from actions.lab_cache import cached_lab
    from tui.boot import Launched

    settings = ctx.settings
    start_log()
    inventory = ctx.inventory_path
    lab, lab_error = None, None
    if inventory.exists():
        lab = cached_lab(settings.state_dir, inventory)
    else:
        try:
            load_lab(inventory)  # "inventory not found", said at once: Ansible is not needed for that
        except InventoryError as exc:
            lab_error = str(exc)
    if lab is not None:
        _prepare(settings, lab)
    return Launched(settings, lab, lab_error, inventory, cached=lab is not None)


async def read_miss(launched: Launched) -> Launched:
    """``launched`` with its lab, when the cache did not have it: read through Ansible in a child process
    and kept (Ansible's import would set up the terminal the app draws on). It runs on the app's loop, so
    that a quit meanwhile cancels it, which stops the child (and an inventory script that hangs)."""
    if launched.lab is not None or launched.lab_error is not None:
        return launched
    from actions.lab import InventoryError
    from actions.lab_cache import read_in_child

    try:
        lab = await read_in_child(launched.settings.state_dir, launched.inventory)
    except InventoryError as exc:
        return replace(launched, lab_error=str(exc))
    await asyncio.to_thread(_prepare, launched.settings, lab)
    return replace(launched, lab=lab)


def _prepare(settings: Settings, lab: Lab) -> None:
    """Begin polling ``lab``'s hosts and load the health screen's modules, before the app opens it."""
    # The connections begin in the poll process (started by the command line) while the screen is
    # built; the app's health feed takes that poller when it starts.
    from actions.health import poll_process

    poll_process.begin(list(lab.hosts), poll_process.options_of(settings.health))
    # The health screen's modules, here rather than on the UI's thread when it switches to it.
    import tui.screens.health  # noqa: F401
