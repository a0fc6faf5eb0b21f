"""`python -m tui.cli` runs the same command as `factory-tui`."""

from tui.cli import entry

entry()
