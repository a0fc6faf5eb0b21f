"""The runbooks screen: the checklists, with any session in progress (an incident) on top."""

from __future__ import annotations

import time
from functools import partial
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from actions.runbooks.engine import current_states, progress
from actions.runbooks.model import Runbook
from tui.app_handle import app_of
from tui.modals.start_session import SessionAnswer
from tui.screens.base import FactoryScreen
from tui.widgets.health_strip import HealthStrip


class RunbooksScreen(FactoryScreen):
    """Guided checklists for bring-up and recovery."""

    SECTION = "runbooks"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open / resume", id="runbooks.open", tooltip="Open the checklist, resuming it"),
        Binding("R", "reload", "Reload", id="runbooks.reload", tooltip="Read the runbook files again"),
    ]
    DEFAULT_CSS = """
    RunbooksScreen #runbooks-note { padding: 0 1; color: $text-muted; }
    RunbooksScreen DataTable { height: 1fr; }
    """

    def compose_body(self) -> ComposeResult:
        yield Static("", id="runbooks-note")
        yield DataTable(id="runbooks-table", cursor_type="row", zebra_stripes=True)
        yield HealthStrip()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", "runbook", "kind", "steps", "progress", "session")
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def action_reload(self) -> None:
        """Read the runbook files again, then list them."""
        app_of(self).runbooks.reload()
        self.reload()

    def reload(self) -> None:
        """List the runbooks, those with a session in progress first."""
        table = self.query_one(DataTable)
        table.clear()
        hub = app_of(self).runbooks
        note = self.query_one("#runbooks-note", Static)
        if hub.error:
            note.update(f"[b red]{hub.error}[/]")
        else:
            note.update(hub.read_only_reason or "enter opens a checklist; one in progress resumes where it stopped.")
        rows: list[tuple[Any, ...]] = []
        in_progress = {s.runbook: s for s in hub.open_sessions()}
        for book in sorted(hub.books.values(), key=lambda b: b.name not in in_progress):
            session = in_progress.get(book.name)
            if session is not None:
                done, total = progress(current_states(book, hub.store.events(session.id)))
                opened = time.strftime("%m-%d %H:%M", time.localtime(session.started_at))
                label = "INCIDENT" if book.kind == "recovery" else "IN PROGRESS"
                rows.append((label, book.title, book.kind, len(book.steps), f"{done}/{total}",
                             f"{session.id} ({session.operator}, {opened})", book.name))
            else:
                rows.append(("", book.title, book.kind, len(book.steps), "-", "-", book.name))
        for row in rows:
            table.add_row(*row[:-1], key=row[-1])

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.open_book(str(event.row_key.value))

    def action_open(self) -> None:
        """Open the highlighted runbook (resuming its session)."""
        table = self.query_one(DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            self.open_book(str(key.value))

    def open_book(self, name: str) -> None:
        """Resume the session in progress; with none, ask first (start one, or only read the steps)."""
        from actions.runbooks.walk import known_operator
        from tui.modals.start_session import StartSessionModal
        from tui.screens.checklist import ChecklistScreen

        hub = app_of(self).runbooks
        book: Runbook | None = hub.books.get(name)
        if book is None:
            return
        try:
            walk = hub.resume(book)
            if walk is None and hub.store.read_only:
                walk = hub.preview(book)
                self.notify(f"{hub.read_only_reason}: the steps, read-only", title="Runbook", severity="warning")
        except Exception as exc:  # journal errors
            self.notify(str(exc), title="Runbook", severity="error")
            return
        if walk is not None:
            self.app.push_screen(ChecklistScreen(walk))
            return
        settings = app_of(self).settings
        ask_name = known_operator(settings.operator) is None
        self.app.push_screen(StartSessionModal(book.title, book.kind, ask_name=ask_name),
                             partial(self._answered, book))

    def _answered(self, book: Runbook, answer: SessionAnswer | None) -> None:
        from tui.screens.checklist import ChecklistScreen

        if answer is None:
            return
        hub = app_of(self).runbooks
        settings = app_of(self).settings
        if answer.name:
            # Who this is, for the session and for everything else this app records from now on.
            settings.operator = answer.name
        try:
            walk = hub.preview(book) if answer.read_only else hub.start(book, answer.reason, settings.operator)
        except Exception as exc:  # read-only store, journal errors
            self.notify(str(exc), title="Runbook", severity="error")
            return
        self.app.push_screen(ChecklistScreen(walk))
