"""Ask before a checklist session starts: opening a checklist only to read its steps must not record an
incident under the reader's name.

The dialog offers to start the session (with why, one optional line, and who, asked only when the app
does not know the operator's name), a read-only view of the steps, or nothing. A session already open is
resumed without this dialog.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tui.modals.dialog import DialogScreen


@dataclass(frozen=True)
class SessionAnswer:
    """``read_only``: only look at the steps; otherwise start a session with ``reason`` (may be empty),
    started by ``name`` (empty when the app already knows who)."""

    read_only: bool
    reason: str = ""
    name: str = ""


class StartSessionModal(DialogScreen[SessionAnswer | None]):
    """Start a session, look only, or cancel (Esc)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="session.cancel", tooltip="Open nothing")]
    DEFAULT_CSS = """
    StartSessionModal > Vertical { border: thick $primary; }
    StartSessionModal Input { margin-top: 1; }
    StartSessionModal #session-problem { color: $error; height: auto; }
    """

    def __init__(self, title: str, kind: str, *, ask_name: bool) -> None:
        super().__init__()
        self.book_title = title
        self.kind = "bring-up" if kind == "bringup" else kind
        self.ask_name = ask_name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Start a {self.kind} session now?", classes="modal-title")
            yield Static(
                f"{self.book_title}: a session journals each step you take, who took it and when, and can be "
                "resumed after a crash. To read the steps only, open the read-only view.", markup=False,
            )
            yield Input(placeholder="why (optional): e.g. power cut at 03:10", id="session-reason")
            if self.ask_name:
                yield Input(placeholder="your name (who starts this session)", id="session-name")
            yield Static("", id="session-problem")
            with Horizontal():
                yield Button("Start session", id="start", variant="warning")
                yield Button("Read-only view", id="read-only", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#session-reason", Input).focus()

    @on(Input.Submitted, "#session-reason")
    def _reason_given(self) -> None:
        if self.ask_name:
            self.query_one("#session-name", Input).focus()
        else:
            self._start()

    @on(Input.Submitted, "#session-name")
    def _name_given(self) -> None:
        self._start()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self._start()
        elif event.button.id == "read-only":
            self.dismiss(SessionAnswer(read_only=True))
        else:
            self.dismiss(None)

    def _start(self) -> None:
        name = self.query_one("#session-name", Input).value.strip() if self.ask_name else ""
        if self.ask_name and not name:
            self.query_one("#session-problem", Static).update("Who starts it? Type your name: $USER is not set.")
            self.query_one("#session-name", Input).focus()
            return
        reason = self.query_one("#session-reason", Input).value.strip()
        self.dismiss(SessionAnswer(read_only=False, reason=reason, name=name))

    def action_cancel(self) -> None:
        """Close without starting anything."""
        self.dismiss(None)
