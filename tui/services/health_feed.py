"""The app's one health poller, and the feed every health view subscribes to.

The app owns a single poller (one SSH connection per host for the whole app), run in the poll process
(:mod:`actions.health.poll_process`) and read by an async worker in group ``health``. Each snapshot is
kept as :attr:`HealthFeed.latest` and
handed to the subscribers, so the health screen and every :class:`HealthStrip` show the same readings.

Only subscribers on the screen in front are painted (see :mod:`tui.services.feed`): every second (ages
and staleness move on even without a new reading) and on each reading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from actions.config import Thresholds
from actions.health.models import Snapshot
from tui.services.feed import Subscribers

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode

    from actions.config import Settings
    from actions.health.poll_process import RemotePoller
    from actions.lab import Lab


class HealthFeed:
    """Starts the poller for the app's lab and hands its snapshots to subscribers."""

    REPAINT = 1.0  # seconds between repaints of the subscribers in front, reading or not

    def __init__(self, app: App[Any], settings: Settings, lab: Lab | None) -> None:
        self.app = app
        self.settings = settings
        self.lab = lab
        self._subscribers: Subscribers[Snapshot] = Subscribers(app)
        self.poller: RemotePoller | None = None
        self._after_first: list[Callable[[], object]] = []
        #: Called with every snapshot, on screen or not (the known-good recorder), whichever poller made it.
        self.taps: list[Callable[[Snapshot], object]] = []

    @property
    def latest(self) -> Snapshot | None:
        """The last snapshot (``None`` before the poller has started)."""
        return self._subscribers.latest

    @latest.setter
    def latest(self, snap: Snapshot | None) -> None:
        self._subscribers.latest = snap

    @property
    def thresholds(self) -> Thresholds:
        """The settings' health thresholds."""
        return self.settings.health.thresholds

    @property
    def interval(self) -> float:
        """Seconds between polls."""
        return self.settings.health.interval

    def start(self) -> None:
        """Start polling (from the app's ``on_mount``); without a lab there is nothing to poll."""
        self.app.set_interval(self.REPAINT, self._tick)
        self._start_poller()

    def _start_poller(self) -> None:
        if self.lab is not None:
            self.app.run_worker(
                self._run(self.lab), name="health poller", group="health", exclusive=True, exit_on_error=False
            )

    def set_lab(self, lab: Lab | None) -> None:
        """Poll ``lab`` from now on (the inventory reads differently): the old poller's worker is cancelled
        (it closes its connections) and its readings are dropped with it."""
        self.lab = lab
        self.latest = None
        self.poller = None
        self.app.workers.cancel_group(self.app, "health")
        self._start_poller()

    async def _run(self, lab: Lab) -> None:
        # The poll process was started before the settings were read, and given the hosts before the
        # screen was built (tui.cli, tui.launch): its first readings may be waiting already.
        from actions.health import poll_process

        poller = poll_process.poller_for(list(lab.hosts), poll_process.options_of(self.settings.health))
        poller.listeners.append(self.publish)
        poller.start()
        self.poller = poller
        try:
            await poller.run()
        except Exception as exc:
            # The worker keeps the app alive; the operator must still learn that readings stopped.
            self.app.notify(f"health polling stopped: {exc}", title="Health", severity="error", timeout=30)
            raise

    def subscribe(self, node: DOMNode, callback: Callable[[Snapshot], object]) -> None:
        """Subscribe ``node``; it gets the latest snapshot at once when there is one."""
        self._subscribers.add(node, callback)

    def after_first_reading(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once every host has answered or failed for the first time (at once without a
        lab): work that can wait, such as the checklists' journal, keeps out of the glance's way."""
        if self.lab is None:
            self.app.call_later(callback)
        else:
            self._after_first.append(callback)

    def publish(self, snap: Snapshot) -> None:
        """Hand ``snap`` to every subscriber and tap, as the poller does with each snapshot it takes."""
        self._subscribers.publish(snap)
        for tap in list(self.taps):
            tap(snap)
        if self._after_first and all(state.connection != "connecting" for state in snap.hosts):
            waiting, self._after_first = self._after_first, []
            # After the frame that shows the readings: the work that waited must not hold them back.
            for callback in waiting:
                self.app.call_after_refresh(callback)

    def _tick(self) -> None:
        if self.latest is not None:
            self._subscribers.deliver(self.latest)

    def refresh_now(self) -> None:
        """Probe every host now instead of at the next tick."""
        if self.poller is not None:
            self.poller.refresh_now()

    def toggle_pause(self) -> bool:
        """Pause or resume; returns True when now paused."""
        if self.poller is None:
            return False
        self.poller.set_paused(not self.poller.paused)
        return self.poller.paused


def feed_of(app: object) -> HealthFeed | None:
    """The app's feed, or None for an app without one (e.g. a widget tested alone)."""
    feed = getattr(app, "health", None)
    return feed if isinstance(feed, HealthFeed) else None
