"""The key bar at the bottom of every screen: it shows the keys that apply where the focus is, one per
action, dim when disabled, the palette's key on the right; a click on a key presses it, a click on a
disabled one does nothing. Clicked with the mouse on the app's own screens as well as on a small app."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static
from vault_helpers import wait_for

from actions.lab import Host, Lab
from tests.conftest import make_settings
from tui.app import FactoryApp
from tui.widgets.key_bar import KeyBar

# Nothing listens on port 1: the health screen needs no host to answer for these tests.
DOWN = Lab(name="sandbox", kind="sandbox", inventory=Path("/inv/sandbox.yml"),  # type: ignore[arg-type]
           hosts=[Host(name=f"pi{i}", address=f"127.0.1.{i}", port=1) for i in (1, 2, 3)])


class Keys(App[None]):
    """Three shown actions (one of them bound twice), a hidden one and a disabled one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "count('a')", "Add", tooltip="Add one"),
        Binding("plus", "count('a')", "Add again"),  # the same action: shown once, under its first key
        Binding("h", "count('h')", "Hidden", show=False),
        Binding("d", "count('d')", "Disabled"),
        Binding("z", "count('z')", "Zap"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield KeyBar()

    def action_count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if parameters == ("d",) else True  # None: shown, dim, and does nothing


def column_of(bar: KeyBar, key: str) -> int:
    """The first column where ``key`` is drawn."""
    for start, _end, shown in bar.spans:
        if shown.key == key:
            return start
    raise AssertionError(f"{key} is not on the bar: {[k.key for k in bar.keys]}")


def at(bar: KeyBar, key: str, dx: int = 1) -> tuple[int, int]:
    """The offset ``dx`` cells into where ``key`` is drawn, for a click or a hover."""
    return (column_of(bar, key) + dx, 0)


async def test_the_bar_shows_one_key_per_action_and_the_palette_apart() -> None:
    app = Keys()
    async with app.run_test(size=(80, 5)) as pilot:
        bar = app.query_one(KeyBar)
        await pilot.pause()
        assert [(k.key, k.description, k.enabled) for k in bar.keys] == [
            ("a", "Add", True), ("d", "Disabled", False), ("z", "Zap", True), ("ctrl+p", "palette", True),
        ]
        line = bar.render().plain
        assert line.startswith(" a Add  d Disabled  z Zap ")
        assert line.rstrip().endswith("^p palette") and len(line) == 80
        assert "Hidden" not in line and "Add again" not in line


async def test_a_click_on_a_key_presses_it_and_a_disabled_key_does_nothing() -> None:
    app = Keys()
    async with app.run_test(size=(80, 5)) as pilot:
        bar = app.query_one(KeyBar)
        await pilot.pause()
        for key, dx in (("z", 1), ("a", 3), ("d", 1)):  # "a" on its description
            await pilot.click(KeyBar, offset=at(bar, key, dx))
        await pilot.pause()
        assert app.counts == {"z": 1, "a": 1}


async def test_the_key_under_the_pointer_gives_its_tooltip() -> None:
    app = Keys()
    async with app.run_test(size=(80, 5)) as pilot:
        bar = app.query_one(KeyBar)
        await pilot.pause()
        tips = {}
        for key in ("a", "z"):
            await pilot.hover(KeyBar, offset=at(bar, key))
            tips[key] = bar.tooltip
        assert tips == {"a": "Add one", "z": "Zap"}  # z has no tooltip of its own: its description


async def test_a_cut_key_is_not_clickable_past_the_cut() -> None:
    """On a narrow terminal the keys that do not fit are cut before the palette's key; a click there
    opens the palette, not a key hidden under it."""
    app = Keys()
    async with app.run_test(size=(30, 5)) as pilot:
        bar = app.query_one(KeyBar)
        await pilot.pause()
        palette = column_of(bar, "ctrl+p")
        assert palette < 30
        assert bar.key_at(palette) is not None and bar.key_at(palette).key == "ctrl+p"  # type: ignore[union-attr]
        assert all(end <= palette for start, end, key in bar.spans if key.key != "ctrl+p")


async def test_clicking_the_apps_keys_switches_screens(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "state", operator="ana", health={"interval": 0.5, "connect_timeout": 1})
    app = FactoryApp(settings=settings, lab=DOWN)
    async with app.run_test(size=(140, 30)) as pilot:
        bar = app.screen.query_one(KeyBar)
        await wait_for(pilot, lambda: any(k.key == "5" for k in bar.keys), what="the screen keys")
        await pilot.click(bar, offset=at(bar, "5"))
        await wait_for(pilot, lambda: app.current_mode == "vault", what="the Vault screen")
        bar = app.screen.query_one(KeyBar)
        await wait_for(pilot, lambda: any(k.key == "1" for k in bar.keys), what="the Vault screen's keys")
        await pilot.click(bar, offset=at(bar, "1"))
        await wait_for(pilot, lambda: app.current_mode == "health", what="the health screen")
