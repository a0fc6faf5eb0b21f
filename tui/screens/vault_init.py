"""The init screen (bring-up only): choose shares and threshold, confirm by typing the Vault's host,
then see each new share and the root token exactly once.

The operator proves each one was stored by re-typing its last four characters; only then is the next
one shown. When the last is confirmed the secrets are dropped from the screen and from memory, and
nothing can show them again. Leaving before that is refused, since the shares would be lost for good.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from pydantic import SecretStr
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from actions import vault
from actions.gates import Permit
from actions.vault import VaultTarget
from tui.app_handle import app_of
from tui.gate_flow import ask_permit
from tui.screens.base import lab_bar
from tui.widgets.key_bar import KeyBar
from tui.widgets.secret_input import SecretInput


class _SecretView(Static):
    """Shows one secret; mouse selection (and so the clipboard) is off."""

    ALLOW_SELECT = False


class VaultInitScreen(Screen[str]):
    """Dismisses with ``"unseal"`` (initialised, unseal next), ``"done"`` (initialised) or ``"cancel"``."""

    DEFAULT_CSS = """
    VaultInitScreen { align: center middle; }
    VaultInitScreen > Vertical { width: 90%; max-width: 110; height: auto; border: thick $error;
                                 padding: 1 2; }
    VaultInitScreen Input { width: 30; }
    VaultInitScreen #secret-value { border: round $warning; padding: 0 1; margin: 1 0; text-style: bold; }
    VaultInitScreen .message { height: auto; margin-top: 1; }
    VaultInitScreen .message.-error { color: $error; text-style: bold; }
    VaultInitScreen Horizontal { height: auto; margin-top: 1; }
    VaultInitScreen Horizontal Button { margin-right: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="init.close", tooltip="Leave (not while secrets are shown)"),
    ]

    def __init__(self, target: VaultTarget, *, operator: str = "operator") -> None:
        super().__init__()
        self.target = target
        self.operator = operator
        self.stage = "plan"
        self._items: list[tuple[str, SecretStr]] = []
        self._index = 0
        self._summary = ""

    def compose(self) -> ComposeResult:
        yield lab_bar(self, "vault › initialise")
        with Vertical():
            yield Label(f"Initialise Vault at {self.target.addr} (bring-up only)", classes="modal-title")
            with Vertical(id="init-plan"):
                yield Label("Key shares to create")
                yield Input("5", type="integer", id="shares")
                yield Label("Shares needed to unseal (threshold)")
                yield Input("3", type="integer", id="threshold")
                yield Static("", id="plan-message", classes="message", markup=False)
                with Horizontal():
                    yield Button("Initialise…", id="start", variant="error")
                    yield Button("Cancel", id="cancel")
            with Vertical(id="init-show"):
                yield Label("", id="secret-title")
                yield _SecretView("", id="secret-value", markup=False)
                yield Label("Store it now. Then type its last 4 characters to show the next one:")
                yield SecretInput(placeholder="last 4 characters", id="last4", max_length=4)
                yield Static("", id="show-message", classes="message", markup=False)
            with Vertical(id="init-done"):
                yield Static("", id="done-message", classes="message", markup=False)
                with Horizontal():
                    yield Button("Unseal now", id="unseal", variant="primary")
                    yield Button("Close", id="close")
        yield KeyBar()

    def on_mount(self) -> None:
        self._stage("plan")
        self.query_one("#shares", Input).focus()

    def _stage(self, stage: str) -> None:
        self.stage = stage
        for name in ("plan", "show", "done"):
            self.query_one(f"#init-{name}").display = name == stage

    def _message(self, widget_id: str, text: str, error: bool = False) -> None:
        message = self.query_one(widget_id, Static)
        message.set_class(error, "-error")
        message.update(text)

    def _plan(self) -> vault.InitPlan | None:
        try:
            shares = int(self.query_one("#shares", Input).value or "0")
            threshold = int(self.query_one("#threshold", Input).value or "0")
            return vault.check_plan(shares, threshold)
        except ValueError as exc:
            self._message("#plan-message", f"{exc}", error=True)
            return None

    @on(Button.Pressed, "#start")
    @on(Input.Submitted, "#shares, #threshold")
    def _start(self) -> None:
        plan = self._plan()
        if plan is not None:
            self._initialise(plan)

    @work(group="vault-init", exclusive=True, exit_on_error=False)
    async def _initialise(self, plan: vault.InitPlan) -> None:
        permit = await ask_permit(self.app, vault.init_request(self.target, plan), operator=self.operator)
        if not isinstance(permit, Permit):
            return
        self._message("#plan-message", "Initialising…")
        try:
            result = await asyncio.to_thread(
                vault.initialise, self.target, plan, permit, app_of(self).journal
            )
        except vault.VaultError as exc:
            self._message("#plan-message", str(exc), error=True)
            return
        count = len(result.shares)
        self._items = [(f"Key share {i} of {count}", share) for i, share in enumerate(result.shares, 1)]
        self._items.append(("Root token", result.root_token))
        self._summary = f"{count} key shares, {result.threshold} needed to unseal"
        del result
        self._index = 0
        self._stage("show")
        self._show_item()

    def _show_item(self) -> None:
        title, secret = self._items[self._index]
        self.query_one("#secret-title", Label).update(
            f"{title} ({self._index + 1}/{len(self._items)}) — shown once, never again"
        )
        self.query_one("#secret-value", _SecretView).update(secret.get_secret_value())
        self._message("#show-message", "")
        self.query_one("#last4", SecretInput).focus()

    @on(Input.Submitted, "#last4")
    def _confirm_item(self) -> None:
        typed = self.query_one("#last4", SecretInput).take()
        title, secret = self._items[self._index]
        if typed.get_secret_value().strip() != secret.get_secret_value()[-4:]:
            self._message(
                "#show-message", f"That is not the end of {title.lower()}: check what you stored.", error=True
            )
            return
        self._index += 1
        if self._index < len(self._items):
            self._show_item()
            return
        self._forget()
        self._message(
            "#done-message",
            f"Vault at {self.target.addr} is initialised ({self._summary}) and every secret was stored. "
            "It is sealed: unseal it now with the shares.",
        )
        self._stage("done")
        self.query_one("#unseal", Button).focus()

    def _forget(self) -> None:
        self.query_one("#secret-value", _SecretView).update("")
        self.query_one("#last4", SecretInput).value = ""
        self._items = []

    @on(Button.Pressed, "#cancel")
    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.action_close()

    @on(Button.Pressed, "#unseal")
    def _unseal_pressed(self) -> None:
        self.dismiss("unseal")

    def action_close(self) -> None:
        """Close, but not before the shares and root token shown have been stored."""
        if self.stage == "show":
            self.notify(
                "Store every share and the root token first: they cannot be shown again.",
                title="Not yet", severity="warning",
            )
            return
        self.dismiss("done" if self.stage == "done" else "cancel")
