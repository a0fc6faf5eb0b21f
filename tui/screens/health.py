"""The health screen: the live health glance of every Pi."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.screens.base import FactoryScreen


class HealthScreen(FactoryScreen):
    """The live health glance of every Pi."""

    SECTION = "health"

    def compose_body(self) -> ComposeResult:
        yield Static("Health: not built yet.", classes="placeholder")
