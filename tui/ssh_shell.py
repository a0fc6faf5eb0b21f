"""An interactive ssh session to one of the lab's hosts, with the app suspended while it lasts."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported

from actions.health.ssh import ssh_argv

if TYPE_CHECKING:
    from tui.app import FactoryApp


def run_ssh(app: FactoryApp, host_name: str) -> None:
    """Suspend the app and run an interactive ssh to ``host_name``; back to the app when it ends."""
    lab = app.lab
    if lab is None:
        app.notify("No lab: the inventory could not be read", severity="error")
        return
    argv = ssh_argv(lab.host(host_name))
    try:
        with app.suspend():
            print(f"$ {' '.join(argv)}   (exit the shell to return to factory-tui)", flush=True)
            code = subprocess.call(argv)
    except SuspendNotSupported:
        app.notify(f"cannot suspend here; run: {' '.join(argv)}", title="ssh", severity="warning", timeout=15)
        return
    except OSError as exc:
        app.notify(f"cannot run ssh: {exc.strerror}", title="ssh", severity="error")
        return
    if code not in (0, 130):
        app.notify(f"ssh to {host_name} ended with exit code {code}", title="ssh", severity="warning")
