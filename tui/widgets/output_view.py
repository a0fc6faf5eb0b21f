"""A scrolling view of a run's output that renders only the lines on screen.

A playbook can print tens of thousands of lines; parsing and rendering each as it arrives (as ``RichLog``
does) costs the UI thread time in proportion to the output. This view keeps the raw lines (with Ansible's
ANSI colours) and turns a line into a styled strip only when it is shown, so a frame costs the same at
10 lines or 100,000. A filter keeps the indices of matching lines; nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from actions.ansible.events import strip_ansi
from tui.widgets.ansi_line import line_segments


class OutputView(ScrollView, can_focus=True):
    """Append-only coloured lines with an optional substring filter and follow-the-end."""

    # While following, the scrollbar only says "at the end", and redrawing it on every batch costs as
    # much as the text: it shows once the operator scrolls back.
    DEFAULT_CSS = """
    OutputView { background: $surface; }
    OutputView.-following { scrollbar-size-vertical: 0; }
    """

    follow: reactive[bool] = reactive(True, init=False)

    @dataclass
    class FollowChanged(Message):
        """The operator scrolled back (follow off) or to the end (follow on)."""

        follow: bool

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="-following")
        self.lines: list[str] = []
        self._needle = ""
        self._shown: list[int] = []
        self._widest = 0
        # Two caches, because a frame re-renders every visible line (the view scrolls on each batch):
        # a parsed line is kept by its number, and the finished, cropped line by where it is shown. A few
        # screens' worth each: every Strip carries its own caches, and a bigger store only lengthens the
        # garbage collector's pauses.
        self._cache: LRUCache[int, Strip] = LRUCache(256)
        self._shown_cache: LRUCache[tuple[int, int, int, int], Strip] = LRUCache(256)
        self._style: Style | None = None

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

    def watch_follow(self, value: bool) -> None:
        self.set_class(value, "-following")
        if value:
            self.scroll_end(animate=False, immediate=False, x_axis=False)
        self.post_message(self.FollowChanged(value))

    # Scrolling back stops following, so new lines do not pull the view away; End resumes it.
    def action_scroll_up(self) -> None:
        self.follow = False
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self.follow = False
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self.follow = False
        super().action_scroll_home()

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.follow = False
        super()._on_mouse_scroll_up(event)

    def action_scroll_end(self) -> None:
        self.follow = True
        super().action_scroll_end()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = None
        self._cache.clear()
        self._shown_cache.clear()

    def set_filter(self, needle: str) -> None:
        self._shown_cache.clear()
        self._needle = needle.lower()
        self._shown = (
            [i for i, line in enumerate(self.lines) if self._needle in strip_ansi(line).lower()]
            if self._needle
            else []
        )
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        size = Size(self._widest, self.shown_count)
        if size == self.virtual_size:
            return
        before = self.virtual_size
        view = self.scrollable_content_region.size
        if (before.height > view.height) == (size.height > view.height) and (
            before.width > view.width
        ) == (size.width > view.width):
            # The scrollbars neither appear nor go: no layout of the screen is needed, only this view.
            # (Assigning virtual_size would lay the whole screen out again, on every batch of a run.)
            self.set_reactive(OutputView.virtual_size, size)
            self._scroll_update(size)
            if self.follow:
                # Now, not after the next frame: a deferred scroll would cost a second frame per batch.
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
            self.refresh()
        else:
            self.virtual_size = size
            if self.follow:
                self.scroll_end(animate=False, immediate=False, x_axis=False)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        # The widget's style walks its ancestors (~1 ms): once per style change, not once per line.
        if self._style is None:
            self._style = self.rich_style
        style = self._style
        if index >= self.shown_count:
            return Strip.blank(width, style)
        line_no = self._shown[index] if self._needle else index
        key = (line_no, index, scroll_x, width)
        shown = self._shown_cache.get(key)
        if shown is not None:
            return shown
        strip = self._cache.get(line_no)
        if strip is None:
            strip = Strip(line_segments(self.lines[line_no], self.app.console) or [Segment("")])
            self._cache[line_no] = strip
        shown = strip.crop_extend(scroll_x, scroll_x + width, style).apply_offsets(scroll_x, index)
        self._shown_cache[key] = shown
        return shown
