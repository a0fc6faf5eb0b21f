"""A screen compositor that draws only the widgets an update can show.

Textual's compositor, for every partial update, renders each widget whose *clip* (its container's area)
touches the updated area, and then throws away whatever lies outside it or behind a widget in front.
While a run streams, each frame updates the output view alone, yet the task table beside it, the
pane's header, the lab bar, the health strip, the footer and the six containers behind the view were all
rendered too: half of the compositor's time per frame.

:class:`CullingCompositor` skips a widget when what it shows (its region within its clip) does not touch
the updated area, or when that part of it lies inside a single widget already drawn in front of it. The
compositor keeps the frontmost piece of each cell, so neither kind of widget can change a cell on
screen: the output is the same, the work is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip


class CullingCompositor(Compositor):
    """Textual's compositor, without rendering widgets that a partial update cannot show."""

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        if crop is None:
            yield from super()._get_renders(crop)
            return
        drawn: list[Region] = []
        # visible_widgets runs from the frontmost widget to the backmost one.
        for widget, (region, clip) in self.visible_widgets.items():
            shown = region.intersection(clip)
            needed = shown.intersection(crop)
            if not (needed.width and needed.height):
                continue
            if any(front.contains_region(needed) for front in drawn):
                continue
            drawn.append(shown)
            yield region, clip, widget.render_lines(
                Region(shown.x - region.x, shown.y - region.y, shown.width, shown.height)
            )


def install(screen: Screen[Any]) -> None:
    """Give ``screen`` the culling compositor (before its first layout)."""
    screen._compositor = CullingCompositor()
