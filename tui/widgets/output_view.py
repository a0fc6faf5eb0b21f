"""A scrolling view of a run's output that renders only the lines on screen.

A playbook can print tens of thousands of lines; parsing and rendering each as it arrives (as ``RichLog``
does) costs the UI thread time in proportion to the output. This view keeps the raw lines (with Ansible's
ANSI colours) and turns a line into a styled strip only when it is shown, so a frame costs the same at
10 lines or 100,000. A filter keeps the indices of matching lines; nothing is dropped.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from actions.ansible.events import strip_ansi


class OutputView(ScrollView, can_focus=True):
    """Append-only coloured lines with an optional substring filter and follow-the-end."""

    DEFAULT_CSS = "OutputView { background: $surface; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []
        self.follow = True
        self._needle = ""
        self._shown: list[int] = []
        self._widest = 0
        self._cache: LRUCache[int, Strip] = LRUCache(2048)

    @property
    def shown_count(self) -> int:
        return len(self._shown) if self._needle else len(self.lines)

    def append(self, lines: list[str]) -> None:
        start = len(self.lines)
        self.lines.extend(lines)
        for offset, line in enumerate(lines):
            plain = strip_ansi(line) if "\x1b" in line else line
            if len(plain) > self._widest:
                self._widest = len(plain)
            if self._needle and self._needle in plain.lower():
                self._shown.append(start + offset)
        self._resize()

    def set_filter(self, needle: str) -> None:
        self._needle = needle.lower()
        self._shown = (
            [i for i, line in enumerate(self.lines) if self._needle in strip_ansi(line).lower()]
            if self._needle
            else []
        )
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        self.virtual_size = Size(self._widest, self.shown_count)
        if self.follow:
            self.scroll_end(animate=False, immediate=False, x_axis=False)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if index >= self.shown_count:
            return Strip.blank(width, style)
        line_no = self._shown[index] if self._needle else index
        strip = self._cache.get(line_no)
        if strip is None:
            text = Text.from_ansi(self.lines[line_no], no_wrap=True, end="")
            segments = [seg for seg in text.render(self.app.console) if seg.text != "\n"]
            strip = Strip(segments or [Segment("")])
            self._cache[line_no] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_offsets(scroll_x, index)
