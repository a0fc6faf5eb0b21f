"""Gather a run's lines and events on its thread and hand them to the UI in batches.

Posting one message per line would flood Textual's queue at thousands of events a second; a batch every
``interval`` seconds (and at the end) keeps the UI responsive while the output still looks live. Each
batch scrolls the pane, and a scroll redraws every row on screen: 12 batches a second read as a smooth
tail and leave the CPU to the playbook's own workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from actions.ansible import RunEvent


class Batcher:
    """Collects on the run's thread; ``post(lines, events)`` is called with each batch (thread-safe sink)."""

    def __init__(self, post: Callable[[list[str], list[RunEvent]], object], interval: float = 0.08) -> None:
        self._post = post
        self.interval = interval
        self.lines: list[str] = []
        self.events: list[RunEvent] = []
        self._last = time.monotonic()

    def line(self, text: str) -> None:
        """Keep an output line; hand the batch over when it is due."""
        self.lines.append(text)
        self.tick()

    def event(self, event: RunEvent) -> None:
        """Keep an event; hand the batch over when it is due."""
        self.events.append(event)
        self.tick()

    def tick(self) -> None:
        """Hand over what waits if a batch is due (the run calls this while it is quiet, too): never more
        than one batch per ``interval``, and the last lines before a quiet spell still go out."""
        if (self.lines or self.events) and time.monotonic() - self._last >= self.interval:
            self.flush()

    def flush(self) -> None:
        """Hand over what is kept now."""
        self._last = time.monotonic()
        if self.lines or self.events:
            lines, events = self.lines, self.events
            self.lines, self.events = [], []
            self._post(lines, events)
