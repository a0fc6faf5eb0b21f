"""The frame every top-level screen shares: lab bar on top, the screen's body, key bar below."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen

from tui.app_handle import app_of
from tui.textual_patches.compositor import install as install_compositor
from tui.widgets.key_bar import KeyBar
from tui.widgets.lab_bar import LabBar


def lab_bar(screen: Screen[Any], section: str) -> LabBar:
    """The lab bar for ``screen``, naming ``section`` and the app's lab (every screen shows one, so the
    sandbox and the real lab never look alike, in a dialog-like screen either)."""
    app = app_of(screen)
    return LabBar(section, app.lab, app.inventory)


class FactoryScreen(Screen[None]):
    """Subclasses set ``SECTION`` and implement :meth:`compose_body`."""

    SECTION = ""

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        install_compositor(self)

    def compose(self) -> ComposeResult:
        yield lab_bar(self, self.SECTION)
        yield from self.compose_body()
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield from ()
