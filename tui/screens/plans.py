"""The plans screen: OpenTofu plans of the lab's roots."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.screens.base import FactoryScreen


class PlansScreen(FactoryScreen):
    """OpenTofu plans of the lab's roots."""

    SECTION = "plans"

    def compose_body(self) -> ComposeResult:
        yield Static("Plans: not built yet.", classes="placeholder")
