"""The keys of the screen in focus, on one line at the bottom: each key and what it does, dim when it does
nothing here, the command palette's key on the right. A click on a key presses it.

Textual's own footer is a widget per key and composes them again whenever the bindings may have changed:
three times before the first frame, a tenth of a second in all. This bar is one widget, drawn only when
the keys it shows have changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True)
class BarKey:
    """One key as the bar shows it."""

    key: str  # what a click presses
    display: str
    description: str
    enabled: bool
    tooltip: str


def bar_keys(screen: Screen[Any]) -> tuple[tuple[BarKey, ...], BarKey | None]:
    """The keys of ``screen`` that its bindings ask to show, one per action (the first key bound to it),
    and the command palette's key apart, or ``None`` when the app has no palette."""
    app = screen.app
    keys: list[BarKey] = []
    actions: set[str] = set()
    palette: BarKey | None = None
    for key, active in screen.active_bindings.items():
        binding = active.binding
        shown = BarKey(binding.key, app.get_key_display(binding), binding.description, active.enabled,
                       active.tooltip or binding.tooltip or binding.description)
        if key == app.COMMAND_PALETTE_BINDING:
            palette = shown if app.ENABLE_COMMAND_PALETTE else None
        elif binding.show and binding.action not in actions:
            actions.add(binding.action)
            keys.append(shown)
    return tuple(keys), palette


class KeyBar(Widget):
    """The bottom line of every screen: its keys, clickable."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-bar--key", "key-bar--description", "key-bar--hover"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .key-bar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        .key-bar--description { color: $footer-description-foreground; background: $footer-description-background; }
        .key-bar--hover { background: $block-hover-background; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: tuple[BarKey, ...] = ()
        self._palette: BarKey | None = None
        # Where each key was drawn, in cells: (first column, column after it, key), for clicks and the hover.
        self._spans: list[tuple[int, int, BarKey]] = []
        self._hover: str | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[Any]) -> None:
        shown = bar_keys(screen)
        if shown != (self._keys, self._palette):
            self._keys, self._palette = shown
            self.refresh()

    @property
    def keys(self) -> tuple[BarKey, ...]:
        """The keys on the bar now, left to right, the palette's last."""
        return self._keys + ((self._palette,) if self._palette else ())

    @property
    def spans(self) -> tuple[tuple[int, int, BarKey], ...]:
        """Where each key was last drawn: (first column, the column after it, the key)."""
        return tuple(self._spans)

    def key_at(self, x: int) -> BarKey | None:
        """The key drawn at column ``x`` (as last drawn), or ``None``."""
        for start, end, key in self._spans:
            if start <= x < end:
                return key
        return None

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        text_style = self.get_component_rich_style("key-bar--description")
        hover = self.get_component_rich_style("key-bar--hover", partial=True)
        spans: list[tuple[int, int, BarKey]] = []

        def drawn(key: BarKey, offset: int) -> Text:
            lit = hover if key.key == self._hover else Style()
            dim = Style(dim=not key.enabled)
            text = Text.assemble((f" {key.display} ", key_style + lit + dim))
            if key.description:
                text.append(f"{key.description} ", text_style + lit + dim)
            spans.append((offset, offset + text.cell_len, key))
            return text

        line = Text(no_wrap=True, overflow="crop", end="")
        for key in self._keys:
            line.append_text(drawn(key, line.cell_len))
        if self._palette is not None:
            # The palette's key keeps its place at the right edge, as in Textual's own footer; the keys
            # that do not fit before it are cut.
            palette = drawn(self._palette, 0)
            room = max(self.size.width - palette.cell_len - 1, 0)
            line.truncate(room, pad=True)
            spans = [(start, min(end, room), key) for start, end, key in spans[:-1] if start < room]
            spans.append((room + 1, room + 1 + palette.cell_len, self._palette))
            line.append("\u258f", Style(dim=True))
            line.append_text(palette)
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        key = self.key_at(event.x)
        if key is None:
            return
        event.stop()
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self.key_at(event.x)
        self._set_hover(key)

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, key: BarKey | None) -> None:
        name = key.key if key else None
        if name != self._hover:
            self._hover = name
            self.tooltip = key.tooltip if key and key.tooltip else None
            self.refresh()
