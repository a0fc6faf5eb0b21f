"""One host in full: every signal with its verdict, what changed since the last known-good snapshot (each
difference can be accepted with ``a``), the raw probe output and the last error; live."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Static

from actions.durations import duration_text
from actions.health.evaluate import assess, clock
from actions.health.known_good import DiffReport
from actions.health.models import HostState, Snapshot, Status
from tui.app_handle import app_of
from tui.render.health_format import ICON, STYLE, age, verdict
from tui.screens.base import lab_bar
from tui.services.health_feed import feed_of
from tui.ssh_shell import run_ssh
from tui.widgets.key_bar import KeyBar


def _facts(state: HostState) -> list[tuple[str, str]]:
    """Signals that are information rather than a verdict."""
    r = state.reading
    rows = [("connection", f"{state.connection} since {clock(state.since)}" if state.since else state.connection)]
    if r is None:
        return rows
    rows += [
        ("uptime", duration_text(r.uptime_s)),
        ("load 1/5/15", " / ".join(f"{v:.2f}" for v in r.load) if r.load else "-"),
        ("cores", str(r.cores or "-")),
        ("temperature", f"{r.temp_c:.1f} C ({r.temp_source})" if r.temp_c is not None else "not available"),
        ("throttling", f"{r.throttle.describe()} (0x{r.throttle.raw:x})" if r.throttle else "not available"),
        ("memory", f"{(r.mem_available_kb or 0) // 1024} MiB of {(r.mem_total_kb or 0) // 1024} MiB available"),
        ("clock sync", {True: "synced", False: "NOT synced", None: "not available"}[r.ntp_synced]),
        ("clock offset", f"{r.clock_offset_s:+.3f} s" if r.clock_offset_s is not None else "-"),
        ("round trip", f"{r.rtt_ms:.1f} ms network, {r.probe_ms:.1f} ms with the probe"),
    ]
    if r.docker_note:
        rows.append(("docker", r.docker_note))
    if r.kube_note:
        rows.append(("k3s nodes", r.kube_note))
    if state.probe_cpu_per_tick_s is not None:
        rows.append(("probe CPU", f"{state.probe_cpu_per_tick_s * 1000:.1f} ms per tick"))
    return rows


class HostDetailScreen(Screen[None]):
    """All of one host; ``escape`` goes back, ``s`` opens ssh, ``r`` refreshes now."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="host_detail.back", tooltip="Back to the health screen"),
        Binding("r", "refresh_now", "Refresh", id="host_detail.refresh",
                tooltip="Probe every host now, fingerprints too (the diff is then current)"),
        Binding("s", "ssh", "ssh", id="host_detail.ssh", tooltip="Suspend and open an ssh session to the host"),
        Binding("a", "accept", "Accept difference", id="host_detail.accept",
                tooltip="Accept the selected difference from the known-good snapshot (journalled with your name)"),
    ]
    DEFAULT_CSS = """
    HostDetailScreen #detail-title { height: 1; padding: 0 1; text-style: bold; }
    HostDetailScreen #detail-error { padding: 0 1; color: $error; height: auto; }
    HostDetailScreen DataTable { height: auto; max-height: 24; margin: 0 1; }
    HostDetailScreen #detail-diff-title { padding: 0 1; height: auto; }
    HostDetailScreen #detail-raw { padding: 0 1; color: $text-muted; height: auto; }
    """

    def __init__(self, host_name: str) -> None:
        super().__init__()
        self.host_name = host_name
        self._report: DiffReport | None = None
        self._shown = False

    def compose(self) -> ComposeResult:
        yield lab_bar(self, f"health › {self.host_name}")
        yield Static(self.host_name, id="detail-title")
        with VerticalScroll():
            yield Static("", id="detail-error")
            yield DataTable(id="detail-signals", cursor_type="row", zebra_stripes=True)
            yield Static("", id="detail-diff-title")
            yield DataTable(id="detail-diff", cursor_type="row", zebra_stripes=True)
            yield Static("raw probe output", classes="modal-title")
            yield Static("", id="detail-raw", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#detail-signals", DataTable)
        table.add_columns("signal", "status", "value")
        self.query_one("#detail-diff", DataTable).add_columns("since known-good", "accepted")
        feed = feed_of(self.app)
        if feed is not None:
            feed.subscribe(self, self.show)

    def show(self, snap: Snapshot) -> None:
        """Paint the host's signals, facts, known-good diff, raw probe output and last error from ``snap``."""
        feed = feed_of(self.app)
        try:
            state = snap.host(self.host_name)
            table = self.query_one("#detail-signals", DataTable)
        except (KeyError, NoMatches):  # an unknown host, or the screen is being taken down
            return
        if feed is None:
            return
        now = time.time()
        status, findings = verdict(state, feed.thresholds, snap.interval, now)
        title = Text()
        title.append(f"{state.name} ({state.address}:{state.port})  ")
        title.append(f"{ICON[status]} {status.value}", style=STYLE[status])
        title.append(f"  · {age(state, snap.interval, now)}", style="dim")
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#detail-error", Static).update(f"last error: {state.last_error}" if state.last_error else "")
        table.clear()
        for f in findings:
            table.add_row(f.signal, Text(f.status.value, style=STYLE[f.status]), f.text)
        if state.reading is not None and findings and findings[0].signal in ("freshness", "reachability") \
                and findings[0].status is not Status.OK:
            # Not current: the last known values, marked as such, never as the host's state now.
            for f in assess(state.reading, feed.thresholds):
                table.add_row(f.signal, Text(f"was {f.status.value}", style="dim"), f"{f.text} (last known)")
        for name, value in _facts(state):
            table.add_row(name, "", value)
        raw = state.reading.raw if state.reading else "(no probe answer yet)"
        self.query_one("#detail-raw", Static).update(raw)
        self._show_diff(snap)

    def _show_diff(self, snap: Snapshot) -> None:
        report = app_of(self).known_good.report(snap)
        if self._shown and report is self._report:
            return  # unchanged: keep the cursor where the operator put it
        self._report, self._shown = report, True
        title, table = self.query_one("#detail-diff-title", Static), self.query_one("#detail-diff", DataTable)
        table.clear()
        if report is None or report.known_good is None:
            title.update(Text("no known-good snapshot yet (k on the health screen takes one)", style="dim"))
            return
        changes = report.for_host(self.host_name)
        accepted = {a.key: a for a in report.accepted}
        head = Text(f"since known-good {report.known_good.id}: ", style="bold")
        unexplained = [c for c in changes if c.key not in accepted]
        head.append(f"{len(unexplained)} unexplained" if changes else "no difference",
                    style="yellow" if unexplained else "green")
        if unexplained:
            head.append("  (a accepts the selected one)", style="dim")
        title.update(head)
        for c in changes:
            by = accepted.get(c.key)
            table.add_row(c.text.removeprefix(f"{self.host_name}: "), by.operator if by else "", key=c.key)

    def action_accept(self) -> None:
        """Accept the difference under the diff table's cursor, under the operator's name."""
        flow, report = app_of(self).known_good, self._report
        table = self.query_one("#detail-diff", DataTable)
        if report is None or report.known_good is None or not table.row_count:
            self.notify("no difference to accept", severity="warning")
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        change = next((c for c in report.unexplained if c.key == key), None)
        if change is None:
            self.notify("already accepted", severity="information")
            return
        flow.accept(report, change)
        self.notify(f"accepted: {change.text}", title="Known-good")
        feed = feed_of(self.app)
        if feed is not None and feed.latest is not None:
            self._show_diff(feed.latest)

    def action_refresh_now(self) -> None:
        """Probe every host now, fingerprints too, so the diff is current."""
        feed = feed_of(self.app)
        if feed is not None and feed.poller is not None:
            feed.poller.request_fingerprint()  # wakes the poller too

    def action_ssh(self) -> None:
        """Suspend the app for an ssh session to this host."""
        run_ssh(app_of(self), self.host_name)
