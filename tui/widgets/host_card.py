"""One Pi on the health screen: status coloured by its worst signal, the failing signal in words, the
main numbers, the reading's age, and sparklines of load and temperature."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.renderables.sparkline import Sparkline
from textual.widget import Widget
from textual.widgets import Static

from actions.durations import duration_text
from actions.health.evaluate import is_stale
from actions.health.models import Finding, HostState, Status
from tui.render.health_format import ICON, STYLE, age, headline, values

# Room between the two sparklines, and after the second.
SPARK_GAP = 2
LABEL_WIDTH = 6


class SparkRow(Widget):
    """Load and temperature over the last readings: two labelled sparklines drawn as one widget (a card
    of one widget per label and per line costs the first frame a tenth of a second for three Pis)."""

    COMPONENT_CLASSES = {"spark-row--label", "spark-row--max-color", "spark-row--min-color"}
    DEFAULT_CSS = """
    SparkRow { height: 2; }
    SparkRow > .spark-row--label { color: $text-muted; }
    SparkRow > .spark-row--max-color { color: $primary; }
    SparkRow > .spark-row--min-color { color: $primary 30%; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.loads: Sequence[float] = ()
        self.temps: Sequence[float] = ()

    def show(self, loads: Sequence[float], temps: Sequence[float]) -> None:
        """Draw these series (oldest first); an empty series is a flat line, its label says so for temps."""
        if (list(loads), list(temps)) != (list(self.loads), list(self.temps)):
            self.loads, self.temps = list(loads), list(temps)
            self.refresh()

    def render(self) -> RenderableType:
        _, base = self.background_colors
        low = (base + self.get_component_styles("spark-row--min-color").color).rich_color
        high = (base + self.get_component_styles("spark-row--max-color").color).rich_color
        label = self.get_component_rich_style("spark-row--label", partial=True)
        height = max(self.size.height, 1)
        width = max((self.size.width - 2 * (LABEL_WIDTH + SPARK_GAP)) // 2, 1)
        grid = Table.grid()
        for size in (LABEL_WIDTH, width + SPARK_GAP, LABEL_WIDTH, width + SPARK_GAP):
            grid.add_column(width=size, no_wrap=True)

        def spark(data: Sequence[float]) -> Sparkline[float]:
            return Sparkline(data, width=width, height=height, min_color=low, max_color=high)

        grid.add_row(Text("load", style=label), spark(self.loads),
                     Text("temp" if self.temps else "temp -", style=label), spark(self.temps))
        return grid


class HostCard(Vertical, can_focus=True):
    """A focusable card; the screen's keys act on the focused one."""

    DEFAULT_CSS = """
    HostCard { height: auto; border: round $panel-lighten-2; padding: 0 1; }
    HostCard:focus { border: double $accent; }
    HostCard.-ok { border-title-color: $success; }
    HostCard.-warn { border: round $warning; }
    HostCard.-critical { border: round $error; }
    HostCard.-warn:focus { border: double $warning; }
    HostCard.-critical:focus { border: double $error; }
    /* The failing signal in words must show whole ("unreachable since 03:10:42"), on a narrow card too:
       each of the three lines wraps on its own. */
    HostCard .lines { height: auto; }
    """

    def __init__(self, host_name: str, address: str) -> None:
        super().__init__(id=f"card-{host_name}")
        self.host_name = host_name
        self.border_title = host_name
        self.border_subtitle = address
        self.status = Status.UNKNOWN

    def compose(self) -> ComposeResult:
        # The headline, the values and the reading's age, one paragraph each.
        yield Static("connecting…\n\n", classes="lines")
        yield SparkRow()

    def show(self, state: HostState, status: Status, findings: list[Finding], interval: float, now: float) -> None:
        """Paint the host's status, headline findings, numbers, age and sparklines."""
        self.status = status
        for s in Status:
            self.set_class(s is status, f"-{s.value}")
        head = Text()
        head.append(f"{ICON[status]} {status.value.upper()}  ", style=f"bold {STYLE[status]}")
        head.append(headline(status, findings), style=STYLE[status] if status is not Status.OK else "")
        r = state.reading
        stale = r is not None and (state.connection != "up" or is_stale(state, interval, now))
        vals = values(r) if not stale else f"last known: {values(r)}"
        if r is not None:
            vals += f" · up {duration_text(r.uptime_s)}"
        lines = Text("\n").join([
            head,
            Text(vals, style="dim" if stale else ""),
            Text(f"{state.connection} · {age(state, interval, now)}", style="dim"),
        ])
        self.query_one(".lines", Static).update(lines)
        self.query_one(SparkRow).show([p.load1 for p in state.history if p.load1 is not None],
                                      [p.temp_c for p in state.history if p.temp_c is not None])
