"""A scrolling view of a run's output that renders only the lines on screen.

A playbook can print tens of thousands of lines; parsing and rendering each as it arrives (as ``RichLog``
does) costs the UI thread time in proportion to the output. This view keeps the raw lines (with Ansible's
ANSI colours) and turns a line into a styled strip only when it is shown, so a frame costs the same at
10 lines or 100,000. A filter keeps the indices of matching lines; nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.filter import LineFilter
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from actions.ansible.events import strip_ansi
from tui.render.ansi_line import line_segments
from tui.render.strip_store import StripStore
from tui.textual_patches.quiet_size import set_virtual_size


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
        # Two caches, because the view scrolls on each batch of a run, which makes every row on screen new
        # to Textual: a parsed line is kept by its number, and a finished row (styled, filtered, cropped)
        # by what it shows, so a line that only moved up is not drawn again. A few screens' worth each:
        # every Strip carries its own caches, and a bigger store only lengthens the collector's pauses.
        self._cache = StripStore(256)
        self._rows = StripStore(256)
        # The style and the app's line filters the cached rows were drawn with.
        self._drawn_with: tuple[Style, tuple[int, ...]] | None = None
        self._geometry: tuple[int, int, int] | None = None

    @property
    def shown_count(self) -> int:
        """Lines shown: those matching the filter, or every line."""
        return len(self._shown) if self._needle else len(self.lines)

    def append(self, lines: list[str]) -> None:
        """Add output lines, indexed for the filter; the view follows them when follow is on."""
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
        elif self.show_vertical_scrollbar:
            self.vertical_scrollbar.position = self.scroll_y  # it was left alone while following
        self.post_message(self.FollowChanged(value))

    def on_resize(self, event: events.Resize) -> None:
        """A following view stays on its last line when it changes size (the recap shows up under it when
        the run ends): the end it scrolled to is no longer the end."""
        if self.follow:
            self.scroll_end(animate=False, immediate=False, x_axis=False)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # As ScrollView's, except that the zero-wide scrollbar of a following view is left alone: a refresh
        # of a widget that is not on screen makes Textual rebuild the screen's whole map, every frame.
        if self.show_vertical_scrollbar and not self.follow:
            self.vertical_scrollbar.position = new_value
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)

    # Scrolling back stops following, so new lines do not pull the view away; End resumes it.
    def action_scroll_up(self) -> None:
        """Scroll up a line and stop following."""
        self.follow = False
        super().action_scroll_up()

    def action_page_up(self) -> None:
        """Scroll up a page and stop following."""
        self.follow = False
        super().action_page_up()

    def action_scroll_home(self) -> None:
        """Go to the first line and stop following."""
        self.follow = False
        super().action_scroll_home()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        """The wheel scrolled back: stop following (Textual's own handler then scrolls)."""
        self.follow = False

    def action_scroll_end(self) -> None:
        """Go to the last line and follow from there."""
        self.follow = True
        super().action_scroll_end()

    def set_filter(self, needle: str) -> None:
        """Show only the lines that contain ``needle`` (any case); an empty needle shows them all."""
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
        if set_virtual_size(self, size):
            if self.follow:
                # Now, not after the next frame: a deferred scroll would cost a second frame per batch.
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        elif self.follow:
            self.scroll_end(animate=False, immediate=False, x_axis=False)

    def render_lines(self, crop: Region) -> list[Strip]:
        # Only rows whose content is not cached are drawn; after a scroll those are the new lines at the
        # bottom. They go through Textual's styling (one contiguous crop, as Textual would render them)
        # unless the view draws nothing but text (see _bare).
        # Cached rows are only good for the style and the app's line filters they were drawn with (a
        # theme, a class or an inline style changes them; Textual caches the widget's style until then).
        drawn_with = (self.visual_style.rich_style, tuple(map(id, self.get_line_filters())))
        if drawn_with != self._drawn_with:
            self._drawn_with = drawn_with
            self._cache.clear()
            self._rows.clear()
        scroll_x, scroll_y = self.scroll_offset
        shown, width = self.shown_count, self.size.width
        keys = []
        for y in crop.line_range:
            index = scroll_y + y
            line_no = -1 if index >= shown else self._shown[index] if self._needle else index
            keys.append((line_no, index, scroll_x, width, crop.x, crop.width))
        found = {i: strip for i, key in enumerate(keys) if (strip := self._rows.get(key)) is not None}
        missing = [i for i in range(len(keys)) if i not in found]
        if not missing:
            return [found[i] for i in range(len(keys))]
        self._geometry = (scroll_x, scroll_y, width)  # for render_line: each lookup walks the screen map
        try:
            if self._bare():
                # Nothing around the text to draw: a row is the line with the app's filters, as Textual
                # would make it, without its per-row look-ups of every border, outline and tint (two thirds
                # of a new row's cost).
                background = self.background_colors[1]
                filters = self.get_line_filters()
                whole = not (scroll_x or crop.x or crop.width != width)
                for i in missing:
                    line_no = keys[i][0]
                    row = self._whole_row(line_no, width, filters, background) if whole and line_no >= 0 else None
                    if row is None:
                        row = self.render_line(crop.y + i)
                        for line_filter in filters:
                            row = row.apply_filter(line_filter, background)
                        if crop.x or crop.width != width:
                            row = row.crop(crop.x, crop.right)
                    found[i] = self._rows[keys[i]] = row
                # Textual's own row cache (used by the other path) needs no reset here: every change of
                # what a row shows (a scroll, new lines, a filter, a style) refreshes the view, which
                # marks those rows stale there too (tests/tui/test_textual_patches.py shows it).
            else:
                first, last = missing[0], missing[-1]
                fresh = super().render_lines(Region(crop.x, crop.y + first, crop.width, last - first + 1))
                for i, strip in enumerate(fresh, start=first):
                    found[i] = self._rows[keys[i]] = strip
        finally:
            self._geometry = None
        return [found[i] for i in range(len(keys))]

    def _bare(self) -> bool:
        """Whether the view draws its text and nothing else: no border, padding or scrollbar (its region is
        its content), no outline, tint, hatch or fading. Otherwise rows go through Textual's styling."""
        styles = self.styles
        return (
            self.region.size == self.size
            and not any(edge for edge, _ in styles.outline)
            and not styles.tint.a
            and styles.text_opacity == 1.0
            and self.opacity == 1.0
            and (not styles.has_rule("hatch") or styles.hatch == "none")
        )

    def _row_style(self) -> Style:
        """The view's own style, which every row is drawn under: the one the cached rows were drawn with,
        looked up once per draw by :meth:`render_lines`."""
        return self._drawn_with[0] if self._drawn_with else self.visual_style.rich_style

    def _whole_row(self, line_no: int, width: int, filters: Sequence[LineFilter], background: Color) -> Strip | None:
        """Line ``line_no`` as a finished row of a bare view scrolled fully left, built in one pass: the
        view's style under Ansible's, padded to ``width``, through the app's filters. ``None`` when the line
        needs Textual's measuring (wider than the view, or text other than printable ASCII).

        The same segments as :meth:`render_line` then the filters (tests/tui/test_output_view.py compares
        them), without the four intermediate strips that path makes: each comes with seven caches of its
        own, and a streaming run draws every line it prints once."""
        style = self._row_style()
        row: list[Segment] = []
        cells = 0
        for segment in line_segments(self.lines[line_no], self.app.console):
            text = segment.text
            if not (text.isascii() and text.isprintable()):
                return None
            cells += len(text)
            row.append(Segment(text, style + segment.style if segment.style else style))
        if cells > width:
            return None
        if cells < width:
            row.append(Segment(" " * (width - cells), style))
        for line_filter in filters:
            row = line_filter.apply(row, background)
        return Strip(row, width)

    def render_line(self, y: int) -> Strip:
        # Textual calls this from render_lines above, which has looked the geometry up for the whole crop.
        scroll_x, scroll_y, width = self._geometry or (*self.scroll_offset, self.size.width)
        index = scroll_y + y
        style = self._row_style()
        if index >= self.shown_count:
            return Strip.blank(width, style)
        line_no = self._shown[index] if self._needle else index
        strip = self._cache.get(line_no)
        if strip is None:
            # Under the widget's own colours, as Log and RichLog draw a line: text that Ansible left
            # uncoloured takes the view's foreground and background, not the terminal's defaults (and every
            # segment has a style, which Textual's NO_COLOR filter needs).
            segments = line_segments(self.lines[line_no], self.app.console) or [Segment("")]
            strip = Strip(segments).apply_style(style)
            self._cache[line_no] = strip
        # No per-cell mouse offsets (Strip.apply_offsets): the view has no text selection or clicks to
        # place, and they were a quarter of a new row's cost.
        return strip.crop_extend(scroll_x, scroll_x + width, style)
