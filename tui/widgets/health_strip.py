"""A compact health strip (one short line per Pi) that runs, plans and checklist screens show.

It reads the app's one poller (see :mod:`tui.services.health_feed`), so it costs the hosts nothing more.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from actions.health.models import Snapshot
from tui.render.health_format import ICON, STYLE, headline, verdict
from tui.services.health_feed import feed_of


class HealthStrip(Static):
    """``pi1 ● ok 0.42 48°C │ pi2 ▲ disk / 85% used │ pi3 ✖ unreachable since 12:03:04``."""

    DEFAULT_CSS = """
    HealthStrip { height: auto; max-height: 3; padding: 0 1; background: $boost; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: Text | None = None
        self._height = 0

    def on_mount(self) -> None:
        feed = feed_of(self.app)
        if feed is None or feed.lab is None:
            self.update("health: no lab")
            return
        self.update("health: connecting…")
        feed.subscribe(self, self.show)  # every second while this strip's screen is in front

    def show(self, snap: Snapshot) -> None:
        """Paint one short line per host from ``snap``."""
        feed = feed_of(self.app)
        if feed is None:
            return
        now = time.time()
        line = Text()
        for i, state in enumerate(snap.hosts):
            status, findings = verdict(state, feed.thresholds, snap.interval, now)
            if i:
                line.append(" │ ", style="dim")
            line.append(f"{state.name} ", style="bold")
            line.append(f"{ICON[status]} ", style=STYLE[status])
            r = state.reading
            what = headline(status, findings)
            if what == "ok" and r is not None and r.load is not None:
                temp = f" {r.temp_c:.0f}°C" if r.temp_c is not None else ""
                what = f"load {r.load[0]:.2f}{temp}"
            line.append(what, style=STYLE[status] if status.value != "ok" else "")
        if snap.paused:
            line.append("  (paused)", style="dim")
        if line == self._shown:
            return
        # A layout of the whole screen only when the strip wraps to a different number of lines: it is
        # redrawn every second, beside a run that may be streaming.
        width = max(1, self.content_region.width)
        height = len(line.wrap(self.app.console, width))
        self.update(line, layout=height != self._height)
        self._shown, self._height = line, height
