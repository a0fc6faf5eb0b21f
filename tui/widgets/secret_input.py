"""A masked input for key shares and tokens that never hands its text to the clipboard.

Textual's password input still copies or cuts the real text to the terminal clipboard (OSC 52); for a
key share that would leave it in the operator's clipboard history, so both are refused here.
"""

from __future__ import annotations

from pydantic import SecretStr
from textual.widgets import Input


class SecretInput(Input):
    """Always masked; no copy, no cut; :meth:`take` returns the text as a secret and empties the field."""

    ALLOW_SELECT = False

    def __init__(self, *, placeholder: str = "", id: str | None = None, max_length: int = 0) -> None:
        super().__init__(placeholder=placeholder, password=True, id=id, max_length=max_length)

    def action_copy(self) -> None:
        """Refuse to copy a secret."""
        self.notify("Copying a secret is disabled.", severity="warning")

    def action_cut(self) -> None:
        """Refuse to cut a secret."""
        self.notify("Copying a secret is disabled.", severity="warning")

    def take(self) -> SecretStr:
        """The value as a secret, and the field cleared."""
        secret = SecretStr(self.value)
        self.value = ""
        return secret
