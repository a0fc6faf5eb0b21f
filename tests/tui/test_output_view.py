"""The run output view with Pilot: follows the end without a scrollbar, scrolling back stops following."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.widgets.output_view import OutputView


class _Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.follow_changes: list[bool] = []

    def compose(self) -> ComposeResult:
        yield OutputView(id="log")

    def on_output_view_follow_changed(self, message: OutputView.FollowChanged) -> None:
        self.follow_changes.append(message.follow)


def _lines(start: int, count: int) -> list[str]:
    return [f"\x1b[0;32mok: [pi1] => (item={n})\x1b[0m" for n in range(start, start + count)]


def _visible(view: OutputView) -> str:
    return "\n".join(strip.text for strip in view.render_lines(view.region.reset_offset))


async def test_follows_the_end_then_stays_put_once_scrolled_back() -> None:
    app = _Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(OutputView)
        view.focus()
        view.append(_lines(0, 200))
        await pilot.pause()
        # Following: the last line is on screen and no scrollbar takes a column.
        assert view.scroll_y == view.max_scroll_y > 0
        assert "item=199)" in _visible(view)
        assert view.scrollbar_size_vertical == 0

        await pilot.press("pageup")
        assert view.follow is False
        await pilot.pause()
        assert app.follow_changes[-1] is False
        assert view.scrollbar_size_vertical > 0
        held = view.scroll_y
        assert held < view.max_scroll_y

        view.append(_lines(200, 50))
        await pilot.pause()
        assert view.scroll_y == held, "new lines must not pull the view away while the operator reads"
        assert "item=249)" not in _visible(view)

        await pilot.press("end")
        await pilot.pause()
        assert view.follow is True and app.follow_changes[-1] is True
        view.append(_lines(250, 5))
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y
        assert "item=254)" in _visible(view)


async def test_filter_keeps_every_line_and_shows_the_matches() -> None:
    app = _Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(OutputView)
        view.append(_lines(0, 100))
        view.set_filter("item=4")
        await pilot.pause()
        assert view.shown_count == 11  # 4 and 40-49
        assert len(view.lines) == 100
        view.set_filter("")
        await pilot.pause()
        assert view.shown_count == 100


async def test_rows_on_screen_are_the_latest_lines_batch_after_batch() -> None:
    """Rows are cached by the line they show: after each batch scrolls, every row is still the right line."""
    app = _Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(OutputView)
        sent: list[str] = []
        for batch in range(12):
            lines = _lines(batch * 7, 7)
            sent += lines
            view.append(lines)
            await pilot.pause()
            rows = _visible(view).splitlines()
            shown = [row.rstrip() for row in rows if row.strip()]
            assert len(shown) == min(len(sent), len(rows))
            assert shown == [f"ok: [pi1] => (item={n})" for n in range(len(sent))][-len(shown):]

        view.set_filter("item=7")  # 7 and 70-79: fewer lines than rows, then blank rows
        await pilot.pause()
        rows = [row.rstrip() for row in _visible(view).splitlines()]
        assert rows[:11] == [f"ok: [pi1] => (item={n})" for n in (7, *range(70, 80))]
        assert not any(rows[11:])
        view.set_filter("")
        await pilot.pause()
        assert _visible(view).splitlines()[-1].rstrip() == "ok: [pi1] => (item=83)"


async def test_a_style_change_redraws_the_cached_rows() -> None:
    from rich.color import Color

    app = _Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(OutputView)
        view.append(_lines(0, 50))
        await pilot.pause()
        _visible(view)  # rows cached with the default background
        view.styles.background = "#ff0000"
        await pilot.pause()
        strips = view.render_lines(view.region.reset_offset)
        backgrounds = {seg.style.bgcolor for strip in strips for seg in strip if seg.style and seg.style.bgcolor}
        assert Color.parse("#ff0000") in backgrounds


async def test_scrollbar_shows_where_the_view_is_once_following_stops() -> None:
    """While following, the (zero-wide) scrollbar is not moved; scrolling back puts it where the view is."""
    app = _Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(OutputView)
        view.focus()
        view.append(_lines(0, 300))
        await pilot.pause()
        await pilot.press("pageup")
        await pilot.pause()
        assert view.follow is False
        assert view.vertical_scrollbar.position == view.scroll_y < view.max_scroll_y
        await pilot.press("up")
        await pilot.pause()
        assert view.vertical_scrollbar.position == view.scroll_y


class _PaneHost(App[None]):
    def compose(self) -> ComposeResult:
        from tui.widgets.run_pane import RunPane

        yield RunPane("stream", ["pi1"], mode="check", replay=True)


async def test_run_pane_header_shows_the_view_follow_state() -> None:
    from textual.widgets import Static

    from tui.widgets.run_pane import RunPane

    app = _PaneHost()
    async with app.run_test(size=(100, 20)) as pilot:
        pane = app.query_one(RunPane)
        header = pane.query_one("#run-header", Static)
        pane.output.append(_lines(0, 100))
        pane.output.focus()
        await pilot.press("f")
        await pilot.pause()
        assert pane.follow is False and "follow OFF" in str(header.render())
        await pilot.press("end")  # scrolling to the end resumes following, and the header says so
        await pilot.pause()
        assert pane.follow is True and "follow on" in str(header.render())


def _textual_rows(view: OutputView, crop) -> list[list[object]]:  # type: ignore[no-untyped-def]
    """The rows as Textual's own styling draws them (the path the view skips when nothing is around)."""
    from textual.widget import Widget

    view._styles_cache.clear()
    return [list(strip) for strip in Widget.render_lines(view, crop)]


async def test_bare_rows_are_the_rows_textual_draws(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """New rows skip Textual's styling when the view draws nothing but text: the same segments, with the
    app's filters, a partial crop, a wide line and CJK text; with padding and a border, Textual's path."""
    from textual.geometry import Region
    from textual.widget import Widget

    monkeypatch.setenv("NO_COLOR", "1")  # one more line filter (Monochrome) on top of the ANSI colour one
    lines = [
        *_lines(0, 30),
        "\x1b[1;31mfatal: [pi2]: FAILED! => {\"msg\": \"boom\"}\x1b[0m",
        "\x1b[0;33mchanged: [pi3] => 日本語のテキスト\x1b[0m " + "x" * 150,
        "plain line\tafter a tab",
    ]
    app = _Host()
    async with app.run_test(size=(90, 20)) as pilot:
        view = app.query_one(OutputView)
        assert len(app.get_line_filters()) == 2
        view.append(lines)
        await pilot.pause()
        whole = view.region.reset_offset
        for crop in (whole, Region(7, 3, whole.width - 20, 9)):
            assert view._bare()
            view._rows.clear()
            ours = [list(strip) for strip in view.render_lines(crop)]
            assert ours == _textual_rows(view, crop)
        calls: list[Region] = []
        monkeypatch.setattr(Widget, "render_lines", lambda self, crop: calls.append(crop) or [])
        view._rows.clear()
        view.render_lines(whole)
        assert calls == [], "a bare view's new rows went through Textual's styling"
        monkeypatch.undo()

        view.styles.padding = (0, 2)
        view.styles.border = ("round", "red")
        await pilot.pause()
        assert not view._bare()
        crop = view.region.reset_offset
        assert [list(strip) for strip in view.render_lines(crop)] == _textual_rows(view, crop)


async def test_uncoloured_text_takes_the_view_colours_not_the_terminal_defaults() -> None:
    app = _Host()
    async with app.run_test(size=(60, 10)) as pilot:
        view = app.query_one(OutputView)
        view.append(["plain text", "\x1b[0;32mgreen\x1b[0m then plain"])
        await pilot.pause()
        base = view.visual_style.rich_style
        rows = view.render_lines(view.region.reset_offset)
        text = [seg for strip in rows[:2] for seg in strip if seg.text.strip()]
        assert {seg.style.bgcolor for seg in text} == {base.bgcolor}
        plain = [seg for seg in text if "plain" in seg.text]
        assert plain and all(seg.style.color == base.color for seg in plain)
        green = next(seg for seg in text if seg.text == "green")
        assert green.style.color != base.color  # Ansible's colour still wins over the view's


async def test_a_following_view_that_shrinks_stays_on_its_last_line() -> None:
    """As when a run ends and its recap takes rows from the log: the end moves, and the view goes with it."""
    app = _Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(OutputView)
        view.append(_lines(0, 200))
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y > 0
        view.styles.height = 10
        for _ in range(10):
            await pilot.pause()
        assert view.size.height == 10
        assert view.scroll_y == view.max_scroll_y, (view.scroll_y, view.max_scroll_y)
        assert "item=199)" in _visible(view)


async def test_plain_rows_are_built_in_one_pass(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A streaming run draws every line once: a whole-width row of plain ASCII text is made without the
    chain of intermediate strips (styled, padded, filtered), a wide or CJK line still goes through it, and
    both come out as Textual would draw them."""
    from textual.strip import Strip

    lines = [*_lines(0, 5), "\x1b[0;33mchanged: [pi3] => 日本語\x1b[0m", "y" * 120]
    app = _Host()
    async with app.run_test(size=(80, 12)) as pilot:
        view = app.query_one(OutputView)
        view.follow = False
        view.append(lines)
        await pilot.pause()
        styled: list[int] = []
        apply_style = Strip.apply_style
        monkeypatch.setattr(Strip, "apply_style", lambda self, style: styled.append(1) or apply_style(self, style))
        view._rows.clear()
        view._cache.clear()
        whole = view.region.reset_offset
        ours = [list(strip) for strip in view.render_lines(whole)]
        assert len(styled) == 2, "only the CJK line and the line wider than the view take the long way"
        monkeypatch.undo()
        assert ours == _textual_rows(view, whole)
