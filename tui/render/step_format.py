"""How a checklist step's state and time read on screen, shared by the checklist and step screens."""

from __future__ import annotations

from actions.runbooks.engine import StepState, StepView

STATE_STYLE = {
    StepState.PENDING: "", StepState.RUNNING: "bold yellow", StepState.DONE: "green",
    StepState.FAILED: "bold red", StepState.SKIPPED: "dim", StepState.INTERRUPTED: "bold magenta",
}


def elapsed_text(view: StepView) -> str:
    """How long the step took (or has taken so far), e.g. ``3:07`` or ``1:02:03``; empty before it started."""
    if view.elapsed is None:
        return ""
    minutes, seconds = divmod(int(view.elapsed), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def state_text(view: StepView) -> str:
    """The state with its time, as a checklist row reads it: ``running 0:42``, ``done 3:07``, ``pending``."""
    return f"{view.state.value} {elapsed_text(view)}".strip()
