"""The "new run" modal: which playbook, limit, tags, extra vars, check/diff. It only gathers the answers;
the runs screen turns them into a :class:`actions.ansible.RunSpec` and asks the gate."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label

from tui.modals.dialog import DialogScreen


@dataclass
class RunAnswers:
    """What the new-run form was answered with."""
    playbook: str
    limit: str
    tags: str
    extra_vars: str
    check: bool
    diff: bool


class NewRunModal(DialogScreen[RunAnswers | None]):
    """Ask what to run. Check mode is ticked by default: the safe choice."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="newrun.cancel", tooltip="Do nothing")]
    DEFAULT_CSS = "NewRunModal > Vertical { border: thick $primary; }"

    def __init__(self, playbooks: list[str], playbook: str = "") -> None:
        super().__init__()
        self.playbooks = playbooks
        self.playbook = playbook

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Run a playbook", classes="modal-title")
            hint = ", ".join(self.playbooks[:10]) + (" ..." if len(self.playbooks) > 10 else "")
            yield Input(value=self.playbook, placeholder=f"playbook ({hint})" if hint else "playbook path",
                        id="playbook")
            yield Input(placeholder="--limit (empty: every host)", id="limit")
            yield Input(placeholder="--tags a,b (empty: all)", id="tags")
            yield Input(placeholder="-e KEY=VALUE KEY2=VALUE2", id="extra")
            with Horizontal():
                yield Checkbox("check mode (dry run)", value=True, id="check")
                yield Checkbox("diff", value=True, id="diff")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Start", id="start", variant="primary")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._start()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self._start()
        else:
            self.dismiss(None)

    def _start(self) -> None:
        playbook = self.query_one("#playbook", Input).value.strip()
        if not playbook:
            self.notify("Name a playbook.", severity="warning")
            return
        self.dismiss(RunAnswers(
            playbook=playbook,
            limit=self.query_one("#limit", Input).value.strip(),
            tags=self.query_one("#tags", Input).value.strip(),
            extra_vars=self.query_one("#extra", Input).value.strip(),
            check=self.query_one("#check", Checkbox).value,
            diff=self.query_one("#diff", Checkbox).value,
        ))

    def action_cancel(self) -> None:
        """Close without starting a run."""
        self.dismiss(None)
