"""One checklist: its steps with state marks, why a step is locked (and what the check reads now), and
how long each took. Live: locks are re-evaluated at every health tick."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from actions.runbooks.engine import StepState, StepView, progress
from actions.runbooks.walk import Walk
from tui import step_keeper
from tui.app_handle import app_of
from tui.render.step_format import STATE_STYLE, state_text
from tui.screens.base import lab_bar
from tui.widgets.health_strip import HealthStrip
from tui.widgets.key_bar import KeyBar


class ChecklistScreen(Screen[None]):
    """The steps of one runbook session."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="checklist.back", tooltip="Back to the runbooks"),
        Binding("enter", "open_step", "Open step", id="checklist.open", tooltip="Doc, action and live checks"),
        Binding("n", "next_step", "Next step", id="checklist.next", tooltip="Open the step to do next"),
        Binding("e", "export", "Export report", id="checklist.export", tooltip="Write the Markdown report"),
        Binding("C", "close_session", "Close session", id="checklist.close", tooltip="End this session"),
    ]
    DEFAULT_CSS = """
    ChecklistScreen #checklist-head { padding: 0 1; text-style: bold; }
    ChecklistScreen #checklist-lock { padding: 0 1; height: auto; color: $warning; }
    ChecklistScreen DataTable { height: 1fr; }
    """

    def __init__(self, walk: Walk) -> None:
        super().__init__()
        self.walk = walk
        self.views: dict[str, StepView] = {}

    def compose(self) -> ComposeResult:
        yield lab_bar(self, f"runbooks › {self.walk.book.name}")
        yield Static("", id="checklist-head")
        yield DataTable(id="steps", cursor_type="row", zebra_stripes=True)
        yield Static("", id="checklist-lock")
        yield HealthStrip()
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # The essentials first, so a narrow terminal (80 columns) cuts the title, not the state or the lock.
        table.add_columns("", "step", "state", "locked because", "title")
        self.refresh_steps()
        self.set_interval(app_of(self).settings.health.interval, self.refresh_steps)
        resume = self.walk.resume_at()
        interrupted = [v.step_id for v in self.walk.views().values() if v.state is StepState.INTERRUPTED]
        if interrupted:
            self.notify(f"interrupted while running: {', '.join(interrupted)}; check it before going on",
                        title="Resumed", severity="warning", timeout=15)
        elif resume and resume != self.walk.book.steps[0].id:
            self.notify(f"resuming at {resume}", title="Resumed")

    def on_screen_resume(self) -> None:
        self.refresh_steps()

    @work(group="checklist", exclusive=True, exit_on_error=False)
    async def refresh_steps(self) -> None:
        """Evaluate every step's state and lock again, and repaint the table."""
        views, _ = await self.walk.views_with_locks()
        self.views = views
        self._paint()

    def _paint(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for view in self.views.values():
            style = STATE_STYLE[view.state]
            table.add_row(
                view.state.mark, view.step_id, Text(state_text(view), style=style),
                Text(_abbreviated(view.locked or "", self._lock_width()), style="yellow"), view.title,
                key=view.step_id,
            )
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))
        done, total = progress(self.views)
        s = self.walk.session
        if self.walk.is_preview:
            head = f"{self.walk.book.title} — read-only view, no session: nothing you do here is recorded"
        else:
            opened = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.started_at))
            ro = "  [read-only]" if self.walk.store.read_only else ""
            head = (f"{self.walk.book.title} — session {s.id} by {s.operator}, opened {opened} — "
                    f"{done}/{total} settled{ro}")
        self.query_one("#checklist-head", Static).update(head)
        self._show_lock()

    def _lock_width(self) -> int:
        """Room for a row's lock: about half the width left by the mark, the step and the state; the line
        under the table gives the highlighted step's whole reason."""
        return max(20, (self.size.width - 34) // 2)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_lock()

    def _current(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _show_lock(self) -> None:
        step_id = self._current()
        view = self.views.get(step_id or "")
        text = f"{step_id} is locked: {view.locked}" if view and view.locked else ""
        self.query_one("#checklist-lock", Static).update(text)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.open_step(str(event.row_key.value))

    def action_open_step(self) -> None:
        """Open the highlighted step."""
        step_id = self._current()
        if step_id:
            self.open_step(step_id)

    def action_next_step(self) -> None:
        """Open the first step that is neither done nor skipped."""
        step_id = self.walk.resume_at()
        if step_id is None:
            self.notify("every step is done or skipped")
        else:
            self.open_step(step_id)

    def open_step(self, step_id: str) -> None:
        """Show the step's screen (the one kept with its run, when its action still runs)."""
        from tui.screens.step import StepScreen

        # A step whose action still runs has kept its screen, with the run's live pane: show that one.
        running = step_keeper.kept(self.app, step_keeper.screen_name(self.walk.session.id, step_id))
        self.app.push_screen(running or StepScreen(self.walk, step_id))

    def action_export(self) -> None:
        """Write the session's incident report (Markdown) and say where."""
        from actions.runbooks.report import render_report

        if self.walk.is_preview:
            self.notify("read-only view: there is no session to report on", severity="warning")
            return
        path = app_of(self).settings.state_dir / "reports" / f"{self.walk.session.id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_report(self.walk.book, self.walk.session, self.walk.store.events(self.walk.session.id)))
        self.notify(str(path), title="Report written")

    def action_close_session(self) -> None:
        """End the session, after a confirmation."""
        if self.walk.is_preview:
            self.notify("read-only view: there is no session to close", severity="warning")
            return
        if self.walk.store.read_only:
            self.notify("read-only: another factory-tui writes the checklists", severity="warning")
            return
        self.walk.close()
        self.notify(f"session {self.walk.session.id} closed")
        self.app.pop_screen()


def _abbreviated(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
