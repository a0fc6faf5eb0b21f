"""A run pane announces a new tab title when its text changes, not on every tick of its clock."""

from __future__ import annotations

import re

from textual import on
from textual.app import App, ComposeResult

from actions.ansible import RunStatus
from tui.widgets.run_pane import RunPane


class _Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.titles: list[str] = []

    def compose(self) -> ComposeResult:
        yield RunPane("stream", ["pi1", "pi2"], mode="check")

    @on(RunPane.StatusChanged)
    def _seen(self, message: RunPane.StatusChanged) -> None:
        self.titles.append(message.pane.title_text())


async def test_title_is_announced_once_per_change_while_the_clock_ticks() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        pane = app.query_one(RunPane)
        await pilot.pause(2.3)  # two ticks of the pane's one-second clock
        header = str(pane.query_one("#run-header").render())
        counted = re.search(r"running  (\d+)s  ·", header)
        assert counted and int(counted[1]) >= 1, header  # the header did count the seconds
        assert app.titles == ["stream · running"]

        pane.finish(None, error="the run could not start", status=RunStatus.ERROR)
        await pilot.pause(1.2)
        assert len(app.titles) == 2
        assert re.fullmatch(r"stream · error · \d+s", app.titles[1])


async def test_a_cancel_under_way_is_coloured_in_the_header() -> None:
    from textual.widgets import Static

    from tui.widgets.run_pane import STATUS_STYLE

    assert set(STATUS_STYLE) == set(RunStatus), "a status without a colour would show in the default style"
    app = _Host()
    async with app.run_test() as pilot:
        pane = app.query_one(RunPane)
        pane.action_cancel_run()  # what `x` does
        await pilot.pause()
        assert pane.cancel.is_set() and pane.status is RunStatus.CANCELLING
        header = app.query_one("#run-header", Static).render()
        spans = [s for s in header.spans if str(header)[s.start:s.end] == "cancelling"]  # type: ignore[attr-defined]
        assert spans and spans[0].style.foreground.ansi == 5  # type: ignore[union-attr]  # ANSI 5: magenta
