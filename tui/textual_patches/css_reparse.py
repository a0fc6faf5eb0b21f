"""A stylesheet that keeps what it parsed: opening a screen no longer parses every rule of the app again.

Textual's ``Stylesheet.reparse`` parses every source in a fresh stylesheet, whose parse cache starts empty,
and ``App.refresh_css`` empties the app's own cache first (``set_variables``), even when no variable
changed. Both run whenever a screen of a new kind opens (its CSS, its widgets' default CSS): switching to
the health screen after the first frame parsed the whole stylesheet twice, about a tenth of a second.

:class:`KeptStylesheet` parses in place instead, each source from the cache unless its text is new, and
empties the cache only when a variable really changes (a new theme). A parse error leaves the rules as
they were, as Textual's fresh-stylesheet parse does: ``parse`` assigns them only once all sources parsed.
Textual's parse cache holds 64 sources; the app has about 35 once every screen was open (a test keeps
it under the limit, past which the cache would be of no use to a full parse).
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.css.stylesheet import Stylesheet


class KeptStylesheet(Stylesheet):
    """Textual's stylesheet, re-parsed from its cache while its variables are unchanged."""

    def set_variables(self, variables: dict[str, str]) -> None:
        """Set the CSS variables; the parsed rules are dropped only when they differ from the current ones."""
        if variables != self._variables:
            super().set_variables(variables)

    def reparse(self) -> None:
        """Parse every source again: from the cache, but for new text or after a change of variables."""
        self.parse()


def install(app: App[Any]) -> None:
    """Give ``app`` a :class:`KeptStylesheet` (from its ``__init__``, before any CSS is read)."""
    assert not app.stylesheet.source, "install before the app reads its CSS"
    app.stylesheet = KeptStylesheet(variables=app.get_css_variables())
