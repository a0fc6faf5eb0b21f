"""Plan summaries, resource details and streamed events as Rich text: shared by the plans pane and the CLI.

Only Rich here (no Textual), so ``factory-tui plan`` prints the very same summary the screen shows without
paying for the TUI's import. Destroy and replace come first and in red; sensitive values stay masked
unless the caller reveals them.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from actions.durations import ago_text, duration_text
from actions.tofu.runner import TofuEvent
from actions.tofu.store import PlanRecord
from actions.tofu.summary import Action, Counts, PlanSummary, ResourceChange

STYLE = {
    Action.DELETE: "bold red",
    Action.REPLACE: "bold red",
    Action.CREATE_FORGET: "magenta",
    Action.FORGET: "magenta",
    Action.UPDATE: "yellow",
    Action.CREATE: "green",
    Action.IMPORT: "blue",
    Action.MOVE: "blue",
    Action.READ: "cyan",
    Action.NOOP: "dim",
}
TITLE = {
    Action.DELETE: "destroy",
    Action.REPLACE: "replace",
    Action.CREATE_FORGET: "create, forgetting the old object (kept in place)",
    Action.FORGET: "forget (removed from state, kept in place)",
    Action.UPDATE: "update in place",
    Action.CREATE: "create",
    Action.IMPORT: "import (nothing else changes)",
    Action.MOVE: "move (nothing else changes)",
    Action.READ: "read (data sources)",
}
STATUS_STYLE = {
    "no-changes": "green",
    "changes": "yellow",
    "applied": "green",
    "failed": "bold red",
    "apply-failed": "bold red",
    "cancelled": "dim",
}


def counts_text(counts: Counts) -> Text:
    """The tool's own ``Plan:`` line, then what it leaves out (replace, move, read) beside it."""
    text = Text(counts.tool_line(), style="bold red" if counts.destructive else "bold")
    extras = counts.extras()
    if extras:
        text.append(f"  ({', '.join(extras)})", style="yellow")
    return text


def status_text(record: PlanRecord | None) -> Text:
    """A plan record's status, coloured; ``never planned`` without one."""
    if record is None:
        return Text("never planned", style="dim")
    return Text(record.status, style=STATUS_STYLE.get(record.status, ""))


def age_text(record: PlanRecord | None, max_age_minutes: float, ago: bool = False) -> Text:
    """The plan's age (``3m05s``, or ``3m05s ago`` with ``ago``), red and marked stale past the limit while it
    still has changes to apply."""
    if record is None:
        return Text("")
    age = record.age().total_seconds()
    stale = age > max_age_minutes * 60 and record.status == "changes"
    shown = ago_text(age) if ago else duration_text(age)
    return Text(shown + (" (stale)" if stale else ""), style="red" if stale else "")


def change_line(change: ResourceChange) -> Text:
    """One change: its symbol, its address, and moved from / imported / why."""
    style = STYLE[change.kind]
    line = Text(f"  {change.kind.symbol:>3} ", style=style)
    line.append(change.label, style=style)
    if change.notes:
        line.append(f"  ({'; '.join(change.notes)})", style="dim")
    return line


def summary_text(summary: PlanSummary, root: str) -> Text:
    """Counts, then changes grouped by action (destroy and replace first), outputs and drift."""
    out = Text()
    out.append(f"{root}: ", style="bold")
    out.append_text(counts_text(summary.counts))
    out.append("\n")
    if not summary.has_changes:
        out.append("No changes: the infrastructure matches the configuration.\n", style="green")
    for action, items in summary.grouped():
        out.append(f"\n{TITLE[action]} ({len(items)})\n", style=STYLE[action] + " underline")
        for change in items:
            out.append_text(change_line(change))
            out.append("\n")
    if summary.outputs:
        out.append(f"\noutputs ({len(summary.outputs)})\n", style="bold underline")
        for output in summary.outputs:
            before, after = output.shown()
            out.append(f"  {output.action.symbol:>3} {output.name}", style=STYLE[output.action])
            shown = f"{before} -> {after or ''}" if before else f"= {after or ''}"
            out.append(f"  {shown}\n", style="dim")
    if summary.invocations:
        out.append(f"\nactions to invoke ({len(summary.invocations)})\n", style="bold underline")
        out.append("".join(f"  ! {address}\n" for address in summary.invocations))
    if summary.deferred:
        out.append(f"\ndeferred to a later plan ({len(summary.deferred)})\n", style="bold underline")
        for change in summary.deferred:
            out.append_text(change_line(change))
            out.append("\n")
    if summary.drift:
        heading = f"\ndrift: changed outside OpenTofu ({len(summary.drift)})\n"
        out.append(heading, style="bold magenta underline")
        for change in summary.drift:
            out.append_text(change_line(change))
            out.append("\n")
    return out


def detail_renderable(change: ResourceChange, reveal: bool = False) -> Group:
    """One resource: its action, why, and before/after per attribute (sensitive masked unless revealed)."""
    head = Text()
    head.append(f"{change.kind.symbol} {change.label}", style=STYLE[change.kind])
    head.append(f"  {TITLE.get(change.kind, change.kind.value)}", style="bold")
    if change.notes:
        head.append(f"\n{'; '.join(change.notes)}", style="dim")
    if change.has_sensitive:
        hint = "sensitive values shown" if reveal else "sensitive values masked (press s to reveal)"
        head.append(f"\n{hint}", style="magenta")
    table = Table(expand=True, show_edge=False, pad_edge=False)
    table.add_column("attribute", style="bold", no_wrap=True)
    table.add_column("before", overflow="fold")
    table.add_column("after", overflow="fold")
    for row in change.attributes(reveal=reveal):
        style = "" if row.changed else "dim"
        name = Text(row.name + (" (forces replacement)" if row.forces_replace else ""),
                    style="bold red" if row.forces_replace else "")
        before = Text(row.before if row.before is not None else "", style=style or "red")
        after = Text(row.after if row.after is not None else "", style=style or "green")
        table.add_row(name, before, after)
    return Group(head, Text(""), table)


def event_text(event: TofuEvent) -> Text | None:
    """One line of the live log for a streamed event (None for events not worth a line)."""
    if event.type == "version":
        return Text(event.message, style="dim")
    if event.type == "diagnostic":
        diag = event.raw.get("diagnostic") or {}
        text = Text(event.message, style="bold red" if event.is_error else "yellow")
        detail = str(diag.get("detail") or "").strip()
        if detail:
            indented = "\n    " + detail.replace("\n", "\n    ")
            text.append(indented, style="red" if event.is_error else "yellow")
        return text
    if not event.message.strip():
        return None
    style = {"planned_change": "yellow", "change_summary": "bold", "apply_complete": "green",
             "apply_errored": "bold red", "resource_drift": "magenta", "provision_errored": "bold red"}
    if event.type == "text" and event.stream == "stderr":
        return Text(event.message, style="red" if event.is_error else "dim")
    return Text(event.message, style=style.get(event.type, ""))
