"""`factory-tui changes [--json]`: list journalled changes that are not playbook runs (Vault, tofu apply)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from tui.cli.context import CliContext, CliError


def register(sub: Any) -> None:
    p = sub.add_parser("changes", help="list journalled Vault changes and tofu applies")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("-n", "--last", type=int, default=50, metavar="N", help="how many changes (default 50)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from actions import change_log
    from actions.journal import JournalError

    journal = ctx.journal
    try:
        records = change_log.changes(journal, limit=args.last)
    except JournalError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps(change_log.as_json(records), indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"changes ({journal.path})")
    for col in ("when", "who", "kind", "targets", "status", "message"):
        table.add_column(col)
    for r in records:
        table.add_row(
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started_at)), r.operator, r.kind,
            ", ".join(r.targets), r.status, r.message,
        )
    # Not on a terminal (a pipe, a log file): wide enough that names are not wrapped mid-word.
    Console(width=None if sys.stdout.isatty() else 200).print(table)
    return 0
