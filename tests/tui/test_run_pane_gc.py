"""The full collection a run's end allows comes after the frame that shows how the run ended."""

from __future__ import annotations

import gc
import time

from textual.app import App, ComposeResult

from actions.ansible import RunStatus
from tui import gc_pauses
from tui.widgets.run_pane import RunPane


class _Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[tuple[float, str]] = []  # (when, the pane's header as drawn)

    def compose(self) -> ComposeResult:
        yield RunPane("stream", ["pi1", "pi2"], mode="check")

    def _display(self, screen, renderable):  # type: ignore[no-untyped-def]
        if renderable is not None:
            self.frames.append((time.perf_counter(), str(self.query_one("#run-header").render())))
        return super()._display(screen, renderable)


async def test_the_collection_waits_for_the_frame_that_shows_the_outcome() -> None:
    full: list[float] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(time.perf_counter())

    app = _Host()
    gc.callbacks.append(seen)
    try:
        async with app.run_test() as pilot:
            gc_pauses.settle()
            pane = app.query_one(RunPane)
            assert pane._holds_gc  # a live run's pane holds full collections off from its mount
            await pilot.pause(0.2)
            full.clear()
            # As the run's thread ends it: its last output, then the outcome, both as messages.
            pane.post_message(RunPane.Batch(["PLAY RECAP"], []))
            pane.post_message(RunPane.Finished(error="the run could not start", status=RunStatus.ERROR))
            for _ in range(30):
                await pilot.pause(0.1)
                if full:
                    break
            assert full, "the run's end allowed no full collection"
            shown = [at for at, header in app.frames if "error" in header]
            assert shown, "no frame showed the run's outcome"
            assert shown[0] < full[0], "the collection ran before the outcome was drawn"
    finally:
        gc.callbacks.remove(seen)
        gc_pauses.restore()
