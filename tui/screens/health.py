"""The health screen (the app's home): one card per Pi, coloured by its worst signal, live.

Readings come from the app's one poller (:mod:`tui.services.health_feed`). Keys: refresh now, pause,
open a host's detail, and ``s`` to suspend the app for an interactive ssh session to the focused host.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Static

from actions.config import Thresholds
from actions.durations import duration_text
from actions.health.backups import newest_by_kind, offsite_verdict
from actions.health.evaluate import clock
from actions.health.models import Snapshot, Status, worst
from tui.app_handle import app_of
from tui.render.health_format import ICON, STYLE, verdict
from tui.screens.base import FactoryScreen
from tui.services.health_feed import feed_of
from tui.ssh_shell import run_ssh
from tui.widgets.host_card import HostCard
from tui.widgets.vault_badge import VaultBadge

if TYPE_CHECKING:  # the known-good store is loaded after the first reading
    from actions.health.known_good import DiffReport

HEALTH_BINDINGS: list[BindingType] = [
    Binding("r", "refresh_now", "Refresh", id="health.refresh", tooltip="Probe every host now"),
    Binding("p", "pause", "Pause", id="health.pause", tooltip="Pause or resume polling"),
    Binding("enter", "detail", "Detail", id="health.detail", tooltip="All signals, raw probe output, last error"),
    Binding("s", "ssh", "ssh", id="health.ssh", tooltip="Suspend and open an ssh session to the host"),
    Binding("k", "known_good", "Known-good", id="health.known_good",
            tooltip="Take a known-good snapshot now (refused unless every host is green)"),
]


def backups_line(snap: Snapshot, th: Thresholds) -> Text:
    """``backups on pi2: gitea 3h06m · postgres/gitea 2h00m · off-site 5h00m``, each coloured by its verdict;
    a failed off-site copy reads ``off-site FAILED`` (the host's detail says why)."""
    line = Text()
    for state in snap.hosts:
        if state.reading is None or state.reading.backup_root is None:
            continue
        kinds = newest_by_kind(state.reading, th)
        # The exact ages, as the findings' texts give them: the rounded hours are for the JSON report.
        parts = [(f"{k.kind} {duration_text(k.age_s)}", k.status) for k in kinds]
        offsite = offsite_verdict(state.reading, th)
        if offsite is not None:
            age = "never" if offsite.age_s is None else duration_text(offsite.age_s)
            words = f"off-site {age}" if offsite.ok else "off-site FAILED" if offsite.recorded else "off-site none"
            parts.append((words, offsite.status))
        line.append(f"backups on {state.name}: ", style="bold")
        if not kinds:
            line.append(f"none in {state.reading.backup_root}", style=STYLE[Status.WARN])
            line.append(" · " if parts else "")
        for i, (words, status) in enumerate(parts):
            line.append(" · " if i else "")
            line.append(words, style=STYLE[status] if status is not Status.OK else "")
        line.append("  ")
    line.rstrip()
    return line


def diff_line(report: DiffReport | None) -> Text:
    """How many differences from the last known-good snapshot nobody has explained yet."""
    if report is None:
        return Text()
    if report.known_good is None:
        return Text("no known-good snapshot yet (k takes one when every host is green)", style="dim")
    # A host not read yet is a difference too, but it is named as such rather than counted.
    found = [c for c in report.unexplained if c.host not in report.missing]
    n = len(found)
    text = Text(f"since known-good {report.known_good.id}: ")
    text.append(f"{n} unexplained difference{'s' if n != 1 else ''}", style=STYLE[Status.WARN] if n else "")
    if n:
        hosts = sorted({c.host for c in found})
        text.append(f" on {', '.join(hosts)} (enter on a host lists them)", style="dim")
    if report.missing:
        text.append(f"; no fingerprint of {', '.join(report.missing)} yet", style="dim")
    return text


class HealthScreen(FactoryScreen):
    """The live health glance of every Pi."""

    SECTION = "health"
    # The first card, not the scroll area around the cards: focus moving from one to the other before the
    # first frame has every card styled again twice.
    AUTO_FOCUS = "HostCard"
    BINDINGS: ClassVar[list[BindingType]] = [
        *HEALTH_BINDINGS,
        Binding("down,right", "app.focus_next", "Next", show=False, id="health.next", tooltip="Next host"),
        Binding("up,left", "app.focus_previous", "Previous", show=False, id="health.prev", tooltip="Previous host"),
    ]
    DEFAULT_CSS = """
    HealthScreen #health-top { height: 1; padding: 0 1; }
    HealthScreen #health-known { height: auto; padding: 0 1; }
    HealthScreen VaultBadge { padding: 0 1; height: 1; }
    HealthScreen #cards { grid-size: 2; grid-gutter: 1 2; height: auto; padding: 0 1; }
    """

    def compose_body(self) -> ComposeResult:
        yield VaultBadge()
        yield Static("", id="health-top")
        yield Static("", id="health-known")
        with VerticalScroll(id="health-body"):
            yield from self._compose_cards()

    def _compose_cards(self) -> ComposeResult:
        lab = app_of(self).lab
        if lab is None:
            yield Static("No lab: the inventory could not be read.", classes="placeholder")
            return
        with Grid(id="cards"):
            for host in lab.hosts:
                yield HostCard(host.name, f"{host.address}:{host.port}")

    def on_mount(self) -> None:
        feed = feed_of(self.app)
        if feed is not None:
            feed.subscribe(self, self.show)  # every second while in front, and when it comes back
        signal = getattr(self.app, "lab_changed", None)
        if signal is not None:
            signal.subscribe(self, lambda lab: self.run_worker(self._new_cards(), group="health-cards",
                                                               exclusive=True))
        self._focus_first()

    def _focus_first(self) -> None:
        cards = list(self.query(HostCard))
        if cards:
            cards[0].focus()

    async def _new_cards(self) -> None:
        """One card per host of the lab that replaced the old one."""
        self._swapping = True  # readings wait: a card half-mounted has no lines to show them in yet
        try:
            body = self.query_one("#health-body", VerticalScroll)
            await body.remove_children()
            await body.mount_compose(self._compose_cards())
        finally:
            self._swapping = False
        self._focus_first()

    _swapping = False

    def show(self, snap: Snapshot) -> None:
        """Paint ``snap``: each host's card, the overall verdict, backups and known-good lines."""
        if self._swapping:
            return
        feed = feed_of(self.app)
        try:
            top_line = self.query_one("#health-top", Static)
        except NoMatches:  # a snapshot delivered while the app takes the screen down
            return
        if feed is None:
            return
        now = time.time()
        statuses: list[Status] = []
        for state in snap.hosts:
            status, findings = verdict(state, feed.thresholds, snap.interval, now)
            statuses.append(status)
            try:
                card = self.query_one(f"#card-{state.name}", HostCard)
            except Exception:
                continue
            card.show(state, status, findings, snap.interval, now)
        overall = worst(statuses)
        top = Text()
        top.append(f"{ICON[overall]} {overall.value}", style=f"bold {STYLE[overall]}")
        counts = {s: statuses.count(s) for s in Status if statuses.count(s)}
        top.append("  " + ", ".join(f"{n} {s.value}" for s, n in counts.items()))
        top.append(f"  · every {snap.interval:g}s · last tick {clock(snap.taken_at)}", style="dim")
        if snap.paused:
            top.append("  · PAUSED (p to resume)", style="bold yellow")
        top_line.update(top)
        known = backups_line(snap, feed.thresholds)
        known.append_text(Text("\n") if known else Text())
        known.append_text(diff_line(app_of(self).known_good.report(snap)))
        self.query_one("#health-known", Static).update(known)

    def _selected(self) -> str | None:
        focused = self.focused
        if isinstance(focused, HostCard):
            return focused.host_name
        cards = list(self.query(HostCard))
        return cards[0].host_name if cards else None

    def action_refresh_now(self) -> None:
        """Probe every host now."""
        feed = feed_of(self.app)
        if feed is not None:
            feed.refresh_now()
            self.notify("refreshing every host", timeout=2)

    def action_pause(self) -> None:
        """Pause or resume polling."""
        feed = feed_of(self.app)
        if feed is not None:
            paused = feed.toggle_pause()
            self.notify("health polling paused" if paused else "health polling resumed", timeout=3)

    def action_detail(self) -> None:
        """Open the focused host's detail screen."""
        name = self._selected()
        if name is not None:
            from tui.screens.host_detail import HostDetailScreen

            self.app.push_screen(HostDetailScreen(name))

    def action_ssh(self) -> None:
        """Suspend the app for an ssh session to the focused host."""
        name = self._selected()
        if name is not None:
            run_ssh(app_of(self), name)

    def action_known_good(self) -> None:
        """Take a known-good snapshot now (refused unless every host is green)."""
        app_of(self).known_good.ask()
