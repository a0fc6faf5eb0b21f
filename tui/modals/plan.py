"""Modals of the plans screen: one resource's before/after detail, and a root's guidebook page."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Markdown, Static

from actions.tofu.summary import ResourceChange
from tui.render.plan_render import detail_renderable


class PlanDetailModal(ModalScreen[None]):
    """Before/after of one resource; sensitive values masked until ``s`` reveals them."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="plan_detail.close", tooltip="Back to the plan"),
        Binding("s", "reveal", "Reveal sensitive", id="plan_detail.reveal",
                tooltip="Show or mask sensitive values"),
    ]
    DEFAULT_CSS = """
    PlanDetailModal { align: center middle; }
    PlanDetailModal > VerticalScroll { width: 95%; height: 90%; border: thick $primary;
                                       background: $surface; padding: 0 1; }
    """

    def __init__(self, change: ResourceChange) -> None:
        super().__init__()
        self.change = change
        self.revealed = False

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(detail_renderable(self.change), id="plan-detail")

    def action_reveal(self) -> None:
        """Show or hide the sensitive values of the change."""
        self.revealed = not self.revealed
        self.query_one("#plan-detail", Static).update(detail_renderable(self.change, reveal=self.revealed))

    def action_close(self) -> None:
        """Close the detail."""
        self.dismiss(None)


class GuideModal(ModalScreen[None]):
    """A root's page of the provisioning guidebook, rendered."""

    BINDINGS = [Binding("escape,q", "close", "Close", id="guide.close", tooltip="Back to the plans")]
    DEFAULT_CSS = """
    GuideModal { align: center middle; }
    GuideModal > Vertical { width: 95%; height: 90%; border: thick $primary; background: $surface; }
    GuideModal Label { padding: 0 1; color: $text-muted; }
    """

    def __init__(self, page: Path, root_name: str) -> None:
        super().__init__()
        self.page = page
        self.root_name = root_name

    def _text(self) -> str:
        try:
            return self.page.read_text(encoding="utf-8")
        except OSError:
            return (f"# {self.root_name}\n\nThe guidebook has no page for this root yet: "
                    f"`{self.page}` does not exist.\n")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(str(self.page))
            with VerticalScroll():
                yield Markdown(self._text(), id="guide")

    def action_close(self) -> None:
        """Close the guide."""
        self.dismiss(None)
