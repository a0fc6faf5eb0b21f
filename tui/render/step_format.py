"""How a checklist step's state and time read on screen, shared by the checklist and step screens."""

from __future__ import annotations

from actions.runbooks.engine import StepState, StepView

STATE_STYLE = {
    StepState.PENDING: "", StepState.RUNNING: "bold yellow", StepState.DONE: "green",
    StepState.FAILED: "bold red", StepState.SKIPPED: "dim", StepState.INTERRUPTED: "bold magenta",
}


def elapsed_text(view: StepView) -> str:
    """How long the step took (or has taken so far), e.g. ``3m07s``; empty before it started."""
    if view.elapsed is None:
        return ""
    minutes, seconds = divmod(int(view.elapsed), 60)
    return f"{minutes}m{seconds:02d}s"
