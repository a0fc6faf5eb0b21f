"""The run pane's task table grows without laying the screen out, unless a scrollbar comes."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from tui.widgets.task_table import TaskTable


class _Host(App[None]):
    CSS = "TaskTable { height: 8; } Static { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield TaskTable(id="tasks")
        yield Static("below")


async def test_rows_redraw_the_table_and_a_scrollbar_lays_the_screen_out() -> None:
    app = _Host()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(TaskTable)
        table.add_column("task", key="task")
        table.add_column("pi1", key="pi1")
        await pilot.pause()
        layouts: list[bool] = []
        screen = app.screen
        original = screen._refresh_layout

        def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            layouts.append(True)
            return original(*args, **kwargs)

        screen._refresh_layout = counted  # type: ignore[method-assign]
        region = table.region
        for n in range(3):
            table.add_row(f"Task {n}", "ok", key=f"t{n}")
        await pilot.pause()
        assert layouts == []
        assert table.virtual_size.height == 4  # the header and three rows
        assert "Task 2" in "".join(strip.text for strip in table.render_lines(table.region.reset_offset))
        assert not table.show_vertical_scrollbar

        for n in range(3, 20):
            table.add_row(f"Task {n}", "ok", key=f"t{n}")
        await pilot.pause()
        assert layouts  # the rows overflow: the scrollbar needs its column
        assert table.show_vertical_scrollbar
        assert table.virtual_size.height == 21
        table.move_cursor(row=19)
        await pilot.pause()
        assert table.scroll_y == table.max_scroll_y > 0
        assert table.region == region
