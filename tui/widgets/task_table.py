"""The run pane's task list: a DataTable whose new rows redraw the table, not the whole screen."""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget

from tui.widgets.one_style_table import OneStyleTable
from tui.widgets.quiet_size import set_virtual_size


class TaskTable(OneStyleTable):
    """One row per task. DataTable grows its virtual size for each row it adds, which Textual answers
    with a layout of the whole screen; here only a scrollbar that comes or goes asks for one."""

    @property
    def virtual_size(self) -> Size:
        return Widget.virtual_size.__get__(self, type(self))

    @virtual_size.setter
    def virtual_size(self, size: Size) -> None:
        set_virtual_size(self, size)
