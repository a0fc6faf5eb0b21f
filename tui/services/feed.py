"""The subscribers of one of the app's feeds (health, Vault): widgets that get each new reading.

Only subscribers on the screen in front are handed a reading: painting screens out of sight would take
frames from the one in front, which may be streaming a run. A screen that comes back to the front is
handed the latest reading at once. Detached subscribers are dropped on the way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from textual.app import ScreenStackError
from textual.dom import NoScreen

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.screen import Screen

T = TypeVar("T")


class Subscribers(Generic[T]):
    """Callbacks by widget; :meth:`deliver` calls those on the front screen with a reading."""

    def __init__(self, app: App[object]) -> None:
        self.app = app
        self.latest: T | None = None
        self._callbacks: dict[DOMNode, Callable[[T], object]] = {}
        self._watching = False

    def add(self, node: DOMNode, callback: Callable[[T], object]) -> None:
        """Subscribe ``node``; it gets the latest reading at once when there is one."""
        self._callbacks[node] = callback
        if not self._watching:
            self._watching = True
            self.app.screen_change_signal.subscribe(self.app, self._screen_changed)
        if self.latest is not None:
            node.call_next(callback, self.latest)

    def publish(self, value: T) -> None:
        """A new reading: kept as :attr:`latest` and handed to the subscribers in front."""
        self.latest = value
        self.deliver(value)

    def deliver(self, value: T, screen: Screen[object] | None = None) -> None:
        """Hand ``value`` to the subscribers on ``screen`` (default: the screen in front)."""
        try:
            front = screen if screen is not None else self.app.screen
        except ScreenStackError:  # no screen yet, or the app is closing
            return
        for node, callback in list(self._callbacks.items()):
            try:
                where = node.screen if node.is_attached else None
            except NoScreen:  # detached in the meantime
                where = None
            if where is None:
                del self._callbacks[node]
            elif where is front:
                node.call_next(callback, value)

    def _screen_changed(self, screen: Screen[object]) -> None:
        if self.latest is not None:
            self.deliver(self.latest, screen)
