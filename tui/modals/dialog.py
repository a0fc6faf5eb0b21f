"""The house dialog: a centred box with a title, a body and a row of buttons.

Textual's type selectors match subclasses, so a dialog states only what differs (its border's colour, its
width); a subclass's rules win over these.
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


class DialogScreen(ModalScreen[ResultType]):
    """A centred modal with a bordered box, the base of the app's dialogs."""
    DEFAULT_CSS = """
    DialogScreen { align: center middle; }
    DialogScreen > Vertical { width: 90%; max-width: 100; height: auto; border: thick $warning;
                              background: $surface; padding: 1 2; }
    DialogScreen Horizontal { height: auto; margin-top: 1; }
    DialogScreen Button { margin-right: 2; }
    """
