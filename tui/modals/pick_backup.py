"""Pick the backup a restore starts from: newest first, with dates and sizes."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from actions.runbooks.backups import Backup


class PickBackupModal(ModalScreen[str | None]):
    """Choose one of the backups found on the backup host (the restore steps ask which)."""
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pick_backup.cancel", tooltip="Choose nothing")]
    DEFAULT_CSS = """
    PickBackupModal { align: center middle; }
    PickBackupModal > Vertical { width: 90%; max-width: 120; height: 70%; border: thick $warning;
                                 background: $surface; padding: 1 2; }
    PickBackupModal OptionList { height: 1fr; }
    """

    def __init__(self, host: str, directory: str, backups: list[Backup]) -> None:
        super().__init__()
        self.host = host
        self.directory = directory
        self.backups = backups

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Backups under {self.directory} on {self.host}, newest first")
            yield OptionList(*[
                Option(f"{b.when}  {b.size_text:>10}  {b.path}", id=str(i)) for i, b in enumerate(self.backups)
            ])

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.backups[int(event.option.id or 0)].path)

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)
