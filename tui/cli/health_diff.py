"""`factory-tui health --diff | --record | --accept KEY`: what changed since the last known-good snapshot.

``--diff`` reads every host once (its fingerprint with it) and prints the differences from the latest
known-good snapshot; it exits 0 when none is unexplained, 1 otherwise (or when there is no snapshot yet).
``--record`` takes a known-good snapshot now, and refuses (exit 1, saying which host) unless every host is
green. ``--accept KEY`` (repeatable, ``all`` for every one) journals that the operator accepted those
differences as explained.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING, Any

from tui.cli.context import CliContext, CliError

if TYPE_CHECKING:  # the parser is built on every start: what a diff needs is loaded when one is asked for
    from actions.config import Thresholds
    from actions.health.known_good import DiffReport
    from actions.health.models import Snapshot


def register(p: Any) -> None:
    """The options of this module on the `health` parser."""
    p.add_argument("--diff", action="store_true",
                   help="what changed since the last known-good snapshot (exit 0: nothing unexplained)")
    p.add_argument("--record", action="store_true",
                   help="take a known-good snapshot now (refused unless every host is green)")
    p.add_argument("--accept", action="append", metavar="KEY", default=[],
                   help="accept a difference of --diff as explained (its key, or `all`); journalled with who")
    p.add_argument("--note", default="", help="why the accepted differences are fine (journalled)")


def wanted(args: argparse.Namespace) -> bool:
    """Whether the command line asks for this module rather than the plain health read."""
    return bool(args.diff or args.record or args.accept)


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def print_report(report: DiffReport, as_json: bool) -> None:
    """The diff as JSON, or as lines marked ``!!`` (unexplained, with the key that accepts it) and ``ok``."""
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
        return
    from rich.console import Console

    console = Console(highlight=False)
    kg = report.known_good
    if kg is None:
        console.print("no known-good snapshot yet: take one with `factory-tui health --record` when every host "
                      "is green")
        return
    console.print(f"since known-good {kg.id} ({_stamp(kg.taken_at)}, {kg.reason}, by {kg.operator}):")
    accepted = {a.key: a for a in report.accepted}
    for c in report.changes:
        by = accepted.get(c.key)
        if by:
            console.print(f"  [green]ok[/green] {c.text}  [dim](accepted by {by.operator})[/dim]")
        else:
            console.print(f"  [yellow]!![/yellow] {c.text}")
            console.print(f"     [dim]--accept '{c.key}'[/dim]", soft_wrap=True)
    if not report.changes:
        console.print("  no difference")
    console.print(f"{len(report.unexplained)} unexplained difference(s)")


def run(args: argparse.Namespace, ctx: CliContext, snap: Snapshot, th: Thresholds) -> int:
    """Record, accept, then show the diff, in that order; the exit code is the diff's (or the record's)."""
    from actions.health.known_good import KnownGoodStore, NotGreen

    store = KnownGoodStore(ctx.journal)
    lab = ctx.lab.name
    operator = ctx.settings.operator
    if args.record:
        try:
            kg = store.record(snap, th, lab=lab, operator=operator, reason="asked for")
        except NotGreen as exc:
            raise CliError(f"no known-good snapshot taken: {exc}") from None
        print(f"known-good snapshot {kg.id} of {', '.join(sorted(kg.hosts))}, by {operator}")
        if not args.diff and not args.accept:
            return 0
    report = store.report(snap, lab)
    if args.accept:
        if report.known_good is None:
            raise CliError("no known-good snapshot yet: nothing to accept")
        by_key = {c.key: c for c in report.unexplained}
        keys = list(by_key) if "all" in args.accept else args.accept
        unknown = [k for k in keys if k not in by_key]
        if unknown:
            raise CliError(f"not an unexplained difference now: {', '.join(unknown)} (see `health --diff`)")
        for key in keys:
            store.accept(report.known_good.id, by_key[key], operator, args.note)
        report = store.report(snap, lab)
    print_report(report, args.json)
    return 0 if report.known_good is not None and not report.unexplained else 1
