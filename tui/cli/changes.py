"""`factory-tui changes [--json]`: list journalled changes that are not playbook runs (Vault, tofu apply)."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from tui.cli.context import CliContext, CliError
from tui.cli.grammar import example
from tui.cli.listing import print_listing


def register(sub: Any) -> None:
    """Add ``factory-tui changes`` to the subcommands."""
    p = sub.add_parser("changes", help="list journalled Vault changes and tofu applies",
                       epilog=example("factory-tui changes --last 10 --json"))
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("-n", "--last", type=int, default=50, metavar="N", help="how many changes (default 50)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the journalled Vault changes and tofu applies."""
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
    rows = (
        (time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started_at)), r.operator, r.kind,
         ", ".join(r.targets), r.status, r.message)
        for r in records
    )
    print_listing(f"changes ({journal.path})", ("when", "who", "kind", "targets", "status", "message"), rows,
                  empty=f"no changes journalled in {journal.path}")
    return 0
