"""One Pi on the health screen: status coloured by its worst signal, the failing signal in words, the
main numbers, the reading's age, and sparklines of load and temperature."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

from actions.durations import duration_text
from actions.health.evaluate import is_stale
from actions.health.models import Finding, HostState, Status
from tui.render.health_format import ICON, STYLE, age, headline, values


class HostCard(Vertical, can_focus=True):
    """A focusable card; the screen's keys act on the focused one."""

    DEFAULT_CSS = """
    HostCard { height: auto; border: round $panel-lighten-2; padding: 0 1; margin: 0 1 1 0; }
    HostCard:focus { border: double $accent; }
    HostCard.-ok { border-title-color: $success; }
    HostCard.-warn { border: round $warning; }
    HostCard.-critical { border: round $error; }
    HostCard.-warn:focus { border: double $warning; }
    HostCard.-critical:focus { border: double $error; }
    HostCard .line { height: 1; }
    /* The failing signal in words must show whole ("unreachable since 03:10:42"), on a narrow card too. */
    HostCard .headline { height: auto; }
    HostCard .values { height: auto; }
    HostCard Horizontal { height: 2; }
    HostCard .spark-label { width: 6; color: $text-muted; }
    HostCard Sparkline { width: 1fr; height: 2; margin-right: 2; }
    """

    def __init__(self, host_name: str, address: str) -> None:
        super().__init__(id=f"card-{host_name}")
        self.host_name = host_name
        self.border_title = host_name
        self.border_subtitle = address
        self.status = Status.UNKNOWN

    def compose(self) -> ComposeResult:
        yield Static("connecting…", classes="line headline")
        yield Static("", classes="line values")
        yield Static("", classes="line age")
        with Horizontal():
            yield Static("load", classes="spark-label")
            yield Sparkline([], id="spark-load")
            yield Static("temp", classes="spark-label", id="temp-label")
            yield Sparkline([], id="spark-temp")

    def show(self, state: HostState, status: Status, findings: list[Finding], interval: float, now: float) -> None:
        """Paint the host's status, headline findings, numbers, age and sparklines."""
        self.status = status
        for s in Status:
            self.set_class(s is status, f"-{s.value}")
        head = Text()
        head.append(f"{ICON[status]} {status.value.upper()}  ", style=f"bold {STYLE[status]}")
        head.append(headline(status, findings), style=STYLE[status] if status is not Status.OK else "")
        self.query_one(".headline", Static).update(head)
        r = state.reading
        stale = r is not None and (state.connection != "up" or is_stale(state, interval, now))
        vals = values(r) if not stale else f"last known: {values(r)}"
        if r is not None:
            vals += f" · up {duration_text(r.uptime_s)}"
        self.query_one(".values", Static).update(Text(vals, style="dim" if stale else ""))
        self.query_one(".age", Static).update(Text(f"{state.connection} · {age(state, interval, now)}", style="dim"))
        loads = [p.load1 for p in state.history if p.load1 is not None]
        temps = [p.temp_c for p in state.history if p.temp_c is not None]
        self.query_one("#spark-load", Sparkline).data = loads
        self.query_one("#spark-temp", Sparkline).data = temps
        self.query_one("#temp-label", Static).update("temp" if temps else "temp -")
