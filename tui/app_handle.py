"""The app as screens, flows and widgets see it: typed, so that reaching for a service the app does not
have is a type error rather than an ``AttributeError`` at run time."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode

if TYPE_CHECKING:
    from tui.app import FactoryApp


def app_of(node: DOMNode) -> FactoryApp:
    """The :class:`~tui.app.FactoryApp` that ``node`` (a screen or widget mounted in it) belongs to."""
    return cast("FactoryApp", node.app)
