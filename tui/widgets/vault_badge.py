"""Vault's state in one line: unsealed / sealed n of t / not initialised / unreachable, with the
reading's age; a reading older than two health ticks (``settings.health.interval``) is shown as stale.

The badge polls Vault itself, at the health interval, in an async worker (the hvac call runs in a
thread). The health screen composes it as is; the Vault screen listens to :class:`VaultBadge.Updated`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.widgets import Static

from tui.services.health_feed import feed_of

if TYPE_CHECKING:
    from actions.vault import VaultStatus, VaultTarget

# By the value of actions.vault.VaultState: that module brings hvac and requests (half a second to
# import), which the badge imports off the UI thread when it first polls, not before the first frame.
_CLASS = {
    "unsealed": "-unsealed",
    "sealed": "-sealed",
    "uninitialised": "-uninitialised",
    "unreachable": "-unreachable",
}


def _stale(status: VaultStatus | None, interval: float, now: float | None = None) -> bool:
    """actions.vault.is_stale, without importing hvac for a badge that has no reading yet."""
    if status is None:
        return True
    return bool(importlib.import_module("actions.vault").is_stale(status, interval, now))


async def _read_in_daemon(target: VaultTarget) -> VaultStatus:
    """``read_status`` in a daemon thread: a Vault that hangs must not hold the app's exit for the whole
    timeout, as a thread of the default executor would (the loop waits for those when it closes)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[VaultStatus] = loop.create_future()

    def deliver(status: VaultStatus) -> None:
        if not future.done():
            future.set_result(status)

    def read() -> None:
        from actions.vault import read_status

        status = read_status(target)
        with contextlib.suppress(RuntimeError):  # the loop is gone: the app has quit meanwhile
            loop.call_soon_threadsafe(deliver, status)

    threading.Thread(target=read, name="vault-badge-read", daemon=True).start()
    return await future


class VaultBadge(Static):
    """One line of Vault state, polled every ``interval`` seconds (default: the health interval)."""

    DEFAULT_CSS = """
    VaultBadge { height: 1; padding: 0 1; }
    VaultBadge.-unsealed { color: $success; }
    VaultBadge.-sealed, VaultBadge.-uninitialised { color: $warning; text-style: bold; }
    VaultBadge.-unreachable { color: $error; text-style: bold; }
    VaultBadge.-stale { color: $text-muted; text-style: italic; }
    """

    @dataclass
    class Updated(Message):
        """A new reading (posted after every poll)."""

        badge: VaultBadge
        status: VaultStatus

    def __init__(
        self,
        *,
        target: VaultTarget | None = None,
        interval: float | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(markup=False, id=id, classes=classes)
        self.target = target
        self.interval = interval
        self.status: VaultStatus | None = None
        self.readings = 0  # polls completed: "within two ticks" counts these
        self.problem: str | None = None
        self._wake = asyncio.Event()
        self._shown = ""

    def on_mount(self) -> None:
        settings = getattr(self.app, "settings", None)
        if self.interval is None:
            self.interval = settings.health.interval if settings is not None else 2.0
        self.paint()
        if self.target is not None or settings is not None:
            feed = feed_of(self.app)
            if feed is not None:  # hvac's import would take the CPU the hosts' first readings need
                feed.after_first_reading(self._poll)
            else:
                self._poll()
            # The age keeps counting even when a poll hangs, so a stuck reading turns stale on time.
            self.set_interval(min(1.0, self.interval / 2), self.paint)

    async def _find_target(self) -> VaultTarget | None:
        """The Vault to poll: the one given, or the settings' and lab's (hvac imported in a thread)."""
        vault: ModuleType = await asyncio.to_thread(importlib.import_module, "actions.vault")
        if self.target is None:
            try:
                settings = getattr(self.app, "settings", None)
                self.target = vault.resolve_target(settings, getattr(self.app, "lab", None))
            except vault.VaultError as exc:
                self.problem = str(exc)
                self.paint()
        return self.target

    @property
    def stale(self) -> bool:
        return self.target is not None and _stale(self.status, self.interval or 2.0)

    def line(self, now: float | None = None) -> str:
        """The badge's text for the current reading (``now`` for tests of the age)."""
        if self.problem:
            return f"Vault: {self.problem}"
        if self.status is None:
            return "Vault: reading…"
        age = self.status.age(now)
        text = f"Vault {self.status.summary()} · {age:.0f}s ago · {self.status.addr}"
        if _stale(self.status, self.interval or 2.0, now):
            text = f"Vault {self.status.summary()}? · STALE: no reading for {age:.0f}s · {self.status.addr}"
        return text

    def paint(self) -> None:
        state = self.status.state if self.status else None
        for state_, cls in _CLASS.items():
            self.set_class(state_ == state, cls)
        self.set_class(self.problem is not None, "-unreachable")
        self.set_class(self.status is not None and self.stale, "-stale")
        text = self.line()
        if text != self._shown:
            self._shown = text
            self.update(text, layout=False)  # always one line: nothing around it moves

    def refresh_now(self) -> None:
        """Poll now instead of at the next tick (after an unseal, a seal, an init)."""
        self._wake.set()

    @work(group="vault-badge", exclusive=True, exit_on_error=False)
    async def _poll(self) -> None:
        if await self._find_target() is None:
            return
        assert self.target is not None
        while True:
            started = time.monotonic()
            self._wake.clear()
            status = await _read_in_daemon(self.target)
            self.status = status
            self.readings += 1
            self.paint()
            self.post_message(self.Updated(self, status))
            wait = max(0.0, (self.interval or 2.0) - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
