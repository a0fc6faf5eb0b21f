"""The plans screen: the lab's OpenTofu roots, the live log of a plan, then its summary; gated apply.

Left, the roots with their last plan's status and age; right, the live ``plan``/``apply`` log while it
runs, then the summary (``l`` flips between them). Plans and applies run in an async worker of the
``tofu`` group; the adapter holds the root's lock, so a second app instance cannot run one at the same time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, DataTable, RichLog, Static
from textual.widgets.data_table import ColumnKey
from textual.worker import Worker, WorkerState

from actions.gates import GateRefused, Permit
from actions.tofu import Root, TofuAdapter, TofuError, TofuEvent
from actions.tofu.store import PlanRecord
from tui.app_handle import app_of
from tui.gate_flow import ask_permit
from tui.modals.plan import GuideModal, PlanDetailModal
from tui.render.plan_render import age_text, event_text, status_text
from tui.screens.base import FactoryScreen
from tui.widgets.health_strip import HealthStrip
from tui.widgets.plan_summary import PlanSummaryView


class PlansScreen(FactoryScreen):
    """OpenTofu plans of the lab's roots."""

    # Seconds between refreshes of the roots' ages while the screen is in front.
    REFRESH_EVERY: ClassVar[float] = 10.0

    SECTION = "plans"
    DEFAULT_CSS = """
    PlansScreen #plans-body { height: 1fr; }
    PlansScreen #plan-roots { width: 48; border-right: solid $primary-darken-2; }
    PlansScreen #plan-right { width: 1fr; }
    PlansScreen #plan-status { height: auto; padding: 0 1; background: $boost; }
    PlansScreen #plan-switcher { height: 1fr; }
    PlansScreen RichLog { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "plan", "Plan", id="plans.plan", tooltip="Plan the selected root (read-only)"),
        Binding("P", "plan(False)", "Plan, no backend", show=False, id="plans.plan_local",
                tooltip="Plan with init -backend=false (a local review of a root with local state)"),
        Binding("d", "detail", "Detail", id="plans.detail", tooltip="Before/after of the selected change"),
        Binding("a", "apply", "Apply", id="plans.apply", tooltip="Apply the saved plan (asks to confirm)"),
        Binding("g", "guide", "Guide", id="plans.guide", tooltip="The root's guidebook page"),
        Binding("l", "toggle_log", "Log/summary", id="plans.log", tooltip="Flip between log and summary"),
        Binding("x", "cancel", "Cancel run", id="plans.cancel", tooltip="Stop the running plan or apply"),
        Binding("r", "refresh", "Refresh", show=False, id="plans.refresh", tooltip="Re-read the roots"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._roots: list[Root] = []
        self._cancel_run: asyncio.Event | None = None
        self._busy_root: str | None = None
        self._columns: list[ColumnKey] = []
        # What the summary pane shows (root, plan time, status): a refresh does not reload the same plan.
        self._shown: tuple[str, str, str] | None = None

    # -- layout ---------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield HealthStrip()
        with Horizontal(id="plans-body"):
            yield DataTable(id="plan-roots", cursor_type="row", zebra_stripes=True)
            with Vertical(id="plan-right"):
                yield Static("", id="plan-status")
                with ContentSwitcher(initial="plan-summary", id="plan-switcher"):
                    yield PlanSummaryView(id="plan-summary")
                    yield RichLog(id="plan-log", wrap=True, markup=False, highlight=False, max_lines=20000)

    @property
    def adapter(self) -> TofuAdapter:
        """The tofu adapter over the app's settings."""
        return TofuAdapter(app_of(self).settings)

    def on_mount(self) -> None:
        table = self.query_one("#plan-roots", DataTable)
        self._columns = table.add_columns("root", "last plan", "age")
        self.refresh_roots()
        self.set_interval(self.REFRESH_EVERY, self._refresh_in_front)
        table.focus()

    def _refresh_in_front(self) -> None:
        # Out of sight the plans' ages need no updating: the screen brings them up to date as it comes back.
        if self.is_current:
            self.refresh_roots()

    def on_screen_resume(self) -> None:
        if self._columns:  # not before on_mount has built the table
            self.refresh_roots()

    def refresh_roots(self) -> None:
        """List the roots with their last plan's status and age, keeping the cursor where it was."""
        adapter = self.adapter
        table = self.query_one("#plan-roots", DataTable)
        roots = adapter.roots()
        limit = adapter.settings.tofu.plan_max_age_minutes
        rows = []
        for root in roots:
            record = adapter.record(root)
            status = status_text(record) if root.exists else Text("missing", style="red")
            if self._busy_root == root.name:
                status = Text("running...", style="bold yellow")
            rows.append((root.name, status, age_text(record, limit)))
        if [r.name for r in roots] == [r.name for r in self._roots] and table.row_count == len(roots):
            # Same roots: update the cells in place, so the cursor and the shown plan stay put.
            for name, status, age in rows:
                table.update_cell(name, self._columns[1], status)
                table.update_cell(name, self._columns[2], age)
        else:
            keep = table.cursor_row
            table.clear()
            for name, status, age in rows:
                table.add_row(name, status, age, key=name)
            if rows:
                table.move_cursor(row=min(max(keep, 0), len(rows) - 1))
        self._roots = roots
        selected = self.selected_root()
        if selected is not None and self._busy_root is None:
            self._status(self._record_line(selected, adapter.record(selected)))
        if not roots:
            self._status("No roots: iac/ and postgres/iac/ are not in this checkout and settings name none.")

    def selected_root(self) -> Root | None:
        """The root under the cursor, or ``None`` without roots."""
        table = self.query_one("#plan-roots", DataTable)
        if not self._roots or table.cursor_row < 0:
            return None
        return self._roots[min(table.cursor_row, len(self._roots) - 1)]

    def _status(self, message: str | Text) -> None:
        self.query_one("#plan-status", Static).update(message)

    def _show(self, pane: str) -> None:
        self.query_one("#plan-switcher", ContentSwitcher).current = pane

    # -- selection: show the root's saved plan ----------------------------------------------------------
    @on(DataTable.RowHighlighted, "#plan-roots")
    def _root_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self._busy_root is None:
            self.show_saved()

    @work(group="tofu-show", exclusive=True, exit_on_error=False)
    async def show_saved(self) -> None:
        """Show the selected root's saved plan as a summary (``show -json`` of the plan file)."""
        root = self.selected_root()
        if root is None:
            return
        adapter = self.adapter
        record = adapter.record(root)
        view = self.query_one("#plan-summary", PlanSummaryView)
        self._status(self._record_line(root, record))
        shown = (root.name, record.created_at.isoformat() if record else "", record.status if record else "")
        if shown == self._shown:
            return
        self._shown = shown
        if record is None or record.status not in ("changes", "no-changes"):
            view.show(None, root.name, record.message if record else "never planned: press p to plan it")
            return
        try:
            record, summary = await adapter.saved_summary(root)
        except TofuError as exc:
            view.show(None, root.name, str(exc))
            return
        view.show(summary, root.name)
        self._show("plan-summary")

    def _record_line(self, root: Root, record: PlanRecord | None) -> Text:
        line = Text(f"{root.name}  ", style="bold")
        line.append_text(status_text(record))
        if record is not None:
            line.append("  ")
            line.append_text(age_text(record, self.adapter.settings.tofu.plan_max_age_minutes, ago=True))
            if record.message:
                line.append(f"  {record.message}", style="dim")
        return line

    # -- plan ------------------------------------------------------------------------------------------
    def _busy(self) -> bool:
        if self._busy_root is not None:
            self.notify(f"{self._busy_root} is running; press x to cancel it first.", severity="warning")
            return True
        return False

    def action_plan(self, backend: bool = True) -> None:
        """Plan the selected root (read-only); ``backend=False`` plans with ``init -backend=false``."""
        root = self.selected_root()
        if root is None or self._busy():
            return
        self.run_worker(self._plan(root, backend), group="tofu", exclusive=True, exit_on_error=False)

    def _start(self, root: Root, what: str) -> RichLog:
        self._busy_root = root.name
        self._cancel_run = asyncio.Event()
        log = self.query_one("#plan-log", RichLog)
        log.clear()
        log.write(Text(f"{what} {root.name} ({root.path})", style="bold"))
        self._show("plan-log")
        self._status(Text(f"{what} {root.name}...  (x cancels)", style="yellow"))
        self.refresh_roots()
        return log

    def _on_event(self, log: RichLog) -> Callable[[TofuEvent], None]:
        def on_event(event: TofuEvent) -> None:
            text = event_text(event)
            if text is not None:
                log.write(text)

        return on_event

    async def _plan(self, root: Root, backend: bool = True) -> None:
        log = self._start(root, "planning" if backend else "planning (init -backend=false)")
        try:
            result = await self.adapter.plan(
                root, backend=backend, on_event=self._on_event(log), cancel=self._cancel_run
            )
        finally:
            self._done()
        view = self.query_one("#plan-summary", PlanSummaryView)
        view.show(result.summary, root.name)
        self._shown = (root.name, result.record.created_at.isoformat(), result.record.status)
        self._status(self._record_line(root, result.record))
        self._show("plan-summary")
        note = "changes to review (a applies)" if result.summary.has_changes else "no changes"
        self.notify(f"{root.name}: {note}", title="Plan")

    def _done(self) -> None:
        self._busy_root = None
        self._cancel_run = None
        self.refresh_roots()

    # -- apply -----------------------------------------------------------------------------------------
    def action_apply(self) -> None:
        """Apply the selected root's saved plan, behind its gate."""
        root = self.selected_root()
        if root is None or self._busy():
            return
        self.run_worker(self._apply(root), group="tofu", exclusive=True, exit_on_error=False)

    async def _apply(self, root: Root) -> None:
        adapter = self.adapter
        # Refuse a stale plan before asking anything: the operator would confirm something untrue.
        _record, summary, request = await adapter.prepare_apply(root)
        self.query_one("#plan-summary", PlanSummaryView).show(summary, root.name, "about to apply this plan")
        self._show("plan-summary")
        view = self.query_one("#plan-summary", PlanSummaryView)
        permit = await ask_permit(self.app, request, operator=adapter.settings.operator)
        if not isinstance(permit, Permit):
            view.show(summary, root.name, "not applied")
            return
        log = self._start(root, "applying")
        try:
            result = await adapter.apply(
                root, permit, on_event=self._on_event(log), cancel=self._cancel_run,
                journal=app_of(self).journal,
            )
        finally:
            self._done()
        self._status(self._record_line(root, result.record))
        self._shown = (root.name, result.record.created_at.isoformat(), result.record.status)
        view.show(None, root.name, f"{result.message}. Plan again (p) to compare with the new state.")
        self._show("plan-summary")
        self.notify(result.message, title=f"Applied {root.name}")

    # -- other keys ------------------------------------------------------------------------------------
    def action_cancel(self) -> None:
        """Stop the running plan or apply."""
        if self._cancel_run is not None:
            self._cancel_run.set()
            self._status(Text("cancelling: stopping the process...", style="yellow"))

    def action_detail(self) -> None:
        """Show the before and after of the highlighted change."""
        change = self.query_one("#plan-summary", PlanSummaryView).highlighted_change()
        if change is None:
            self.notify("No change selected: plan first, then move to a change.", severity="warning")
            return
        self.app.push_screen(PlanDetailModal(change))

    @on(PlanSummaryView.DetailRequested)
    def _detail_requested(self, event: PlanSummaryView.DetailRequested) -> None:
        self.app.push_screen(PlanDetailModal(event.change))

    def action_guide(self) -> None:
        """Show the selected root's guidebook page."""
        root = self.selected_root()
        if root is not None:
            self.app.push_screen(GuideModal(root.guide, root.name))

    def action_toggle_log(self) -> None:
        """Flip between the live log and the summary."""
        switcher = self.query_one("#plan-switcher", ContentSwitcher)
        self._show("plan-summary" if switcher.current == "plan-log" else "plan-log")

    def action_refresh(self) -> None:
        """Read the roots and their plans again."""
        self.refresh_roots()

    # -- errors of every worker end up here ------------------------------------------------------------
    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        known = isinstance(error, TofuError | GateRefused)
        message = str(error) if known else f"{type(error).__name__}: {error}"
        stale = "plan again" in message
        self.notify(message + (" (press p)" if stale else ""), title="OpenTofu", severity="error", timeout=15)
        self.refresh_roots()
        self._status(Text(message, style="red"))
