"""`factory-tui runs [--json]`: list journalled playbook runs, newest first."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from actions.durations import duration_text
from tui.cli.context import CliContext
from tui.cli.grammar import example
from tui.cli.listing import print_listing


def register(sub: Any) -> None:
    """Add ``factory-tui runs`` to the subcommands."""
    p = sub.add_parser("runs", help="list journalled playbook runs",
                       epilog=example("factory-tui runs --last 10 --json"))
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("-n", "--last", type=int, default=50, metavar="N", help="how many runs (default 50)")
    p.set_defaults(func=run)


def _recap(recap: dict[str, dict[str, int]]) -> str:
    bits = []
    for host, c in recap.items():
        bad = c.get("failures", 0) + c.get("unreachable", 0)
        bits.append(f"{host}:{c.get('ok', 0)}/{c.get('changed', 0)}" + (f"/!{bad}" if bad else ""))
    return " ".join(bits)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the journalled playbook runs, newest first."""
    from actions.journal import as_json

    journal = ctx.journal
    records = journal.runs(limit=args.last)
    if args.json:
        print(json.dumps(as_json(records), indent=2))
        return 0
    rows = (
        (r.id, time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started_at)), r.operator, r.playbook,
         "check" if r.check else "real", r.limit or "", r.status,
         duration_text(r.duration, missing=""), _recap(r.recap))
        for r in records
    )
    columns = ("id", "when", "who", "playbook", "mode", "limit", "status", "took", "recap ok/changed")
    print_listing(f"runs ({journal.path})", columns, rows, empty=f"no runs journalled in {journal.path}")
    return 0
