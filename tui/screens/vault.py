"""The vault screen: Vault seal status, unseal and init."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.screens.base import FactoryScreen


class VaultScreen(FactoryScreen):
    """Vault seal status, unseal and init."""

    SECTION = "vault"

    def compose_body(self) -> ComposeResult:
        yield Static("Vault: not built yet.", classes="placeholder")
