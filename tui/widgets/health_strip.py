"""A compact health strip (one short line per Pi) that runs, plans and checklist screens show."""

from __future__ import annotations

from textual.widgets import Static


class HealthStrip(Static):
    """Placeholder until the health poller feeds it."""

    def on_mount(self) -> None:
        self.update("health: not polled yet")
