"""A long list of plan lines that renders only what is on screen (Textual's line API).

A 2,000-resource plan is 2,000 lines; a widget per line (or an option list that measures every prompt)
takes seconds to fill. Here a line is turned into a strip when it scrolls into view, so showing a new
plan costs the same whatever its size. Lines with a key can carry the cursor; the others are headings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


class PlanLineList(ScrollView, can_focus=True):
    """``keys[i]`` names line i (None: a heading the cursor skips); ``line(i)`` builds its text on demand."""

    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="plan_list.up", tooltip="Previous change"),
        Binding("down,j", "move(1)", "Down", show=False, id="plan_list.down", tooltip="Next change"),
        Binding("pageup", "move(-20)", show=False, id="plan_list.pageup", tooltip="20 changes up"),
        Binding("pagedown", "move(20)", show=False, id="plan_list.pagedown", tooltip="20 changes down"),
        Binding("home", "edge(0)", show=False, id="plan_list.home", tooltip="First change"),
        Binding("end", "edge(1)", show=False, id="plan_list.end", tooltip="Last change"),
        Binding("enter", "choose", "Detail", show=False, id="plan_list.choose", tooltip="Open the change"),
    ]
    COMPONENT_CLASSES = {"plan-line-list--cursor"}
    DEFAULT_CSS = """
    PlanLineList { height: 1fr; }
    PlanLineList > .plan-line-list--cursor { background: $accent 40%; }
    PlanLineList:focus > .plan-line-list--cursor { background: $accent 70%; }
    """

    cursor: reactive[int | None] = reactive(None, always_update=True)

    @dataclass
    class Chosen(Message):
        """Enter on a keyed line."""

        list: PlanLineList
        key: str

        @property
        def control(self) -> PlanLineList:
            """The list that sent the message."""
            return self.list

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys: list[str | None] = []
        self._line: Callable[[int], Text] = lambda index: Text("")
        self._strips: dict[int, Strip] = {}

    def set_lines(self, keys: list[str | None], line: Callable[[int], Text], width: int = 0) -> None:
        """Show ``len(keys)`` lines; ``width`` is the widest line's width when the caller knows it."""
        self.keys = keys
        self._line = line
        self._strips.clear()
        self.virtual_size = Size(width or max((len(k or "") for k in keys), default=0) + 12, len(keys))
        self.scroll_to(0, 0, animate=False)
        self.cursor = next((i for i, key in enumerate(keys) if key is not None), None)
        self.refresh()

    def text_of(self, index: int) -> Text:
        """Line ``index`` as drawn."""
        return self._line(index)

    @property
    def current_key(self) -> str | None:
        """The key of the line under the cursor, or ``None``."""
        if self.cursor is None or not 0 <= self.cursor < len(self.keys):
            return None
        return self.keys[self.cursor]

    def select_key(self, key: str) -> bool:
        """Put the cursor on the line with ``key``; ``False`` when there is none."""
        if key in self.keys:
            self.cursor = self.keys.index(key)
            return True
        return False

    def watch_cursor(self, old: int | None, new: int | None) -> None:
        for index in (old, new):
            if index is not None:
                self._strips.pop(index, None)
        if new is not None:
            self.scroll_to_region_line(new)
        self.refresh()

    def scroll_to_region_line(self, index: int) -> None:
        """Scroll just enough to bring line ``index`` into view."""
        top = int(self.scroll_offset.y)
        height = max(1, self.scrollable_content_region.height)
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)

    def action_move(self, step: int) -> None:
        """Move the cursor ``step`` keyed lines up or down."""
        keyed = [i for i, key in enumerate(self.keys) if key is not None]
        if not keyed:
            return
        if self.cursor is None:
            self.cursor = keyed[0]
            return
        # The next keyed line `step` keyed lines away, clamped to the ends.
        position = min(range(len(keyed)), key=lambda i: abs(keyed[i] - (self.cursor or 0)))
        self.cursor = keyed[max(0, min(len(keyed) - 1, position + step))]

    def action_edge(self, end: int) -> None:
        """Move the cursor to the first (``end=0``) or last keyed line."""
        keyed = [i for i, key in enumerate(self.keys) if key is not None]
        if keyed:
            self.cursor = keyed[-1] if end else keyed[0]

    def action_choose(self) -> None:
        """Choose the line under the cursor (its detail opens)."""
        key = self.current_key
        if key is not None:
            self.post_message(self.Chosen(self, key))

    def on_resize(self) -> None:
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        index = y + int(self.scroll_offset.y)
        width = self.scrollable_content_region.width
        if index >= len(self.keys):
            return Strip.blank(width, self.rich_style)
        strip = self._strips.get(index)
        if strip is None:
            text, key = self._line(index), self.keys[index]
            segments = list(text.render(self.app.console))
            strip = Strip(segments, text.cell_len)
            if index == self.cursor and key is not None:
                cursor: Style = self.get_component_rich_style("plan-line-list--cursor")
                strip = strip.extend_cell_length(max(width, strip.cell_length)).apply_style(cursor)
            if len(self._strips) > 400:
                self._strips.clear()
            self._strips[index] = strip
        scroll_x = int(self.scroll_offset.x)
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)
