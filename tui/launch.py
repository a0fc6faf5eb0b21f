"""Open the TUI from the command line: paint its first frame, then read the settings and the lab.

The app (:class:`tui.boot.LaunchApp`) paints before anything loads pydantic, and reads the settings and the
lab in a thread with :func:`read_lab` afterwards. A broken config ends the app with its one-line error; a
broken inventory opens the app anyway, with the error shown, so the operator can still reach the help and
the sandbox. The lab comes from the cache when the inventory has not changed (Ansible's import alone takes
longer than the first frame should); the app then checks it against Ansible's own reading in the background.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from tui.cli.context import CliContext

if TYPE_CHECKING:
    from tui.boot import Launched


def run_app(ctx: CliContext, start_log: Callable[[], object]) -> int:
    """Open the full-screen app on the lab of ``ctx``; ``start_log`` opens the app's log once the settings
    are read. What reading them raised (a :class:`~tui.cli.context.CliError`) is raised again here, once the
    terminal is restored."""
    from tui.boot import LaunchApp

    app = LaunchApp(partial(read_lab, ctx, start_log))
    app.run()
    if app.failure is not None:
        raise app.failure
    return int(app.return_code or 0)


def read_lab(ctx: CliContext, start_log: Callable[[], object]) -> Launched:
    """The settings and the lab of ``ctx`` (cached when the inventory is unchanged), with the health poll
    process's connections begun (off the UI's thread: this loads pydantic and the models)."""
    from actions.lab import InventoryError
    from actions.lab_cache import load_lab_cached
    from tui.boot import Launched

    settings = ctx.settings
    start_log()
    inventory = ctx.inventory_path
    try:
        (lab, cached), lab_error = load_lab_cached(settings.state_dir, inventory, in_child=True), None
    except InventoryError as exc:
        lab, cached, lab_error = None, False, str(exc)
    if lab is not None:
        # The connections begin in the poll process (started by the command line) while the screen is
        # built; the app's health feed takes that poller when it starts.
        from actions.health import poll_process

        poll_process.begin(list(lab.hosts), poll_process.options_of(settings.health))
    # The health screen's modules, here rather than on the UI's thread when it switches to it.
    import tui.screens.health  # noqa: F401

    return Launched(settings, lab, lab_error, inventory, cached)
