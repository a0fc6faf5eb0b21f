"""What every command needs: the settings and the lab, loaded once and turned into readable errors."""

from __future__ import annotations

import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic's models: loaded when a command first needs them, not to parse the line
    from actions.config import Settings
    from actions.journal import Journal
    from actions.lab import Lab


class CliError(Exception):
    """Ends the command with one line on stderr and ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class CliContext:
    """Global options of the command line, resolved lazily."""

    def __init__(self, config: str | None = None, inventory: str | None = None) -> None:
        self.config = config
        self.inventory_arg = inventory

    @cached_property
    def settings(self) -> Settings:
        """The settings, loaded once; a broken config file is a :class:`CliError`."""
        from actions.config import ConfigError, load_settings

        try:
            return load_settings(Path(self.config) if self.config else None)
        except ConfigError as exc:
            raise CliError(str(exc)) from None

    @property
    def inventory_path(self) -> Path:
        """The inventory this command reads: ``-i``, else the settings'."""
        return self.settings.resolve_inventory(self.inventory_arg)

    @cached_property
    def journal(self) -> Journal:
        """The journal under the settings' state dir, opened once; a :class:`CliError` when it cannot be."""
        from actions.journal import JournalError, open_journal

        try:
            journal = open_journal(self.settings.state_dir)
        except JournalError as exc:
            raise CliError(str(exc)) from None
        if journal.notice:
            print(f"factory-tui: {journal.notice}", file=sys.stderr)
        return journal

    @cached_property
    def lab(self) -> Lab:
        """The lab, from the cache while the inventory's files (and Ansible's config) are unchanged."""
        from actions.lab import InventoryError
        from actions.lab_cache import load_lab_cached

        try:
            return load_lab_cached(self.settings.state_dir, self.inventory_path)[0]
        except InventoryError as exc:
            hint = ""
            if self.inventory_arg == "sandbox":
                hint = " (is the sandbox up? `factory-tui sandbox up`)"
            elif self.inventory_arg == "rehearsal":
                hint = " (are the rehearsal hosts up? `factory-tui sandbox up --rehearsal`)"
            raise CliError(f"{exc}{hint}") from None
