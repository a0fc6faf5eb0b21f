"""The plan pane's summary: counts on top, then every change as a selectable line, outputs and drift.

Changes are options of an :class:`OptionList` (destroy and replace first, red) so the operator can move to
one and open its detail; group titles, outputs and drift are disabled lines between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from actions.tofu.summary import PlanSummary, ResourceChange
from tui.widgets.plan_render import STYLE, TITLE, change_line, counts_text


class PlanSummaryView(Vertical):
    """Shows one :class:`PlanSummary`; posts :class:`PlanSummaryView.DetailRequested` for a chosen change."""

    DEFAULT_CSS = """
    PlanSummaryView { height: 1fr; }
    PlanSummaryView > #plan-counts { height: auto; padding: 0 1; }
    PlanSummaryView > OptionList { height: 1fr; border: none; }
    """

    @dataclass
    class DetailRequested(Message):
        change: ResourceChange

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.summary: PlanSummary | None = None
        self.root_name = ""

    def compose(self) -> ComposeResult:
        yield Static("No plan shown yet: choose a root and press p to plan it.", id="plan-counts")
        yield OptionList(id="plan-changes")

    def show(self, summary: PlanSummary | None, root_name: str, note: str = "") -> None:
        self.summary = summary
        self.root_name = root_name
        counts = self.query_one("#plan-counts", Static)
        options = self.query_one("#plan-changes", OptionList)
        options.clear_options()
        if summary is None:
            counts.update(Text(note or f"{root_name}: no saved plan", style="dim"))
            return
        head = Text(f"{root_name}: ", style="bold")
        head.append_text(counts_text(summary.counts))
        if note:
            head.append(f"\n{note}", style="dim")
        if not summary.has_changes:
            head.append("\nNo changes: the infrastructure matches the configuration.", style="green")
        counts.update(head)
        options.add_options(self._options(summary))
        first = next((i for i, o in enumerate(options.options) if not o.disabled), None)
        if first is not None:
            options.highlighted = first

    @staticmethod
    def _options(summary: PlanSummary) -> list[Option]:
        items: list[Option] = []
        for action, changes in summary.grouped():
            items.append(Option(Text(f"{TITLE[action]} ({len(changes)})", style=STYLE[action] + " underline"),
                                disabled=True))
            items.extend(Option(change_line(c), id=f"change:{c.address}") for c in changes)
        if summary.outputs:
            title = Text(f"outputs ({len(summary.outputs)})", style="bold underline")
            items.append(Option(title, disabled=True))
            for output in summary.outputs:
                before, after = output.shown()
                line = Text(f"  {output.action.symbol:>3} {output.name}", style=STYLE[output.action])
                line.append(f"  {before} -> {after or ''}" if before else f"  = {after or ''}", style="dim")
                items.append(Option(line, disabled=True))
        if summary.drift:
            items.append(Option(Text(f"drift: changed outside OpenTofu ({len(summary.drift)})",
                                     style="bold magenta underline"), disabled=True))
            items.extend(Option(change_line(c), id=f"drift:{c.address}") for c in summary.drift)
        return items

    def highlighted_change(self) -> ResourceChange | None:
        options = self.query_one("#plan-changes", OptionList)
        if self.summary is None or options.highlighted is None:
            return None
        option_id = options.get_option_at_index(options.highlighted).id or ""
        kind, _, address = option_id.partition(":")
        pool = self.summary.drift if kind == "drift" else self.summary.changes
        return next((c for c in pool if c.address == address), None)

    @on(OptionList.OptionSelected, "#plan-changes")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        change = self.highlighted_change()
        if change is not None:
            self.post_message(self.DetailRequested(change))
