"""How a checklist step's state and time read on screen, shared by the checklist and step screens."""

from __future__ import annotations

from actions.durations import duration_text
from actions.runbooks.engine import StepState, StepView

STATE_STYLE = {
    StepState.PENDING: "", StepState.RUNNING: "bold yellow", StepState.DONE: "green",
    StepState.FAILED: "bold red", StepState.SKIPPED: "dim", StepState.INTERRUPTED: "bold magenta",
}


def elapsed_text(view: StepView) -> str:
    """How long the step took (or has taken so far), e.g. ``3m07s`` or ``1h02m``; empty before it started."""
    return duration_text(view.elapsed, missing="")


def state_text(view: StepView) -> str:
    """The state with its time, as a checklist row reads it: ``running 42s``, ``done 3m07s``, ``pending``."""
    return f"{view.state.value} {elapsed_text(view)}".strip()
