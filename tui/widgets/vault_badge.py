"""Vault's state in one line for the health screen: unsealed / sealed n-of-t / not initialised /
unreachable, with the reading's age."""

from __future__ import annotations

from textual.widgets import Static


class VaultBadge(Static):
    """Placeholder until the Vault adapter feeds it."""

    def on_mount(self) -> None:
        self.update("Vault: not polled yet")
