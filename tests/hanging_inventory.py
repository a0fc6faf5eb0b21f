"""An inventory script that hangs, for the tests that stop a read of the lab part-way: Ansible runs it, it
notes its pid, and it sleeps for two minutes."""

from __future__ import annotations

from pathlib import Path


class HangingInventory:
    """``directory/inventory.sh``; :attr:`pid` once Ansible has started it."""

    def __init__(self, directory: Path) -> None:
        self.pid_file = directory / "script.pid"
        self.path = directory / "inventory.sh"
        self.path.write_text(f"#!/bin/sh\necho $$ > {self.pid_file}\nexec sleep 120\n")
        self.path.chmod(0o755)

    @property
    def pid(self) -> int | None:
        """The script's pid, once it has run far enough to note it."""
        text = self.pid_file.read_text().strip() if self.pid_file.is_file() else ""
        return int(text) if text else None
