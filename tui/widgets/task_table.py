"""The run pane's task list: a DataTable whose new rows redraw the table, not the whole screen."""

from __future__ import annotations

from tui.textual_patches.one_style_table import OneStyleTable
from tui.textual_patches.quiet_size import QuietVirtualSize


class TaskTable(QuietVirtualSize, OneStyleTable):
    """One row per task. DataTable grows its virtual size for each row it adds, which Textual answers
    with a layout of the whole screen; here only a scrollbar that comes or goes asks for one."""
