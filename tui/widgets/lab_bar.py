"""The top bar: which lab the app points at, coloured so sandbox and the real lab never look alike."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from actions.lab import Lab


class LabBar(Static):
    """One line: app name, the current screen, the lab's name and kind, and the inventory path."""

    DEFAULT_CSS = """
    LabBar { dock: top; height: 1; padding: 0 1; }
    LabBar.-sandbox { background: $success-darken-2; color: $text; }
    LabBar.-real { background: $error-darken-1; color: $text; text-style: bold; }
    LabBar.-broken { background: $warning-darken-2; color: $text; }
    """

    def __init__(self, section: str, lab: Lab | None, inventory: Path | str | None) -> None:
        super().__init__()
        self.section = section
        self.lab = lab
        self.inventory = inventory or ""

    def on_mount(self) -> None:
        signal = getattr(self.app, "lab_changed", None)
        if signal is not None:
            signal.subscribe(self, self.show_lab)
        self.show_lab(self.lab)

    def show_lab(self, lab: Lab | None) -> None:
        """Name ``lab`` (the app's, or the one that replaced it)."""
        self.lab, inventory = lab, self.inventory
        self.remove_class("-broken", "-sandbox", "-real")
        if lab is None:
            self.add_class("-broken")
            self.update(f"factory-tui · {self.section} · NO LAB: inventory {inventory} cannot be read")
        elif lab.kind in ("sandbox", "rehearsal"):
            # Both are labs on this machine: the same safe colour, named for what they are.
            self.add_class("-sandbox")
            self.update(f"factory-tui · {self.section} · {lab.kind.upper()} lab '{lab.name}' · {lab.inventory}")
        else:
            self.add_class("-real")
            self.update(f"factory-tui · {self.section} · REAL LAB '{lab.name}' · {lab.inventory}")
