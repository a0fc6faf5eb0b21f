"""Ask the operator for a short reason or note (skipping a step, annotating it)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class ReasonModal(ModalScreen[str | None]):
    """Ask for one line of reason (why a step is skipped); ``None`` when cancelled."""
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="reason.cancel", tooltip="Do nothing")]
    DEFAULT_CSS = """
    ReasonModal { align: center middle; }
    ReasonModal > Vertical { width: 80%; max-width: 100; height: auto; border: thick $primary;
                             background: $surface; padding: 1 2; }
    """

    def __init__(self, prompt: str) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.prompt)
            yield Input(placeholder="reason (enter to confirm, escape to cancel)", id="reason")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        """Close without a reason."""
        self.dismiss(None)
