"""Ask the operator for a Vault token (masked), for the few calls that need one: seal, step-down."""

from __future__ import annotations

from pydantic import SecretStr
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from actions.vault import VaultTarget
from tui.widgets.secret_input import SecretInput


class VaultTokenModal(ModalScreen[SecretStr | None]):
    """Answers the token as a secret, or ``None`` when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="vault_token.cancel", tooltip="Do nothing")]
    DEFAULT_CSS = """
    VaultTokenModal { align: center middle; }
    VaultTokenModal > Vertical { width: 80; height: auto; border: thick $primary; background: $surface;
                                 padding: 1 2; }
    """

    def __init__(self, target: VaultTarget) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Vault token for {self.target.addr}", classes="modal-title")
            yield Label("Kept in memory for this session only ($VAULT_TOKEN is used when set).")
            yield SecretInput(placeholder="token", id="token")

    @on(Input.Submitted, "#token")
    def _submitted(self, event: Input.Submitted) -> None:
        token = self.query_one("#token", SecretInput).take()
        self.dismiss(token if token.get_secret_value().strip() else None)

    def action_cancel(self) -> None:
        """Clear the token field and close without a token."""
        self.query_one("#token", SecretInput).value = ""
        self.dismiss(None)
