"""Guards on the fenced Textual internals (tui/textual_patches): the installed Textual is the minor version
they were checked against and still has every private name they use; and the two patches whose removal
no other test notices are each shown to matter."""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import tomllib
from pathlib import Path

from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from tui.textual_patches import PRIVATE_NAMES, TEXTUAL_MINOR
from tui.textual_patches.quiet_size import set_virtual_size
from tui.widgets.output_view import OutputView

ROOT = Path(__file__).resolve().parent.parent.parent


def test_installed_textual_is_the_checked_minor_and_pyproject_pins_it() -> None:
    installed = tuple(int(part) for part in importlib.metadata.version("textual").split(".")[:2])
    assert installed == TEXTUAL_MINOR, "re-check every name in tui/textual_patches, then move the pin"
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (spec,) = [d for d in deps if re.match(r"textual\b", d)]
    major, minor = TEXTUAL_MINOR
    assert spec.replace(" ", "") == f"textual>={major}.{minor},<{major}.{minor + 1}"


async def test_every_private_name_is_still_there() -> None:
    class _Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Widget()

    async with _Host().run_test() as pilot:
        instances = {
            "textual.screen.Screen": pilot.app.screen,
            "textual.widget.Widget": pilot.app.query_one(Widget),
            "textual.strip.Strip": Strip([]),
            "textual._compositor.Compositor": pilot.app.screen._compositor,
            "textual.css.stylesheet.Stylesheet": pilot.app.stylesheet,
        }
        missing = []
        for holder, names in PRIVATE_NAMES.items():
            module, _, cls_name = holder.rpartition(".")
            cls = getattr(importlib.import_module(module), cls_name)
            instance = instances[holder]
            assert isinstance(instance, cls)
            missing += [f"{holder}.{name}" for name in names if not hasattr(instance, name)]
        assert missing == []


class _Scroller(ScrollView):
    """The smallest scrolling widget: blank rows over a virtual size."""

    def render_line(self, y: int) -> Strip:
        return Strip.blank(self.size.width)


async def test_quiet_growth_moves_the_scrollbar_thumb() -> None:
    """Guards ``_scroll_update`` in set_virtual_size: without it, content that grows without a layout
    leaves the scrollbar sized for the old content."""

    class _Host(App[None]):
        def compose(self) -> ComposeResult:
            yield _Scroller()

    async with _Host().run_test(size=(40, 10)) as pilot:
        view = pilot.app.query_one(_Scroller)
        Widget.virtual_size.__set__(view, Size(30, 50))
        await pilot.pause()
        assert view.show_vertical_scrollbar and view.vertical_scrollbar.window_virtual_size == 50
        assert set_virtual_size(view, Size(30, 80)), "growing past a shown scrollbar needs no layout"
        assert view.vertical_scrollbar.window_virtual_size == 80
        view.scroll_to(y=70, animate=False, immediate=True)
        assert set_virtual_size(view, Size(30, 60))
        assert view.scroll_y == view.max_scroll_y == 50, "the offset is kept within the smaller content"


async def test_rows_the_view_drew_itself_are_never_served_stale_by_textual() -> None:
    """OutputView draws bare rows past Textual's row cache and leaves that cache alone: each change of what
    a row shows (new lines, a scroll back, a filter) refreshes the view, which marks the cached rows stale.
    Textual's path, asked after each change, must show what the view shows."""

    class _Host(App[None]):
        def compose(self) -> ComposeResult:
            yield OutputView(id="log")

    async with _Host().run_test(size=(40, 8)) as pilot:
        view = pilot.app.query_one(OutputView)
        view.append([f"line {n}" for n in range(8)])
        await pilot.pause()
        region = view.region.reset_offset

        def agree() -> list[str]:
            shown = [strip.text for strip in view.render_lines(region)]
            assert view._bare()
            assert [strip.text for strip in Widget.render_lines(view, region)] == shown
            return shown

        agree()  # Textual's path has now cached every row on screen
        view.append([f"line {n}" for n in range(8, 16)])
        await pilot.pause()
        assert agree()[-1].startswith("line 15")
        view.action_page_up()
        await pilot.pause()
        assert agree()[-1].startswith("line 7")
        view.set_filter("line 1")
        await pilot.pause()
        assert agree()[0].startswith("line 1")
