"""Open the TUI from the command line: load settings and the lab, then run the app.

A broken config is an error before the screen opens; a broken inventory opens the app anyway, with the
error shown, so the operator can still reach the help and the sandbox. The lab comes from the cache when
the inventory has not changed (Ansible's import alone takes longer than the first frame should); the app
then checks it against Ansible's own reading in the background.
"""

from __future__ import annotations

from actions.lab import InventoryError
from actions.lab_cache import load_lab_cached
from tui.cli.context import CliContext


def run_app(ctx: CliContext) -> int:
    """Open the full-screen app on the lab of ``ctx`` (cached when the inventory is unchanged)."""
    settings = ctx.settings
    inventory = ctx.inventory_path
    try:
        (lab, cached), lab_error = load_lab_cached(settings.state_dir, inventory), None
    except InventoryError as exc:
        lab, cached, lab_error = None, False, str(exc)
    if lab is not None:
        # The connections begin in the poll process (started by the command line) while the screen is
        # built; the app's health feed takes that poller when it starts.
        from actions.health import poll_process

        poll_process.begin(list(lab.hosts), poll_process.options_of(settings.health))
    from tui.app import FactoryApp

    app = FactoryApp(settings=settings, lab=lab, lab_error=lab_error, inventory=inventory, lab_cached=cached)
    app.run()
    return int(app.return_code or 0)
