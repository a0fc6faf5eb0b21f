"""A DataTable that works out its own style once per draw instead of once per line."""

from __future__ import annotations

from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable


class OneStyleTable(DataTable[object]):
    """DataTable asks for its ``rich_style`` for every line it draws, and each answer walks the styles
    of every ancestor up to the screen: about a third of a redraw (and a new task row, or a mark, redraws
    the whole table). Within one draw the answer cannot change, so it is worked out once."""

    _drawing_style: Style | None = None

    @property
    def rich_style(self) -> Style:
        """The style of the whole draw while one is under way, so every row looks up the same one."""
        if self._drawing_style is not None:
            return self._drawing_style
        return super().rich_style

    def render_lines(self, crop: Region) -> list[Strip]:
        self._drawing_style = super().rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._drawing_style = None
