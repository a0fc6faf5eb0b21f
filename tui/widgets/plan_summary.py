"""The plan pane's summary: counts on top, then every change as a line the cursor can reach, outputs, drift.

Destroy and replace come first, in red. Group titles, outputs and drift headings are lines the cursor
skips; enter (or the screen's ``d``) opens the detail of the change under the cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from actions.tofu.summary import PlanSummary, ResourceChange
from tui.render.plan_render import STYLE, TITLE, change_line, counts_text
from tui.widgets.plan_list import PlanLineList


def summary_lines(summary: PlanSummary) -> tuple[list[str | None], Callable[[int], Text]]:
    """The summary as list lines: their keys (``change:<address>``, ``drift:<address>``, None for a
    heading or an output) and a function that builds line i's text when it is drawn."""
    keys: list[str | None] = []
    entries: list[Text | ResourceChange] = []
    for action, changes in summary.grouped():
        keys.append(None)
        entries.append(Text(f"{TITLE[action]} ({len(changes)})", style=STYLE[action] + " underline"))
        keys.extend(f"change:{c.label}" for c in changes)
        entries.extend(changes)
    if summary.outputs:
        keys.append(None)
        entries.append(Text(f"outputs ({len(summary.outputs)})", style="bold underline"))
        for output in summary.outputs:
            before, after = output.shown()
            row = Text(f"  {output.action.symbol:>3} {output.name}", style=STYLE[output.action])
            row.append(f"  {before} -> {after or ''}" if before else f"  = {after or ''}", style="dim")
            keys.append(None)
            entries.append(row)
    for title, addresses in (("actions to invoke", summary.invocations),
                             ("deferred to a later plan", [c.label for c in summary.deferred])):
        if addresses:
            keys.extend([None] * (len(addresses) + 1))
            entries.append(Text(f"{title} ({len(addresses)})", style="bold underline"))
            entries.extend(Text(f"      {address}", style="dim") for address in addresses)
    if summary.drift:
        keys.append(None)
        entries.append(Text(f"drift: changed outside OpenTofu ({len(summary.drift)})",
                            style="bold magenta underline"))
        keys.extend(f"drift:{c.label}" for c in summary.drift)
        entries.extend(summary.drift)

    def line(index: int) -> Text:
        entry = entries[index]
        return entry if isinstance(entry, Text) else change_line(entry)

    return keys, line


class PlanSummaryView(Vertical):
    """Shows one :class:`PlanSummary`; posts :class:`PlanSummaryView.DetailRequested` for a chosen change."""

    DEFAULT_CSS = """
    PlanSummaryView { height: 1fr; }
    PlanSummaryView > #plan-counts { height: auto; padding: 0 1; }
    """

    @dataclass
    class DetailRequested(Message):
        """Enter on a change: its detail is asked for."""
        change: ResourceChange

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.summary: PlanSummary | None = None
        self.root_name = ""

    def compose(self) -> ComposeResult:
        yield Static("No plan shown yet: choose a root and press p to plan it.", id="plan-counts")
        yield PlanLineList(id="plan-changes")

    def show(self, summary: PlanSummary | None, root_name: str, note: str = "") -> None:
        """Show ``summary`` of ``root_name`` (or ``note`` alone when there is no summary)."""
        self.summary = summary
        self.root_name = root_name
        counts = self.query_one("#plan-counts", Static)
        changes = self.query_one("#plan-changes", PlanLineList)
        if summary is None:
            counts.update(Text(note or f"{root_name}: no saved plan", style="dim"))
            changes.set_lines([], lambda index: Text(""))
            return
        head = Text(f"{root_name}: ", style="bold")
        head.append_text(counts_text(summary.counts))
        if note:
            head.append(f"\n{note}", style="dim")
        if not summary.has_changes:
            head.append("\nNo changes: the infrastructure matches the configuration.", style="green")
        counts.update(head)
        changes.set_lines(*summary_lines(summary))

    def change_for(self, key: str | None) -> ResourceChange | None:
        """The change (or drift) a line's ``key`` stands for."""
        if self.summary is None or not key:
            return None
        kind, _, address = key.partition(":")
        pool = self.summary.drift if kind == "drift" else self.summary.changes
        return next((c for c in pool if c.label == address), None)

    def highlighted_change(self) -> ResourceChange | None:
        """The change under the cursor, or ``None``."""
        return self.change_for(self.query_one("#plan-changes", PlanLineList).current_key)

    @on(PlanLineList.Chosen, "#plan-changes")
    def _chosen(self, event: PlanLineList.Chosen) -> None:
        event.stop()
        change = self.change_for(event.key)
        if change is not None:
            self.post_message(self.DetailRequested(change))
