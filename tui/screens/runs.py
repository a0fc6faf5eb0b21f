"""The runs screen: playbook runs in panes, and their history."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.screens.base import FactoryScreen


class RunsScreen(FactoryScreen):
    """Playbook runs in panes, and their history."""

    SECTION = "runs"

    def compose_body(self) -> ComposeResult:
        yield Static("Runs: not built yet.", classes="placeholder")
