"""Give a scrolling widget a new virtual size without laying the whole screen out again.

Textual declares ``virtual_size`` with ``layout=True``: each change lays out and repaints the whole
screen (30-40 ms on a small machine, several times that while a playbook keeps its cores busy). A run's
output view grows with every batch and its task table with every task, yet where they sit is fixed by
the CSS: only a scrollbar that comes or goes changes the layout, and only then is one asked for.
"""

from __future__ import annotations

from typing import cast

from textual.geometry import Size
from textual.widget import Widget


def set_virtual_size(widget: Widget, size: Size) -> bool:
    """Set ``widget``'s virtual size; ``True`` if that needed no layout (only the widget is redrawn)."""
    before = widget.virtual_size
    if size == before:
        return True
    view = widget.scrollable_content_region.size
    if (before.height > view.height) == (size.height > view.height) and (
        before.width > view.width
    ) == (size.width > view.width):
        widget.set_reactive(Widget.virtual_size, size)
        widget._scroll_update(size)  # the scrollbars' thumbs, and the scroll offsets kept in range
        widget.refresh()
        return True
    Widget.virtual_size.__set__(widget, size)
    return False


class QuietVirtualSize:
    """Mixin for a widget whose growing content redraws the widget alone: assigning ``virtual_size`` (as
    DataTable does for each row it adds) goes through :func:`set_virtual_size`. Put it first among the
    bases (it is no Widget itself, so the widget's own class attributes are left as they are)."""

    @property
    def virtual_size(self) -> Size:
        """The size of the scrollable content, as Textual keeps it."""
        widget = cast(Widget, self)
        return Widget.virtual_size.__get__(widget, type(widget))

    @virtual_size.setter
    def virtual_size(self, size: Size) -> None:
        set_virtual_size(cast(Widget, self), size)
