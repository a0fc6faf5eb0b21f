"""Confirmation modals for gate requests.

``ConfirmModal`` (change level) answers ``"confirm"``, ``"check"`` (run a dry run instead) or
``"cancel"``; ``TypedConfirmModal`` (destructive) answers the typed name, or ``None`` when cancelled.
Neither issues the permit: the caller hands the answer to ``actions.gates.issue``, which decides.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from actions.gates import GateRequest
from tui.modals.dialog import DialogScreen


class _RequestView(Static):
    """The request as the operator must see it: title, exact command, targets, tags, details."""

    def __init__(self, request: GateRequest) -> None:
        super().__init__(markup=False)
        self.request = request

    def on_mount(self) -> None:
        self.update("\n".join(self.request.describe()))


class ConfirmModal(DialogScreen[str]):
    """Confirm a change. The safe choice (dry run or cancel) has the focus by default."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel", tooltip="Do nothing")]
    DEFAULT_CSS = "ConfirmModal > Vertical { max-width: 120; }"

    def __init__(self, request: GateRequest, *, allow_check: bool = True) -> None:
        super().__init__()
        self.request = request
        self.allow_check = allow_check

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Confirm a change to the lab", classes="modal-title")
            yield _RequestView(self.request)
            with Horizontal():
                if self.allow_check:
                    yield Button("Check mode first", id="check", variant="primary")
                yield Button("Cancel", id="cancel")
                yield Button("Run it", id="confirm", variant="warning")

    def on_mount(self) -> None:
        safe = "check" if self.allow_check and self.request.suggest_check_first else "cancel"
        self.query_one(f"#{safe}", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_cancel(self) -> None:
        """Answer ``"cancel"``: nothing runs."""
        self.dismiss("cancel")


class TypedConfirmModal(DialogScreen[str | None]):
    """Confirm a destructive action by typing the target's name."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="typed.cancel", tooltip="Do nothing")]
    DEFAULT_CSS = "TypedConfirmModal > Vertical { max-width: 120; border: thick $error; }"

    def __init__(self, request: GateRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("DESTRUCTIVE: type the target's name to confirm", classes="modal-title")
            yield _RequestView(self.request)
            yield Input(placeholder=self.request.confirm_name or "", id="typed")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Confirm", id="confirm", variant="error", disabled=True)

    @on(Input.Changed, "#typed")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value.strip() != self.request.confirm_name

    @on(Input.Submitted, "#typed")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.request.confirm_name:
            self.dismiss(event.value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm":
            self.dismiss(self.query_one("#typed", Input).value)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        """Close without a name: nothing runs."""
        self.dismiss(None)
