"""The help screen (`?`): what each screen is for and the keys that work where you are."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown

INTRO = """\
# factory-tui

Operate the lab from one screen. Nothing that changes the lab starts without a confirmation that shows
exactly what will run; destructive actions ask you to type the target's name.

| key | screen |
|---|---|
| `1` | **Health**: every Pi at a glance, refreshed live |
| `2` | **Runbooks**: guided bring-up and recovery checklists |
| `3` | **Runs**: playbook runs and their history |
| `4` | **Plans**: OpenTofu plans of `iac/` and `postgres/iac/` |
| `5` | **Vault**: seal status, unseal, init |
| `ctrl+p` | command palette |
| `?` | this help |
| `q` | quit |
"""


def bindings_table(screen: Screen[object]) -> str:
    """The active keys of ``screen`` as a Markdown table: key, what it does, and whether it works now."""
    rows = []
    for _key, (_node, binding, enabled, _tooltip) in screen.active_bindings.items():
        if binding.show or binding.tooltip:
            state = "" if enabled else " (not now)"
            rows.append(f"| `{binding.key_display or binding.key}` | {binding.description}{state} |")
    if not rows:
        return ""
    return "\n## Keys here\n\n| key | does |\n|---|---|\n" + "\n".join(rows) + "\n"


class HelpModal(ModalScreen[None]):
    """The keys of the screen in front and a word on each screen."""
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close", tooltip="Close help")]
    DEFAULT_CSS = """
    HelpModal { align: center middle; }
    HelpModal > VerticalScroll { width: 90%; max-width: 110; height: 90%; border: thick $primary;
                                 background: $surface; padding: 0 1; }
    """

    def __init__(self, screen_keys: str = "") -> None:
        super().__init__()
        self.screen_keys = screen_keys

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(INTRO + self.screen_keys)

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
