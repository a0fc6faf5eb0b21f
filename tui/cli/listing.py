"""Print a journal listing (runs, changes) as a table, or one plain line when it is empty."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence


def print_listing(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]], *, empty: str) -> None:
    """``empty`` is printed instead of a table with no rows, which reads as a broken command."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    # Not on a terminal (a pipe, a log file): wide enough that names are not wrapped mid-word.
    console = Console(width=None if sys.stdout.isatty() else 200, highlight=False)
    if table.row_count:
        console.print(table)
    else:
        console.print(empty, markup=False)
