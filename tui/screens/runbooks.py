"""The runbooks screen: guided checklists for bring-up and recovery."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.screens.base import FactoryScreen


class RunbooksScreen(FactoryScreen):
    """Guided checklists for bring-up and recovery."""

    SECTION = "runbooks"

    def compose_body(self) -> ComposeResult:
        yield Static("Runbooks: not built yet.", classes="placeholder")
