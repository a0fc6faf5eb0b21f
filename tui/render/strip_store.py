"""A bounded store of Textual strips that frees what it drops at once, not at the next full collection.

Textual's ``Strip`` keeps small caches of its derived strips, and some operations hand back the strip
itself and cache it there too (``divide`` with a single cut, which the compositor does to every line it
draws): such a strip refers to itself, so reference counting never frees it and it waits for the garbage
collector. The run pane makes a few hundred of these a second while a playbook streams; they outlive the
young generations (they sit in caches for a second or two), and the full collection that finally freed
them stopped the UI for up to 2 s. Emptying a dropped strip's caches breaks those loops.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from textual.strip import Strip

from tui.textual_patches.strip_cache import release


class StripStore:
    """Least-recently-used strips by key; a strip pushed out (or cleared) is released."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, Strip] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable) -> Strip | None:
        """The strip kept for ``key`` (now the most recently used), or ``None``."""
        strip = self._items.get(key)
        if strip is not None:
            self._items.move_to_end(key)
        return strip

    def __getitem__(self, key: Hashable) -> Strip:
        strip = self._items[key]
        self._items.move_to_end(key)
        return strip

    def __setitem__(self, key: Hashable, strip: Strip) -> None:
        old = self._items.pop(key, None)
        if old is not None and old is not strip:
            release(old)
        self._items[key] = strip
        while len(self._items) > self.maxsize:
            release(self._items.popitem(last=False)[1])

    def clear(self) -> None:
        """Drop every strip, releasing each."""
        for strip in self._items.values():
            release(strip)
        self._items.clear()
