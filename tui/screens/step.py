"""One step of a checklist: its guidebook page beside its action, its live verify checks and the health
strip. The operator runs the action (through the same gates as everywhere), verifies, marks it done, or
skips it with a reason; each move is journalled."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Markdown, RichLog, Static

from actions.config import REPO_ROOT
from actions.runbooks.engine import StepState
from actions.runbooks.model import Step
from actions.runbooks.predicates import Check
from actions.runbooks.walk import Settled, StepRefused, Walk
from tui import step_keeper
from tui.app_handle import app_of
from tui.modals.reason import ReasonModal
from tui.render.step_format import STATE_STYLE
from tui.screens.base import lab_bar
from tui.step_actions import describe_action, run_action
from tui.textual_patches.compositor import install as install_compositor
from tui.widgets.health_strip import HealthStrip
from tui.widgets.key_bar import KeyBar


def checks_text(checks: list[Check]) -> Text:
    """The live checks as lines, each with its mark, coloured by its result."""
    text = Text()
    for check in checks:
        style = {True: "green", False: "bold red", None: "yellow"}[check.ok]
        text.append(f"{check.mark:>4} ", style=style)
        text.append(f"{check.name}", style="bold")
        text.append(f"  {check.reading}\n")
    return text


class StepScreen(Screen[None]):
    """One step of a checklist: its doc page, state and lock, action and live checks."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="step.back", tooltip="Back to the checklist (a run goes on, in sight)"),
        Binding("x", "run", "Run action", id="step.run", tooltip="Run the step's action (gated)"),
        Binding("v", "verify", "Verify", id="step.verify", tooltip="Evaluate the verify checks now"),
        Binding("d", "done", "Mark done", id="step.done", tooltip="Record the step done (verify must pass)"),
        Binding("s", "skip", "Skip…", id="step.skip", tooltip="Skip this step, with a reason"),
        Binding("o", "reopen", "Reopen", id="step.reopen", tooltip="Set the step back to pending"),
    ]
    DEFAULT_CSS = """
    StepScreen #step-body { height: 1fr; }
    StepScreen #step-doc { width: 1fr; border-right: solid $primary-darken-2; }
    StepScreen #step-side { width: 1fr; padding: 0 1; }
    StepScreen #step-state { text-style: bold; height: auto; }
    StepScreen #step-lock { color: $warning; height: auto; }
    StepScreen #step-action { height: auto; margin-bottom: 1; }
    StepScreen #step-buttons { height: auto; }
    StepScreen #step-buttons Button { margin-right: 1; min-width: 10; }
    StepScreen #step-checks { height: auto; border: round $primary-darken-2; padding: 0 1; }
    StepScreen #step-log { height: 1fr; min-height: 6; border: round $primary-darken-2; }
    StepScreen #step-run { height: 2fr; display: none; }
    """

    def __init__(self, walk: Walk, step_id: str) -> None:
        super().__init__()
        install_compositor(self)  # a step's playbook streams into a run pane here too
        self.walk = walk
        self.step: Step = walk.book.step(step_id)
        self.checks: list[Check] = []
        self.busy = False

    def compose(self) -> ComposeResult:
        yield lab_bar(self, f"runbooks › {self.walk.book.name} › {self.step.id}")
        with Horizontal(id="step-body"):
            with VerticalScroll(id="step-doc"):
                yield Markdown(self._doc(), id="step-markdown")
            with Vertical(id="step-side"):
                yield Static("", id="step-state")
                yield Static("", id="step-lock")
                yield Static(describe_action(self.step.action), id="step-action")
                with Horizontal(id="step-buttons"):
                    yield Button("Run action", id="run", variant="primary")
                    yield Button("Verify", id="verify")
                    yield Button("Done", id="done", variant="success")
                    yield Button("Skip…", id="skip")
                yield Static("", id="step-checks")
                yield RichLog(id="step-log", markup=False, wrap=True, max_lines=5000)
                yield Vertical(id="step-run")
        yield HealthStrip()
        yield KeyBar()

    def _doc(self) -> str:
        try:
            return (REPO_ROOT / self.step.doc).read_text()
        except OSError as exc:
            return f"# {self.step.title}\n\nThe page `{self.step.doc}` cannot be read: {exc.strerror}"

    def on_mount(self) -> None:
        self.refresh_state()
        self.set_interval(app_of(self).settings.health.interval, self.refresh_state)

    def log_line(self, text: str | Text) -> None:
        """Add a line to the step's log."""
        self.query_one(RichLog).write(text)

    @work(group="step-state", exclusive=True, exit_on_error=False)
    async def refresh_state(self) -> None:
        """Evaluate the step's state, lock and checks again, and repaint them."""
        views, _ = await self.walk.views_with_locks()
        view = views[self.step.id]
        self.checks = await self.walk.check(self.step.id)
        state = Text(f"{view.state.mark} {view.state.value}", style=STATE_STYLE[view.state])
        if view.note:
            state.append(f" — {view.note}", style="")
        self.query_one("#step-state", Static).update(state)
        self.query_one("#step-lock", Static).update(f"locked: {view.locked}" if view.locked else "")
        latest = getattr(getattr(self.app, "health", None), "latest", None)
        self.query_one("#step-action", Static).update(describe_action(self.step.action, latest))
        title = Text("verify (live)\n", style="bold")
        body = checks_text(self.checks) if self.step.verify else Text("nothing to verify: mark it done yourself")
        self.query_one("#step-checks", Static).update(title + body)
        read_only = self.walk.read_only
        self.query_one("#run", Button).disabled = bool(view.locked) or self.busy or read_only
        for bid in ("#done", "#skip"):
            self.query_one(bid, Button).disabled = self.busy or read_only

    @on(Button.Pressed)
    async def _pressed(self, event: Button.Pressed) -> None:
        # A button stands for its key: the same action, the same checks.
        if event.button.id in ("run", "verify", "done", "skip"):
            await self.run_action(event.button.id)

    @work(group="step-action", exclusive=True, exit_on_error=False)
    async def action_run(self) -> None:
        """Run the step's action (gated) with the step marked running, then journal how it ended."""
        if self.busy:
            return
        self.busy = True
        try:
            await self.walk.start(self.step.id)
        except StepRefused as exc:
            self.busy = False
            self.notify(str(exc), title="Locked", severity="warning")
            return
        self.refresh_state()
        # Leaving the screen must not take the run's pane, or the worker that journals the outcome, with it.
        step_keeper.keep(self.app, self, step_keeper.screen_name(self.walk.session.id, self.step.id))
        try:
            try:
                outcome = await run_action(self, self.step)
            except Exception as exc:
                outcome = None
                self.log_line(Text(f"error: {exc}", style="bold red"))
                self.walk.fail(self.step.id, f"action error: {exc}")
            finally:
                self.busy = False
            if outcome is not None:
                self._show(await self.walk.settle(self.step.id, outcome))
            self.refresh_state()
        finally:
            step_keeper.release(self.app, self)

    def action_back(self) -> None:
        """Back to the checklist. A run keeps going in sight: on the checklist's row, on the runs screen,
        in the quit dialog; opening the step again shows its pane."""
        if self.busy:
            self.notify(f"{self.step.id} is still running: its row on the checklist shows it, and opening the "
                        "step again shows its output.", title="Still running")
        self.app.pop_screen()

    def on_screen_suspend(self) -> None:
        if not self.busy:
            step_keeper.release(self.app, self)  # an action that ended while this screen was in sight

    def _show(self, settled: Settled) -> None:
        """Log how the action's end was journalled: a failure's reason, or the verify checks that decided."""
        if settled.checks is not None:
            self.log_line(Text(f"verify: {settled.state.value}", style=STATE_STYLE[settled.state]))
            self.log_line(checks_text(settled.checks))
        elif settled.state is StepState.FAILED:
            self.log_line(Text(f"failed: {settled.note}", style="bold red"))

    def action_verify(self) -> None:
        """Evaluate the verify checks now."""
        self.refresh_state()

    @work(group="step-action", exclusive=True, exit_on_error=False)
    async def action_done(self) -> None:
        """Record the step done; refused while a verify check fails."""
        try:
            state, checks = await self.walk.finish(self.step.id, operator_says_done=not self.step.verify)
        except StepRefused as exc:
            self.notify(str(exc), severity="warning")
            return
        if state is StepState.DONE:
            self.notify(f"{self.step.id} done")
        else:
            failing = "; ".join(f"{c.name}: {c.reading}" for c in checks if c.ok is not True)
            self.notify(f"not done: {failing}", title="Verify failed", severity="error", timeout=10)
        self.refresh_state()

    @work(group="step-action", exclusive=True, exit_on_error=False)
    async def action_skip(self) -> None:
        """Skip the step, with a reason asked for first."""
        reason = await self.app.push_screen_wait(ReasonModal(f"Skip {self.step.id}: why?"))
        if not reason:
            return
        try:
            self.walk.skip(self.step.id, reason)
        except StepRefused as exc:
            self.notify(str(exc), severity="warning")
            return
        self.notify(f"{self.step.id} skipped: {reason}")
        self.refresh_state()

    def action_reopen(self) -> None:
        """Set the step back to pending."""
        try:
            self.walk.reopen(self.step.id)
        except StepRefused as exc:
            self.notify(str(exc), severity="warning")
            return
        self.refresh_state()
