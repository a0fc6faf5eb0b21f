"""One playbook run in a pane: live coloured output, task list with per-host marks, recap, filter, follow.

The pane is fed in batches (:class:`RunPane.Batch`) posted from the run's thread, and told the outcome
with :class:`RunPane.Finished`. The same pane replays a finished run from its artifacts.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from actions.ansible import HostRecap, RunEvent, RunResult, RunStatus
from actions.ansible.models import RECAP_FIELDS
from actions.durations import duration_text
from tui import gc_pauses
from tui.textual_patches.one_style_table import OneStyleTable
from tui.widgets.output_view import OutputView
from tui.widgets.task_table import TaskTable

MARKS = {
    "ok": ("ok", "green"),
    "changed": ("changed", "yellow"),
    "failed": ("FAILED", "bold red"),
    "skipped": ("skip", "cyan"),
    "unreachable": ("UNREACH", "bold magenta"),
    "running": ("…", "dim"),
}
# Seconds from a run's end to the full collection it allows: frames come every 1/60 s while anything
# changes, so the one that shows the outcome is long drawn by then.
COLLECT_AFTER = 0.5
# Every status has its colour (a test keeps it so): a cancel under way reads as a cancel already.
STATUS_STYLE = {
    RunStatus.RUNNING: "yellow", RunStatus.CANCELLING: "magenta", RunStatus.OK: "green", RunStatus.FAILED: "red",
    RunStatus.CANCELLED: "magenta", RunStatus.ERROR: "red", RunStatus.REFUSED: "red", RunStatus.INTERRUPTED: "red",
}


class RunPane(Vertical):
    """A run's live (or replayed) view. ``tab_id`` is the id of the tab whose title shows status and time."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="run.filter", tooltip="Filter the output lines"),
        Binding("f", "follow", "Follow", id="run.follow", tooltip="Toggle following the end of the output"),
        Binding("x", "cancel_run", "Cancel run", id="run.cancel", tooltip="Stop the playbook everywhere"),
    ]
    DEFAULT_CSS = """
    RunPane { height: 1fr; }
    RunPane #run-header { height: 1; padding: 0 1; background: $boost; }
    RunPane #run-cue { height: 1; padding: 0 1; background: $warning-darken-2; color: $text; display: none; }
    RunPane #run-cue.-on { display: block; }
    RunPane #run-body { height: 1fr; }
    RunPane #run-tasks { width: 45%; max-width: 70; height: 1fr; }
    RunPane #run-log { width: 1fr; height: 1fr; }
    RunPane #run-filter { display: none; }
    RunPane #run-filter.-on { display: block; }
    RunPane #run-recap { height: auto; max-height: 12; display: none; }
    RunPane #run-recap.-on { display: block; }
    RunPane #run-message { height: auto; padding: 0 1; display: none; }
    RunPane #run-message.-on { display: block; }
    RunPane #run-message.-error { background: $error-darken-2; }
    """

    @dataclass
    class Batch(Message):
        """Output lines and events of the run, batched by the thread that reads them."""
        lines: list[str]
        events: list[RunEvent]

    @dataclass
    class Finished(Message):
        """The run ended: its result, or the error that stopped it."""
        result: RunResult | None = None
        error: str | None = None
        status: RunStatus | None = None

    @dataclass
    class StatusChanged(Message):
        """The pane's status changed (its tab's title shows it)."""
        pane: RunPane = field(repr=False)

    filter_text: reactive[str] = reactive("")

    def __init__(self, name: str, hosts: list[str], *, mode: str, tab_id: str = "",
                 cancel: threading.Event | None = None, replay: bool = False, started_at: float | None = None,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.run_name = name
        self.hosts = list(hosts)
        self.mode = mode
        self.tab_id = tab_id
        self.cancel = cancel or threading.Event()
        self.replay = replay
        #: The journal's id of the run shown (set when it starts; a replay's is its record's).
        self.run_id = ""
        self.started_at = started_at or time.time()
        self.finished_at: float | None = None
        self.status: RunStatus = RunStatus.RUNNING
        self.output = OutputView(id="run-log")
        self._clock: Timer | None = None
        self.events = 0
        self.result: RunResult | None = None
        self._task_rows: dict[str, str] = {}
        self._marks: dict[str, dict[str, str]] = {}
        self._holds_gc = False  # put full collections off while this run streams (see tui.gc_pauses)
        self._title = ""  # the tab title last announced with StatusChanged

    def compose(self) -> ComposeResult:
        yield Static(id="run-header")
        yield Static(id="run-cue")
        yield Input(placeholder="filter output (text; Enter to apply, Esc to clear)", id="run-filter")
        with Horizontal(id="run-body"):
            yield TaskTable(id="run-tasks", cursor_type="row", zebra_stripes=True)
            yield self.output
        yield Static(id="run-message")
        yield OneStyleTable(id="run-recap", cursor_type="none")

    def on_mount(self) -> None:
        tasks = self.query_one("#run-tasks", DataTable)
        tasks.add_column("task", key="task")
        for host in self.hosts:
            tasks.add_column(host, key=host)
        recap = self.query_one("#run-recap", DataTable)
        recap.add_column("host", key="host")
        for name in RECAP_FIELDS:
            recap.add_column(name, key=name)
        self._refresh_header()
        self._clock = None if self.replay else self.set_interval(1.0, self._refresh_header)
        if not self.replay and self.status is RunStatus.RUNNING:
            self._holds_gc = True
            gc_pauses.run_started()
            self._live_runs().add(self)

    def on_unmount(self) -> None:
        self._release_gc(now=True)
        # A run still going stays among the app's live runs until it ends: quitting names it, and an app
        # that ends cancels it (the pane goes before the app does).
        if not self.status.ongoing:
            self._live_runs().discard(self)

    def _live_runs(self) -> set[RunPane]:
        """The app's live runs, named when the operator quits (a host app without them: a set of its own)."""
        live: set[RunPane] = getattr(self.app, "live_runs", set())
        return live

    def _release_gc(self, now: bool = False) -> None:
        if self._holds_gc:
            self._holds_gc = False
            if now:
                gc_pauses.run_ended()
            else:
                # After the frame that shows the outcome, or that frame waits out the collection (up to
                # 0.1 s). Not call_after_refresh: the screen runs it as soon as it is idle, which can be
                # before the widgets this outcome changed have asked it for a frame. On the app, as the
                # pane may be closed by then.
                self.app.set_timer(COLLECT_AFTER, gc_pauses.run_ended)

    # -- feeding ---------------------------------------------------------------------------------------

    @on(Batch)
    def _batch(self, message: Batch) -> None:
        message.stop()
        self.feed(message.lines, message.events)

    @property
    def lines(self) -> list[str]:
        """Every output line so far (with Ansible's colours), filtered or not."""
        return self.output.lines

    def feed(self, lines: list[str], events: list[RunEvent]) -> None:
        """Show a batch: lines in the log, events in the task table and header."""
        if lines:
            self.query_one("#run-log", OutputView).append(lines)
        for event in events:
            self._event(event)
        self.events += len(events)

    def _event(self, event: RunEvent) -> None:
        kind = event.kind
        if kind == "task_start" and event.task_id:
            tasks = self.query_one("#run-tasks", DataTable)
            if event.task_id not in self._task_rows:
                key = f"t{len(self._task_rows)}"
                self._task_rows[event.task_id] = key
                tasks.add_row(event.task or "", *[""] * len(self.hosts), key=key)
                if self.follow:
                    tasks.move_cursor(row=tasks.row_count - 1)
        elif kind in ("ok", "failed", "skipped", "unreachable") and event.host and event.task_id:
            self._mark(event.task_id, event.host, event.status)
        elif kind == "stats" and event.recap is not None:
            self.show_recap(event.recap)

    def _mark(self, task_id: str, host: str, status: str) -> None:
        key = self._task_rows.get(task_id)
        if key is None or host not in self.hosts:
            return
        label, style = MARKS.get(status, (status, ""))
        self.query_one("#run-tasks", DataTable).update_cell(key, host, Text(label, style=style))

    def show_recap(self, recap: dict[str, HostRecap]) -> None:
        """Fill the recap table, one row per host, failures in red."""
        table = self.query_one("#run-recap", DataTable)
        table.clear()
        for host, r in recap.items():
            cells = [Text(host, style="bold red" if r.bad else "bold")]
            for name in RECAP_FIELDS:
                n = getattr(r, name)
                style = {"changed": "yellow", "failures": "red", "unreachable": "magenta"}.get(name, "")
                cells.append(Text(str(n), style=style if n else "dim"))
            table.add_row(*cells)
        table.add_class("-on")

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        message.stop()
        self.finish(message.result, message.error, message.status)

    def finish(self, result: RunResult | None, error: str | None = None, status: RunStatus | None = None) -> None:
        """Show how the run ended: ``status`` when given, else the result's (an error without a result)."""
        self.result = result
        self.finished_at = result.finished_at if result and result.finished_at else time.time()
        self.status = RunStatus(status) if status else result.status if result else RunStatus.ERROR
        if self._clock is not None:
            self._clock.stop()
        self._release_gc()
        self._live_runs().discard(self)
        text = error or (result.message if result else "")
        if result is not None and result.recap:
            self.show_recap(result.recap)
        box = self.query_one("#run-message", Static)
        if text:
            box.update(Text(text))
            box.add_class("-on")
            box.set_class(self.status in (RunStatus.ERROR, RunStatus.FAILED, RunStatus.REFUSED), "-error")
        self._refresh_header()

    # -- header and tab title --------------------------------------------------------------------------

    def title_text(self) -> str:
        """The tab's title: name and status, and the time taken once the run is over.

        A new tab title lays the whole screen out and slides the tabs' underline along (some 100 ms of
        drawing spread over a third of a second): while output streams, that is taken from the output.
        The pane's header beside the output counts the seconds.
        """
        if self.finished_at:
            return f"{self.run_name} · {self.status} · {duration_text(self.finished_at - self.started_at)}"
        return f"{self.run_name} · {self.status}"

    def _refresh_header(self) -> None:
        end = self.finished_at or time.time()
        header = Text()
        header.append(f"{self.run_name}  ", style="bold")
        header.append(f"[{self.mode}]  ")
        header.append(self.status, style=STATUS_STYLE.get(self.status, ""))
        header.append(f"  {duration_text(end - self.started_at)}  ·  {self.events} events  ·  ")
        header.append("follow on" if self.follow else "follow OFF", style="" if self.follow else "bold yellow")
        if self.replay:
            header.append("  ·  replay", style="italic")
        # One line, full width: its size never changes, so no layout of the screen (as update would do).
        self.query_one("#run-header", Static).update(header, layout=False)
        title = self.title_text()
        if title != self._title:  # the tab is relabelled only when its text changes (see title_text)
            self._title = title
            self.post_message(self.StatusChanged(self))

    # -- filter, follow, cancel ------------------------------------------------------------------------

    def action_filter(self) -> None:
        """Open the filter box."""
        box = self.query_one("#run-filter", Input)
        box.add_class("-on")
        box.focus()

    @on(Input.Submitted, "#run-filter")
    def _apply_filter(self, event: Input.Submitted) -> None:
        event.stop()
        self.filter_text = event.value.strip()
        if not self.filter_text:
            event.input.remove_class("-on")
        self.query_one("#run-log", OutputView).focus()

    def key_escape(self) -> None:
        box = self.query_one("#run-filter", Input)
        if box.has_class("-on") or self.filter_text:
            box.value = ""
            box.remove_class("-on")
            self.filter_text = ""
            self.query_one("#run-log", OutputView).focus()

    def watch_filter_text(self, value: str) -> None:
        cue = self.query_one("#run-cue", Static)
        cue.update(f"FILTER ON: lines containing {value!r}  (Esc clears)" if value else "")
        cue.set_class(bool(value), "-on")
        self.query_one("#run-log", OutputView).set_filter(value)

    @property
    def follow(self) -> bool:
        """Whether the output follows its end: the output view holds it (scrolling back turns it off)."""
        return self.output.follow

    @on(OutputView.FollowChanged)
    def _follow_changed(self, message: OutputView.FollowChanged) -> None:
        message.stop()
        self._refresh_header()

    def action_follow(self) -> None:
        """Turn following the newest output on or off."""
        self.output.follow = not self.output.follow

    def action_cancel_run(self) -> None:
        """Cancel the running playbook (a replay has nothing to cancel)."""
        if self.status is RunStatus.RUNNING and not self.replay and not self.cancel.is_set():
            self.cancel.set()
            self.status = RunStatus.CANCELLING
            self._refresh_header()
            self.notify(f"Cancelling {self.run_name}: stopping the playbook, its workers and ssh.")
