"""The app's stylesheet keeps what it parsed (tui/textual_patches/css_reparse.py): opening every screen parses
each CSS source once, where Textual's own reparse parsed them all again for each new screen; a new theme
still restyles the app; and a broken source leaves the rules as they were."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.css import stylesheet as textual_stylesheet
from textual.css.stylesheet import StylesheetParseError
from textual.widgets import Static
from vault_helpers import wait_for

from actions.lab import Host, Lab
from tests.conftest import make_settings
from tui.app import FactoryApp
from tui.textual_patches.css_reparse import KeptStylesheet, install

# Nothing listens on port 1: the screens need no host to answer.
DOWN = Lab(name="sandbox", kind="sandbox", inventory=Path("/inv/sandbox.yml"),  # type: ignore[arg-type]
           hosts=[Host(name=f"pi{i}", address=f"127.0.1.{i}", port=1) for i in (1, 2, 3)])


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How many times each CSS source was tokenized and parsed (Textual's parse, as the stylesheet calls it),
    by what keys its cache: the source, its scope, whether it is default CSS, its tie-breaker."""
    counts: Counter[str] = Counter()
    real = textual_stylesheet.parse

    def counting(scope, css, read_from, *args, **kwargs):  # type: ignore[no-untyped-def]
        counts[repr((scope, read_from, kwargs.get("is_default_rules"), kwargs.get("tie_breaker")))] += 1
        return real(scope, css, read_from, *args, **kwargs)

    monkeypatch.setattr(textual_stylesheet, "parse", counting)
    yield counts


async def test_every_screen_opened_parses_each_source_once(tmp_path: Path, parsed: Counter[str]) -> None:
    app = FactoryApp(settings=make_settings(tmp_path / "state"), lab=DOWN)
    assert isinstance(app.stylesheet, KeptStylesheet)
    async with app.run_test(size=(120, 40)) as pilot:
        for key, screen in (("2", "RunbooksScreen"), ("3", "RunsScreen"), ("4", "PlansScreen"),
                            ("5", "VaultScreen"), ("1", "HealthScreen")):
            await pilot.press(key)
            await wait_for(pilot, lambda s=screen: type(app.screen).__name__ == s, what=screen)
        sources = len(app.stylesheet.source)
        assert sources > 20 and parsed  # every screen's CSS was read: the counts below are not vacuous
        assert {name: n for name, n in parsed.items() if n > 1} == {}
        # Every source is still in the cache: a reparse now tokenizes nothing.
        parsed.clear()
        app.stylesheet.reparse()
        assert parsed == Counter()


class _Themed(App[None]):
    CSS = "Static { background: $primary; }"

    def __init__(self) -> None:
        super().__init__()
        install(self)

    def compose(self) -> ComposeResult:
        yield Static("themed")


async def test_a_new_theme_still_restyles_the_app() -> None:
    app = _Themed()
    async with app.run_test() as pilot:
        static = app.query_one(Static)
        first = static.styles.background
        assert first == Color.parse(app.current_theme.primary)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        assert static.styles.background == Color.parse(app.current_theme.primary) != first


async def test_a_broken_source_leaves_the_rules_as_they_were() -> None:
    app = _Themed()
    async with app.run_test():
        before = list(app.stylesheet.rules)
        app.stylesheet.add_source("Static { color: not-a-colour; }", read_from=("broken.tcss", ""))
        with pytest.raises(StylesheetParseError):
            app.stylesheet.reparse()
        assert app.stylesheet.rules == before
