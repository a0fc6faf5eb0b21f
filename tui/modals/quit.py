"""Ask before quitting while playbooks run: they are named, and cancelled if the operator quits anyway.

A run streams on a thread, and the process waits for its threads before it exits: quitting without
cancelling them left a blank terminal, and the playbook running on, until the playbook ended.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from tui.modals.dialog import DialogScreen


class QuitModal(DialogScreen[bool]):
    """Answers ``True`` to cancel the runs and quit; staying (the default, and Esc) answers ``False``."""

    BINDINGS = [Binding("escape", "stay", "Stay", id="quit.stay", tooltip="Keep the runs going")]

    def __init__(self, runs: list[str]) -> None:
        super().__init__()
        self.runs = runs

    def compose(self) -> ComposeResult:
        count = f"{len(self.runs)} run" + ("s" if len(self.runs) > 1 else "")
        with Vertical():
            yield Label(f"{count} still going", classes="modal-title")
            names = "\n".join(f"  {name}" for name in self.runs)
            yield Static(f"{names}\n\nQuitting cancels {'them' if len(self.runs) > 1 else 'it'}: the playbook, "
                         "its workers and their commands on the hosts are stopped, and the journal records "
                         "the run as cancelled with the recap so far.", markup=False, id="quit-runs")
            with Horizontal():
                yield Button("Stay", id="stay", variant="primary")
                yield Button("Cancel and quit", id="quit", variant="error")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit")

    def action_stay(self) -> None:
        """Stay in the app; the runs go on."""
        self.dismiss(False)
