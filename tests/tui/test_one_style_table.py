"""OneStyleTable draws exactly what DataTable draws, working its style out once per draw."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.dom import DOMNode
from textual.widgets import DataTable

from tui.textual_patches.one_style_table import OneStyleTable


class _Side(App[None]):
    CSS = "DataTable { height: 8; width: 1fr; } #plain { background: $panel; } #ours { background: $panel; }"

    def compose(self) -> ComposeResult:
        yield DataTable(id="plain", cursor_type="row", zebra_stripes=True)
        yield OneStyleTable(id="ours", cursor_type="row", zebra_stripes=True)


def _fill(table: DataTable[object]) -> None:
    table.add_column("task", key="task")
    table.add_column("pi1", key="pi1")
    for n in range(4):
        table.add_row(f"Task {n}", Text("ok", style="green"), key=f"t{n}")
    table.update_cell("t2", "pi1", Text("FAILED", style="bold red"))
    table.move_cursor(row=2)


async def test_same_strips_as_datatable_with_one_style_lookup_per_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _Side()
    async with app.run_test(size=(50, 20)) as pilot:
        plain, ours = app.query_one("#plain", DataTable), app.query_one(OneStyleTable)
        _fill(plain)
        _fill(ours)
        app.set_focus(None)  # a focused table draws its cursor and header in other colours
        await pilot.pause()
        assert plain.size == ours.size

        lookups: list[DOMNode] = []
        original = DOMNode.rich_style

        def counted(node: DOMNode):  # type: ignore[no-untyped-def]
            lookups.append(node)
            return original.fget(node)  # type: ignore[attr-defined]

        monkeypatch.setattr(DOMNode, "rich_style", property(counted))
        region = ours.region.reset_offset
        plain.refresh()  # every line to be drawn again, not taken from the last frame
        ours.refresh()
        mine = ours.render_lines(region)
        ours_lookups = sum(1 for node in lookups if node is ours)
        lookups.clear()
        theirs = plain.render_lines(region)
        plain_lookups = sum(1 for node in lookups if node is plain)

        assert [list(strip) for strip in mine] == [list(strip) for strip in theirs]
        assert "FAILED" in "".join(strip.text for strip in mine)
        assert ours_lookups == 1
        assert plain_lookups >= region.height  # DataTable's own: one per line
        assert ours.rich_style == plain.rich_style  # outside a draw it answers as DataTable does
