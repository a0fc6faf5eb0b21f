"""The runs screen: playbook runs as tabs (live or replayed) next to the journal's history.

Starting a run: ``n`` asks what to run; a real run goes through the gate (``tui.gate_flow.ask_permit``),
whose safe default is a check-mode run. Each run streams on a thread worker that talks to its pane only
through ``post_message`` (batched). ``Enter`` on a history row replays that run from its artifacts, or,
while it still runs, brings its live pane to the front (here, or in the checklist step that started it).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from functools import partial
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from actions.ansible import (
    AnsibleNotFound,
    PlaybookError,
    RunResult,
    RunSpec,
    RunStatus,
    prepare,
    record_error,
    replay,
)
from actions.ansible.catalog import load_catalog
from actions.config import Settings
from actions.durations import duration_text
from actions.journal import Journal, RunRecord
from actions.keyvalue import PairError, pairs
from actions.lab import InventoryError
from tui.app_handle import app_of
from tui.gate_flow import ask_permit
from tui.run_flow import lab_for, pane_for, start_in_pane
from tui.screens.base import FactoryScreen
from tui.services.run_batcher import Batcher
from tui.widgets.health_strip import HealthStrip
from tui.widgets.run_form import NewRunModal, RunAnswers
from tui.widgets.run_pane import RunPane


class RunsScreen(FactoryScreen):
    """Playbook runs in panes, and their history."""

    SECTION = "runs"
    BINDINGS = [
        Binding("n", "new_run", "New run", id="runs.new", tooltip="Run a playbook (check mode by default)"),
        Binding("r", "refresh_history", "Refresh", id="runs.refresh", tooltip="Reload the run history"),
        Binding("w", "close_tab", "Close tab", id="runs.close", tooltip="Close a finished run's tab"),
    ]
    DEFAULT_CSS = """
    RunsScreen #runs-tabs { height: 1fr; }
    RunsScreen #history-table { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._counter = 0

    def compose_body(self) -> ComposeResult:
        yield HealthStrip()
        with TabbedContent(id="runs-tabs"), TabPane("History", id="history"):
            yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        for col in ("when", "who", "playbook", "mode", "limit", "status", "took", "id"):
            table.add_column(col, key=col)
        self.action_refresh_history()

    def on_screen_resume(self) -> None:
        # Runs started elsewhere meanwhile (a checklist step, the command line) are listed, running or not.
        self.action_refresh_history()

    # -- journal and history ---------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The app's settings."""
        return app_of(self).settings

    @property
    def journal(self) -> Journal | None:
        """The app's journal, or ``None`` when it cannot be opened (the operator was told why)."""
        return app_of(self).journal

    def action_refresh_history(self) -> None:
        """List the journal's runs, newest first, in the History tab."""
        journal = self.journal
        table = self.query_one("#history-table", DataTable)
        table.clear()
        if journal is None:
            return
        for r in journal.runs():
            took = duration_text(r.duration, missing="")
            table.add_row(
                time.strftime("%m-%d %H:%M:%S", time.localtime(r.started_at)), r.operator, r.playbook,
                "check" if r.check else "REAL", r.limit or "", r.status, took, r.id, key=r.id,
            )

    @on(DataTable.RowSelected, "#history-table")
    async def _replay_selected(self, event: DataTable.RowSelected) -> None:
        run_id = str(event.row_key.value)
        live = next((p for p in app_of(self).live_runs if p.run_id == run_id), None)
        if live is not None:
            await self.show_live(live)
            return
        journal = self.journal
        record = journal.get(run_id) if journal else None
        if record is not None:
            self.open_replay(record)

    async def show_live(self, pane: RunPane) -> None:
        """Bring a run still going to the front, where it streams: its tab here, or the checklist step that
        started it (a replay of half a run would show less than the live pane)."""
        if pane.screen is self:
            self.query_one("#runs-tabs", TabbedContent).active = pane.tab_id
            pane.query_one("#run-log").focus()
            return
        await self.app.switch_mode("runbooks")
        if self.app.screen is not pane.screen:
            self.notify(f"{pane.run_name} is still running in its checklist step: open that step in Runbooks.",
                        title="Runs")

    # -- tabs ------------------------------------------------------------------------------------------

    async def _open_pane(self, title: str, pane: RunPane) -> None:
        tabs = self.query_one("#runs-tabs", TabbedContent)
        await tabs.add_pane(TabPane(title, pane, id=pane.tab_id))
        tabs.active = pane.tab_id
        pane.query_one("#run-log").focus()

    def _next_tab_id(self) -> str:
        self._counter += 1
        return f"run-tab-{self._counter}"

    @on(RunPane.StatusChanged)
    def _retitle(self, message: RunPane.StatusChanged) -> None:
        pane = message.pane
        if not pane.tab_id:
            return
        # The tab may be closing while the last status arrives.
        with contextlib.suppress(Exception):
            self.query_one("#runs-tabs", TabbedContent).get_tab(pane.tab_id).label = pane.title_text()

    def action_close_tab(self) -> None:
        """Close the active run's tab, unless its run is still going."""
        tabs = self.query_one("#runs-tabs", TabbedContent)
        active = tabs.active
        if not active or active == "history":
            return
        pane = tabs.get_pane(active).query_one(RunPane)
        if pane.status.ongoing:
            self.notify("This run is still going: cancel it first (x).", severity="warning")
            return
        tabs.remove_pane(active)

    # -- starting runs ---------------------------------------------------------------------------------

    def playbook_names(self) -> list[str]:
        """The catalog's playbooks, by name, for the new-run form."""
        return [Path(e.path).stem for e in load_catalog(self.settings.ansible.playbook_dir)]

    def action_new_run(self) -> None:
        """Ask what to run (check mode by default), then start it."""
        self.app.push_screen(NewRunModal(self.playbook_names()), self._answers)

    def _answers(self, answers: RunAnswers | None) -> None:
        if answers is None:
            return
        try:
            extra = pairs(answers.extra_vars)
        except PairError as exc:
            self.notify(str(exc), title="Extra vars", severity="error")
            return
        inventory = app_of(self).inventory or self.settings.inventory
        spec = RunSpec(
            playbook=answers.playbook, inventory=Path(inventory), limit=answers.limit or None,
            tags=tuple(t.strip() for t in answers.tags.split(",") if t.strip()), extra_vars=extra,
            check=answers.check, diff=answers.diff, forks=self.settings.ansible.forks,
        )
        self.start_run(spec)

    @work(group="runs-ask", exit_on_error=False)
    async def start_run(self, spec: RunSpec) -> None:
        """Prepare, gate (real runs), open a tab and start the run on a thread worker."""
        journal = self.journal
        try:
            lab = await lab_for(self, spec.inventory)
            # Off the loop: resolving the playbook reads and parses its files (10-20 ms, a frame or more).
            prepared = await asyncio.to_thread(prepare, spec, self.settings, journal, lab)
        except (PlaybookError, InventoryError, AnsibleNotFound) as exc:
            failed = record_error(spec, self.settings, journal, str(exc))
            pane = RunPane(Path(spec.playbook).stem, [], mode="check" if spec.check else "REAL",
                           tab_id=self._next_tab_id(), started_at=failed.started_at)
            await self._open_pane(pane.run_name, pane)
            pane.finish(failed, error=str(exc))
            self.action_refresh_history()
            return
        permit = None
        if not spec.check:
            answer = await ask_permit(self.app, prepared.request, allow_check=True,
                                      operator=self.settings.operator)
            if answer is None:
                return
            if answer == "check":
                spec = spec.model_copy(update={"check": True})
                prepared = await asyncio.to_thread(prepare, spec, self.settings, journal, lab)
            else:
                permit = answer
        pane = pane_for(prepared, tab_id=self._next_tab_id())
        await self._open_pane(prepared.playbook.name, pane)
        start_in_pane(self, pane, prepared, permit, group=f"run-{pane.tab_id}", name=pane.tab_id,
                      on_end=self._run_ended)

    def _run_ended(self, result: RunResult) -> None:
        """On the run's thread: list the run in the history (the app may be closing; the journal has it)."""
        with contextlib.suppress(Exception):
            self.app.call_from_thread(self.action_refresh_history)

    def open_replay(self, record: RunRecord) -> None:
        """Replay a journalled run from its artifacts in a new tab."""
        pane = RunPane(record.playbook, record.hosts, mode="check" if record.check else "REAL",
                       tab_id=self._next_tab_id(), replay=True, started_at=record.started_at)
        pane.run_id = record.id
        self.run_worker(self._open_then_replay(record, pane), group="runs-replay", exit_on_error=False)

    async def _open_then_replay(self, record: RunRecord, pane: RunPane) -> None:
        await self._open_pane(record.playbook, pane)
        self.run_worker(partial(self._replay_thread, pane, record), thread=True, group=f"run-{pane.tab_id}",
                        exit_on_error=False)

    def _replay_thread(self, pane: RunPane, record: RunRecord) -> None:
        def post(lines: list[str], events: list[Any]) -> None:
            pane.post_message(RunPane.Batch(lines, events))
            time.sleep(0.002)  # reading a file is faster than the UI: leave it the interpreter lock

        batcher = Batcher(post, interval=0.1)
        error = None
        try:
            if not record.artifacts:
                raise FileNotFoundError("this run never started, so it left no output")
            for line, event in replay(Path(record.artifacts)):
                if line is not None:
                    batcher.line(line)
                if event is not None:
                    batcher.event(event)
        except OSError as exc:
            error = str(exc)
        batcher.flush()
        from actions.ansible.models import HostRecap

        try:
            status = RunStatus(record.status)
        except ValueError:
            status = RunStatus.ERROR
        result = RunResult(run_id=record.id, status=status, rc=record.rc, message=record.message,
                           recap={h: HostRecap(**c) for h, c in record.recap.items()},
                           started_at=record.started_at, finished_at=record.finished_at or record.started_at)
        pane.post_message(RunPane.Finished(result=result, error=error, status=status))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.notify(f"{event.worker.name or 'run'}: {event.worker.error}", title="Run error",
                        severity="error", timeout=20)
            name = event.worker.name or ""
            for pane in self.query(RunPane):
                if pane.tab_id == name and pane.status.ongoing:
                    pane.finish(None, error=str(event.worker.error), status=RunStatus.ERROR)
