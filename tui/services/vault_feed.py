"""The app's one Vault poller, and the feed every Vault view subscribes to.

Like the health feed: one reading of Vault's seal status every health interval, in an async worker of the
app (group ``vault``), kept as :attr:`VaultFeed.latest` and handed to the subscribers in front (the
:class:`~tui.widgets.vault_badge.VaultBadge` on the health and Vault screens). The checklists' Vault
predicates read the same reading through :meth:`VaultFeed.fresh` instead of asking Vault themselves.

The first reading waits for the hosts' first readings, and ``actions.vault`` (hvac and requests: half a
second to import) is imported in a thread then: neither holds back the first frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from actions.applog import logger
from tui.services.feed import Subscribers
from tui.services.health_feed import feed_of

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode

    from actions.vault import VaultStatus, VaultTarget

_log = logger("vault")


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

    threading.Thread(target=read, name="vault-read", daemon=True).start()
    return await future


class VaultFeed:
    """Polls the app's Vault and hands each reading to subscribers."""

    def __init__(self, app: App[Any], target: VaultTarget | None = None, interval: float | None = None) -> None:
        self.app = app
        settings = getattr(app, "settings", None)
        self.interval = interval or (settings.health.interval if settings is not None else 2.0)
        self.target = target
        self.problem: str | None = None  # why there is no Vault to read (no address, say)
        self.readings = 0  # polls completed: "within two ticks" counts these
        self._subscribers: Subscribers[VaultStatus] = Subscribers(app)
        self._watchers: dict[DOMNode, Callable[[], object]] = {}
        self._wake = asyncio.Event()
        self._read = asyncio.Event()
        self._resolved = asyncio.Event()  # the target is known, or the problem
        self._module: ModuleType | None = None
        self._started = False

    @property
    def latest(self) -> VaultStatus | None:
        """The last reading, or ``None`` before the first."""
        return self._subscribers.latest

    def start(self) -> None:
        """Start polling, once: after the hosts' first readings when the app has a health feed (the app's
        mount, or the first subscriber of an app without a Vault feed)."""
        if self._started:
            return
        self._started = True
        health = feed_of(self.app)
        if health is not None:
            health.after_first_reading(self._run)
        else:
            self._run()

    def _run(self) -> None:
        self.app.run_worker(self._poll(), name="vault poller", group="vault", exclusive=True, exit_on_error=False)

    def subscribe(self, node: DOMNode, callback: Callable[[VaultStatus], object],
                  problem: Callable[[], object] | None = None) -> None:
        """Subscribe ``node``: ``callback`` gets each reading (the latest at once when there is one),
        ``problem`` is called when there turns out to be no Vault to read."""
        self._subscribers.add(node, callback)
        if problem is not None:
            self._watchers[node] = problem
            if self.problem is not None:
                node.call_next(problem)
        self.start()

    def stale(self, status: VaultStatus | None, now: float | None = None) -> bool:
        """A reading older than two polling intervals (or none at all) is stale."""
        if status is None or self._module is None:
            return True
        return bool(self._module.is_stale(status, self.interval, now))

    def refresh_now(self) -> None:
        """Read now instead of at the next tick (after an unseal, a seal, an init)."""
        self._wake.set()

    async def fresh(self, max_age: float, after: float = 0.0) -> VaultStatus | None:
        """A reading at most ``max_age`` seconds old and taken after ``after`` (``time.time()``), reading
        Vault now when the latest is older; ``None`` when there is no Vault to read."""
        self.start()
        await self._resolved.wait()
        while self.target is not None:
            status = self.latest
            if status is not None and status.read_at >= after and status.age() <= max_age:
                return status
            self._read.clear()
            self.refresh_now()
            await self._read.wait()
        return None

    async def _find_target(self) -> VaultTarget | None:
        """The Vault to poll: the one given, or the settings' and lab's (``actions.vault`` imported in a
        thread)."""
        vault = self._module = await asyncio.to_thread(importlib.import_module, "actions.vault")
        if self.target is None:
            try:
                self.target = vault.resolve_target(getattr(self.app, "settings", None), getattr(self.app, "lab", None))
            except vault.VaultError as exc:
                self.problem = str(exc)
                _log.info("no Vault to read: %s", exc)
                for node, callback in list(self._watchers.items()):
                    if node.is_attached:
                        node.call_next(callback)
        self._resolved.set()
        return self.target

    async def _poll(self) -> None:
        if await self._find_target() is None:
            return
        assert self.target is not None
        while True:
            started = time.monotonic()
            self._wake.clear()
            self.publish(await _read_in_daemon(self.target))
            wait = max(0.0, self.interval - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    def publish(self, status: VaultStatus) -> None:
        """Hand ``status`` to every subscriber, as each reading of Vault is; it counts as a reading."""
        if self._module is None:
            self._module = importlib.import_module("actions.vault")
        before = self.latest
        self.readings += 1
        if before is None or before.summary() != status.summary():
            _log.info("Vault at %s: %s", status.addr, status.error or status.summary())
        self._resolved.set()
        self._subscribers.publish(status)
        self._read.set()


def vault_feed_of(app: object) -> VaultFeed | None:
    """The app's Vault feed, or None for an app without one (e.g. a widget tested alone)."""
    feed = getattr(app, "vault_feed", None)
    return feed if isinstance(feed, VaultFeed) else None
