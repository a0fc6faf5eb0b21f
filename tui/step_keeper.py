"""A step screen whose action is going stays alive when the operator leaves it.

Textual removes a popped screen, and with it the run pane of a playbook still running and the worker that
journals how the step ended: the run went on with no pane, unnamed when quitting. So while a step's action
runs, its screen is installed under a name of its own (Textual keeps installed screens when they are
popped): the run pane stays mounted (the runs screen, the quit dialog and the checklist row still see it),
and opening the step again shows that same screen. Once the action has ended and the screen is out of
sight, it is uninstalled and removed as any popped screen would be.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App, ScreenStackError

if TYPE_CHECKING:
    from textual.screen import Screen


def screen_name(session_id: str, step_id: str) -> str:
    """The name a running step's screen is installed under."""
    return f"step:{session_id}:{step_id}"


def keep(app: App[Any], screen: Screen[Any], name: str) -> None:
    """Keep ``screen`` when it is popped, until :func:`release` (its action has started)."""
    if not app.is_screen_installed(name):
        app.install_screen(screen, name)


def kept(app: App[Any], name: str) -> Screen[Any] | None:
    """The screen kept under ``name``, when its step's action still runs or it is still in sight."""
    if not app.is_screen_installed(name):
        return None
    return app.get_screen(name)


def release(app: App[Any], screen: Screen[Any]) -> None:
    """The action has ended: a screen in no screen stack (of any mode) goes now; one still in a stack goes
    when it is next popped (:func:`release` is called again from its ``on_screen_suspend``)."""
    if not app.is_screen_installed(screen):
        return
    try:
        app.uninstall_screen(screen)
    except ScreenStackError:  # still in a stack: in sight, under a dialog, or in another mode's stack
        return
    app.call_later(screen.remove)
