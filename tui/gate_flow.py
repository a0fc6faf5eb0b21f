"""Ask the operator for a permit through the right modal, then let ``actions.gates`` decide.

Screens call :func:`ask_permit` from a worker; it returns a permit, ``"check"`` when the operator chose a
dry run instead, or ``None`` when they cancelled (a notification says so).
"""

from __future__ import annotations

from typing import Any, Literal

from textual.app import App

from actions.gates import GateRefused, GateRequest, Level, Permit, issue
from tui.modals.confirm import ConfirmModal, TypedConfirmModal


async def ask_permit(
    app: App[Any], request: GateRequest, *, allow_check: bool = False, operator: str = "operator"
) -> Permit | Literal["check"] | None:
    """A permit for ``request`` through its modal; ``"check"`` for a dry run instead, ``None`` if cancelled."""
    if request.level is Level.READ_ONLY:
        return issue(request, confirmed=True, operator=operator)
    try:
        if request.level is Level.DESTRUCTIVE:
            typed = await app.push_screen_wait(TypedConfirmModal(request))
            if typed is None:
                app.notify("Cancelled: nothing was changed.")
                return None
            return issue(request, confirmed=True, typed_name=typed, operator=operator)
        choice = await app.push_screen_wait(ConfirmModal(request, allow_check=allow_check))
        if choice == "check":
            return "check"
        return issue(request, confirmed=choice == "confirm", operator=operator)
    except GateRefused as exc:
        app.notify(str(exc), title="Not confirmed", severity="warning")
        return None
