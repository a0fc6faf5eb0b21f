"""Vault's state in one line: unsealed / sealed n of t / not initialised / unreachable, with the
reading's age; a reading older than two health ticks (``settings.health.interval``) is shown as stale.

The readings come from the app's one Vault poller (:mod:`tui.services.vault_feed`); a badge in an app
without one (a widget tested alone) starts a feed of its own. The health screen composes it as is; the
Vault screen listens to :class:`VaultBadge.Updated`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message
from textual.widgets import Static

from actions.durations import ago_text, duration_text
from tui.services.vault_feed import VaultFeed, vault_feed_of

if TYPE_CHECKING:
    from actions.vault import VaultStatus, VaultTarget

# By the value of actions.vault.VaultState: that module brings hvac and requests (half a second to
# import), which the feed imports off the UI thread when it first polls, not before the first frame.
_CLASS = {
    "unsealed": "-unsealed",
    "sealed": "-sealed",
    "uninitialised": "-uninitialised",
    "unreachable": "-unreachable",
}


class VaultBadge(Static):
    """One line of Vault state, from the app's Vault feed."""

    DEFAULT_CSS = """
    VaultBadge { height: 1; padding: 0 1; }
    VaultBadge.-unsealed { color: $success; }
    VaultBadge.-sealed, VaultBadge.-uninitialised { color: $warning; text-style: bold; }
    VaultBadge.-unreachable { color: $error; text-style: bold; }
    VaultBadge.-stale { color: $text-muted; text-style: italic; }
    """

    @dataclass
    class Updated(Message):
        """A new reading (posted for every reading handed to the badge)."""

        badge: VaultBadge
        status: VaultStatus

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(markup=False, id=id, classes=classes)
        self.feed: VaultFeed | None = None
        self.status: VaultStatus | None = None
        self._shown = ""

    def on_mount(self) -> None:
        self.feed = vault_feed_of(self.app) or VaultFeed(self.app)
        self.paint()
        self.feed.subscribe(self, self._reading, problem=self.paint)
        # The age keeps counting even when a poll hangs, so a stuck reading turns stale on time.
        self.set_interval(min(1.0, self.interval / 2), self.paint)

    @property
    def target(self) -> VaultTarget | None:
        """The Vault the badge reads, or ``None``."""
        return self.feed.target if self.feed is not None else None

    @property
    def problem(self) -> str | None:
        """Why there is no Vault to read, or ``None``."""
        return self.feed.problem if self.feed is not None else None

    @property
    def interval(self) -> float:
        """Seconds between readings."""
        return self.feed.interval if self.feed is not None else 2.0

    @property
    def readings(self) -> int:
        """Readings the feed has taken: "within two ticks" counts these."""
        return self.feed.readings if self.feed is not None else 0

    def _reading(self, status: VaultStatus) -> None:
        self.status = status
        self.paint()
        self.post_message(self.Updated(self, status))

    @property
    def stale(self) -> bool:
        """The reading is older than two polling intervals."""
        return self.target is not None and self.feed is not None and self.feed.stale(self.status)

    def line(self, now: float | None = None) -> str:
        """The badge's text for the current reading (``now`` for tests of the age)."""
        if self.problem:
            return f"Vault: {self.problem}"
        if self.status is None:
            return "Vault: reading…"
        age = self.status.age(now)
        text = f"Vault {self.status.summary()} · {ago_text(age)} · {self.status.addr}"
        if self.feed is not None and self.feed.stale(self.status, now):
            text = f"Vault {self.status.summary()}? · STALE: no reading for {duration_text(age)} · {self.status.addr}"
        return text

    def paint(self) -> None:
        """Paint the reading: state, age and address, coloured by state."""
        state = self.status.state.value if self.status else None
        for state_, cls in _CLASS.items():
            self.set_class(state_ == state, cls)
        self.set_class(self.problem is not None, "-unreachable")
        self.set_class(self.status is not None and self.stale, "-stale")
        text = self.line()
        if text != self._shown:
            self._shown = text
            self.update(text, layout=False)  # always one line: nothing around it moves

    def refresh_now(self) -> None:
        """Read now instead of at the next tick (after an unseal, a seal, an init)."""
        if self.feed is not None:
            self.feed.refresh_now()
