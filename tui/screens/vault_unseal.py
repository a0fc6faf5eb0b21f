"""The unseal screen: one masked key share at a time, progress k of t, and a clear word for each share.

The operator has already confirmed the unseal (the permit opened the :class:`UnsealSession`). Each share
is taken out of the input as a secret the moment it is submitted, so the field is empty again before
Vault answers; the share goes to Vault once and is then dropped. Nothing of it is logged or notified.
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
from textual.widgets import Button, Input, Label, ProgressBar, Static

from actions import vault
from actions.vault import ShareOutcome, ShareResult, UnsealSession
from tui.screens.base import lab_bar
from tui.widgets.key_bar import KeyBar
from tui.widgets.secret_input import SecretInput

_TONE = {
    ShareOutcome.ACCEPTED: "-ok",
    ShareOutcome.UNSEALED: "-ok",
    ShareOutcome.ALREADY_UNSEALED: "-ok",
    ShareOutcome.REPEATED: "-warn",
    ShareOutcome.MALFORMED: "-error",
    ShareOutcome.REJECTED: "-error",
}


class VaultUnsealScreen(Screen[bool]):
    """Dismisses with True when Vault ended unsealed."""

    DEFAULT_CSS = """
    VaultUnsealScreen { align: center middle; }
    VaultUnsealScreen > Vertical { width: 90%; max-width: 100; height: auto; border: thick $primary;
                                   padding: 1 2; }
    VaultUnsealScreen #unseal-progress-row { height: auto; margin: 1 0; }
    VaultUnsealScreen #unseal-count { margin-left: 2; }
    VaultUnsealScreen #unseal-message { height: auto; min-height: 2; margin-top: 1; }
    VaultUnsealScreen #unseal-message.-ok { color: $success; }
    VaultUnsealScreen #unseal-message.-warn { color: $warning; }
    VaultUnsealScreen #unseal-message.-error { color: $error; text-style: bold; }
    VaultUnsealScreen Horizontal#unseal-buttons { height: auto; margin-top: 1; }
    VaultUnsealScreen Horizontal#unseal-buttons Button { margin-right: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "reset", "Reset progress", id="unseal.reset", tooltip="Forget the shares entered"),
        Binding("escape", "close", "Close", id="unseal.close", tooltip="Leave; progress stays in Vault"),
    ]

    def __init__(self, session: UnsealSession) -> None:
        super().__init__()
        self.session = session
        self.unsealed = False
        # The field stays enabled while a share is with Vault (disabling it would move the focus to a
        # button, where the next Enter would press it); this flag holds the next share back instead.
        self.busy = False

    def compose(self) -> ComposeResult:
        yield lab_bar(self, "vault › unseal")
        with Vertical():
            yield Label(f"Unseal Vault at {self.session.target.addr}", classes="modal-title")
            yield Label("Enter one key share at a time (hex or base64). The field is masked and cleared "
                        "after each share.")
            with Horizontal(id="unseal-progress-row"):
                yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="unseal-progress")
                yield Label("", id="unseal-count")
            yield SecretInput(placeholder="key share, then Enter", id="share")
            yield Static("", id="unseal-message", markup=False)
            with Horizontal(id="unseal-buttons"):
                yield Button("Reset progress (ctrl+r)", id="reset")
                yield Button("Close (esc)", id="close")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#share", SecretInput).focus()
        self._read()

    @work(group="unseal", exclusive=True, exit_on_error=False)
    async def _read(self) -> None:
        try:
            status = await asyncio.to_thread(self.session.status)
        except vault.VaultError as exc:
            self._say(str(exc), "-error")
            return
        self._progress(status.progress, status.threshold)
        if not status.sealed:
            self._done("Vault is already unsealed.")

    def _progress(self, progress: int, threshold: int) -> None:
        bar = self.query_one("#unseal-progress", ProgressBar)
        bar.update(total=max(threshold, 1), progress=progress)
        self.query_one("#unseal-count", Label).update(f"{progress} of {threshold} shares")

    def _say(self, text: str, tone: str) -> None:
        message = self.query_one("#unseal-message", Static)
        message.set_classes(tone)
        message.update(text)

    @on(Input.Submitted, "#share")
    def _submitted(self, event: Input.Submitted) -> None:
        field = self.query_one("#share", SecretInput)
        if self.busy or self.unsealed:
            return  # the text stays in the masked field until the previous share is answered
        share = field.take()
        if not share.get_secret_value().strip():
            self._say("Type or paste one key share, then press Enter.", "-warn")
            return
        self.busy = True
        self._say("Checking the share with Vault…", "")
        self._submit(share)

    @work(group="unseal", exclusive=True, exit_on_error=False)
    async def _submit(self, share: SecretStr) -> None:
        field = self.query_one("#share", SecretInput)
        try:
            result: ShareResult = await asyncio.to_thread(self.session.submit, share)
        except vault.VaultError as exc:
            self._say(f"{exc}. Progress is unchanged; try again.", "-error")
            return
        finally:
            del share
            self.busy = False
        self._progress(result.progress, result.threshold)
        self._say(result.message, _TONE[result.outcome])
        if result.outcome is ShareOutcome.UNSEALED:
            self._say("All shares accepted: waiting for Vault to settle…", "-ok")
            field.disabled = True
            settled = await asyncio.to_thread(vault.wait_settled, self.session.target)
            if settled.sealed is False:
                self._done(f"Vault is unsealed ({settled.ha_mode}).")
            else:
                self._say(f"Vault reports {settled.summary()} after the last share; read the status "
                          "screen.", "-warn")
        elif result.outcome is ShareOutcome.ALREADY_UNSEALED:
            self._done(result.message)

    def _done(self, text: str) -> None:
        self.unsealed = True
        field = self.query_one("#share", SecretInput)
        field.value = ""
        field.disabled = True
        self.query_one("#reset", Button).disabled = True
        bar = self.query_one("#unseal-progress", ProgressBar)
        bar.update(total=1, progress=1)
        self.query_one("#unseal-count", Label).update("unsealed")
        self._say(f"{text} Press esc to go back.", "-ok")
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#reset")
    def _reset_pressed(self) -> None:
        self.action_reset()

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_reset(self) -> None:
        """Discard the shares entered so far in this unseal attempt."""
        # Not while a share is with Vault: the reset would race the share it is meant to discard.
        if not self.unsealed and not self.busy:
            self._reset()

    @work(group="unseal", exclusive=True, exit_on_error=False)
    async def _reset(self) -> None:
        try:
            result = await asyncio.to_thread(self.session.reset)
        except vault.VaultError as exc:
            self._say(str(exc), "-error")
            return
        self._progress(result.progress, result.threshold)
        self._say(result.message, "-warn")
        self.query_one("#share", SecretInput).focus()

    def action_close(self) -> None:
        """Clear the share field and close, answering whether Vault is unsealed."""
        self.query_one("#share", SecretInput).value = ""
        self.dismiss(self.unsealed)
