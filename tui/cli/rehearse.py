"""`factory-tui rehearse [PLAYBOOK...]`: converge the playbooks twice, for real, on the rehearsal lab.

Without ``-i`` it targets ``-i rehearsal`` (and it refuses any lab that is not a rehearsal lab). One
confirmation covers the converge (``--confirm rehearsal`` for scripts); the table says for each role:
converged, needs an artifact, failed, changes again or not run. Exit codes: 0 when no role failed or
changes again, 2 otherwise, 1 errors, 130 cancelled.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any

from actions.durations import duration_text
from tui.cli.cancellable import run_cancellable
from tui.cli.context import CliContext, CliError

EXAMPLE = "example: factory-tui sandbox up --rehearsal && factory-tui rehearse --confirm rehearsal"


def register(sub: Any) -> None:
    """Add the `rehearse` command."""
    p = sub.add_parser("rehearse", help="converge 01..05 twice for real on the rehearsal lab; a verdict per role",
                       epilog=EXAMPLE)
    p.add_argument("playbooks", nargs="*", metavar="PLAYBOOK", help="default: 01_system ... 05_backup")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the guidebook)")
    p.add_argument("--log", action="store_true", help="stream the playbooks' output too")
    p.add_argument("--confirm", metavar="NAME", help="confirm non-interactively: the rehearsal lab's name")
    p.add_argument("-i", "--inventory", dest="sub_inventory", metavar="INVENTORY", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Plan, confirm, converge, print the table."""
    from actions.rehearsal.converge import ConvergeError, converge, plan
    from tui.cli.gate_prompt import ask_permit

    if getattr(args, "sub_inventory", None):
        ctx.inventory_arg = args.sub_inventory
    if ctx.inventory_arg is None:
        ctx.inventory_arg = "rehearsal"
    try:
        conv = plan(ctx.settings, ctx.lab, args.playbooks or None, ctx.journal)
    except ConvergeError as exc:
        raise CliError(str(exc)) from None
    permit = ask_permit(conv.request, args.confirm, ctx.settings.operator,
                        expected=conv.request.confirm_name or "", noun="the rehearsal lab's name",
                        question="converge it for real?")
    cancel = threading.Event()
    box: dict[str, Any] = {}

    def line(text: str) -> None:
        if args.log:
            from actions.ansible.events import strip_ansi

            print(strip_ansi(text), file=sys.stderr)

    def on_run(r: Any) -> None:
        print(f"pass {r.pass_no} {r.playbook:12} {r.status.value:9} {duration_text(r.seconds):>6}  run {r.run_id}"
              + (f"  ({r.message})" if r.message else ""), file=sys.stderr, flush=True)

    def work() -> None:
        try:
            box["report"] = converge(conv, permit, on_line=line, on_run=on_run, cancel=cancel)
        except ConvergeError as exc:
            box["error"] = str(exc)

    run_cancellable(work, cancel, "factory-rehearse", "the converge")
    if "error" in box:
        raise CliError(box["error"])
    if "report" not in box:
        raise CliError("the converge ended without a table; the runs so far are in `factory-tui runs`")
    report = box["report"]
    if args.json:
        print(json.dumps(report.model_dump(mode="json"), indent=2))
    elif args.markdown:
        from actions.rehearsal.table import markdown

        print(markdown(report, ctx.settings.artifact_dir))
    else:
        _print_table(report)
    if report.cancelled:
        return 130
    return 0 if report.ok else 2


def _print_table(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from actions.rehearsal.table import STYLE

    took = duration_text(report.seconds)
    table = Table(title=f"converge of {', '.join(report.playbooks)} on '{report.lab}' ({took})")
    for col in ("role", "verdict", "playbooks", "hosts", "detail"):
        table.add_column(col, overflow="fold")
    for row in report.rows:
        table.add_row(row.role, f"[{STYLE[row.verdict]}]{row.verdict.value}[/]", ", ".join(row.playbooks),
                      ", ".join(row.hosts), row.detail)
    Console().print(table)
