"""The culling compositor: the same cells as Textual's own, without drawing widgets an update cannot show."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from tui.screens.base import FactoryScreen
from tui.screens.step import StepScreen
from tui.textual_patches.compositor import CullingCompositor, install
from tui.widgets.output_view import OutputView


class _Screen(Screen[None]):
    DEFAULT_CSS = """
    #side { width: 30; background: $primary-darken-2; }
    #log { width: 1fr; }
    #body { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        install(self)

    def compose(self) -> ComposeResult:
        yield Static("top line, across the screen", id="top")
        with Horizontal(id="body"):
            yield Static("\n".join(f"task {n}" for n in range(30)), id="side")
            yield OutputView(id="log")
        yield Footer()


class _Host(App[None]):
    def on_mount(self) -> None:
        self.push_screen(_Screen())


def _count_renders(widgets: list[Widget]) -> Counter[str]:
    calls: Counter[str] = Counter()
    for widget in widgets:
        original = widget.render_lines

        def counted(crop, widget=widget, original=original):  # type: ignore[no-untyped-def]
            calls[str(widget.id or type(widget).__name__)] += 1
            return original(crop)

        widget.render_lines = counted  # type: ignore[method-assign]
    return calls


async def test_a_partial_update_shows_the_same_cells_and_draws_only_the_widget_in_it() -> None:
    app = _Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen._compositor, CullingCompositor)
        log = screen.query_one(OutputView)
        log.append([f"\x1b[0;32mok: [pi{n % 3 + 1}] => (item={n})\x1b[0m" for n in range(200)])
        await pilot.pause()
        stock = Compositor()
        stock.reflow(screen, screen.size)
        for compositor in (screen._compositor, stock):
            compositor.render_partial_update()  # what the layout left to draw
        calls = _count_renders([*screen.query("*"), screen])

        # The log scrolled: the update covers the log's region only, on both compositors.
        log.append(["\x1b[0;31mfatal: [pi2]: FAILED!\x1b[0m"])
        log._exchange_repaint_regions()  # what Textual would mark dirty: the log, on both
        for compositor in (screen._compositor, stock):
            compositor._dirty_regions.add(log.region)
        culled = screen._compositor.render_partial_update()
        drawn_by_culling = +calls
        calls.clear()
        full = stock.render_partial_update()
        assert culled is not None and full is not None
        assert culled.render_segments(app.console) == full.render_segments(app.console)
        assert "FAILED!" in culled.render_segments(app.console)
        # Textual's compositor drew the side panel, the top line, the footer and the containers too.
        assert drawn_by_culling == Counter({"log": 1})
        assert {"side", "top", "body"} <= set(calls)


async def test_a_full_update_shows_the_same_screen() -> None:
    app = _Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        screen.query_one(OutputView).append([f"line {n}" for n in range(50)])
        await pilot.pause()
        stock = Compositor()
        stock.reflow(screen, screen.size)
        ours = screen._compositor.render_full_update()
        theirs = stock.render_full_update()
        assert ours.render_segments(app.console) == theirs.render_segments(app.console)


def test_screens_that_stream_runs_get_the_culling_compositor() -> None:
    assert isinstance(FactoryScreen()._compositor, CullingCompositor)
    walk = SimpleNamespace(book=SimpleNamespace(step=lambda step_id: None))
    assert isinstance(StepScreen(walk, "restore")._compositor, CullingCompositor)  # type: ignore[arg-type]
