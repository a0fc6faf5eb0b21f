"""`factory-tui hosts [--json]`: the lab model as a table or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from tui.cli.context import CliContext
from tui.cli.grammar import example


def register(sub: Any) -> None:
    """Add ``factory-tui hosts`` to the subcommands."""
    p = sub.add_parser("hosts", help="list the lab's hosts from the inventory",
                       epilog=example("factory-tui hosts -i sandbox --json"))
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the lab's hosts as the inventory names them."""
    lab = ctx.lab
    if args.json:
        doc = {
            "lab": lab.name,
            "kind": lab.kind,
            "inventory": str(lab.inventory),
            "hosts": [
                {"name": h.name, "address": h.address, "port": h.port, "user": h.user, "groups": h.groups}
                for h in lab.hosts
            ],
        }
        print(json.dumps(doc, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{lab.name} ({lab.kind}) — {lab.inventory}")
    for col in ("name", "address", "port", "user", "groups"):
        table.add_column(col)
    for h in lab.hosts:
        table.add_row(h.name, h.address, str(h.port), h.user or "", ", ".join(h.groups))
    Console().print(table)
    return 0
