"""Open the TUI from the command line: load settings and the lab, then run the app.

A broken config is an error before the screen opens; a broken inventory opens the app anyway, with the
error shown, so the operator can still reach the help and the sandbox.
"""

from __future__ import annotations

from actions.lab import InventoryError, load_lab
from tui.cli.context import CliContext


def run_app(ctx: CliContext) -> int:
    settings = ctx.settings
    inventory = ctx.inventory_path
    try:
        lab, lab_error = load_lab(inventory), None
    except InventoryError as exc:
        lab, lab_error = None, str(exc)
    from tui.app import FactoryApp

    app = FactoryApp(settings=settings, lab=lab, lab_error=lab_error, inventory=inventory)
    app.run()
    return int(app.return_code or 0)
