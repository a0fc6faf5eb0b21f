"""Keeps the app's lab true to the inventory: a lab taken from the cache is checked against Ansible's own
reading soon after the app opens, and an inventory whose files change is read again within one health
refresh. Ansible reads it in a child process (:func:`actions.lab_cache.read_in_child`), so neither its
import nor its parse takes the UI's thread. A reading that differs replaces the lab, and the screen says so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from actions.lab import InventoryError, Lab
from actions.lab_cache import inventory_files, read_in_child

if TYPE_CHECKING:
    from tui.app import FactoryApp


def _stamp(inventory: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when an inventory file is edited, added or removed (stat only: cheap every tick)."""
    stamps = []
    for path in inventory_files(inventory):
        try:
            st = path.stat()
        except OSError:
            continue
        stamps.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(stamps)


class InventoryWatch:
    """Re-reads ``inventory`` through Ansible when it changes (and once, when ``verify``)."""

    def __init__(self, app: FactoryApp, inventory: Path, verify: bool) -> None:
        self.app = app
        self.inventory = Path(inventory).expanduser()
        self.verify = verify
        self._stamp = _stamp(self.inventory)
        self.readings = 0  # re-reads finished (tests wait on this, not on time)

    def start(self) -> None:
        """From the app's ``on_mount``: check a cached lab once the first readings are in (Ansible's import
        takes a core for a second, which they need more), and look at the files every refresh."""
        if self.verify:
            self.app.health.after_first_reading(self.reread)
        self.app.set_interval(self.app.settings.health.interval, self.check)

    def check(self) -> None:
        """Re-read when the inventory's files changed since the last look."""
        stamp = _stamp(self.inventory)
        if stamp != self._stamp:
            self._stamp = stamp
            self.reread()

    def reread(self) -> None:
        """Read the inventory through Ansible now (in a child process), in the ``inventory`` worker group."""
        self.app.run_worker(self._reread(), name="inventory re-read", group="inventory", exclusive=True,
                            exit_on_error=False)

    async def _reread(self) -> None:
        app = self.app
        try:
            lab = await read_in_child(app.settings.state_dir, self.inventory)
        except InventoryError as exc:
            if app.lab is not None:
                app.notify(f"{exc}. The hosts shown are from its last good reading.", title="Inventory",
                           severity="error", timeout=30)
            self.readings += 1
            return
        except OSError as exc:  # the interpreter could not be started: keep what is shown, say why
            app.notify(f"cannot re-read the inventory: {os.strerror(exc.errno or 0)}", title="Inventory",
                       severity="error", timeout=30)
            self.readings += 1
            return
        if lab != app.lab:
            before = app.lab
            app.replace_lab(lab)
            app.notify(_what_changed(before, lab), title="Inventory re-read", severity="warning", timeout=20)
        self.readings += 1


def _what_changed(before: Lab | None, after: Lab) -> str:
    """The note shown when Ansible's reading replaces the lab on screen."""
    if before is None:
        return f"The inventory reads now: lab '{after.name}' with {len(after.hosts)} host(s)."
    old = {h.name: h for h in before.hosts}
    new = {h.name: h for h in after.hosts}
    parts = []
    if added := sorted(set(new) - set(old)):
        parts.append(f"added {', '.join(added)}")
    if removed := sorted(set(old) - set(new)):
        parts.append(f"removed {', '.join(removed)}")
    if changed := sorted(n for n in set(old) & set(new) if old[n] != new[n]):
        parts.append(f"changed {', '.join(changed)}")
    detail = "; ".join(parts) or "the lab's settings changed"
    return f"Ansible reads the inventory differently from what was shown ({detail}): showing its reading now."
