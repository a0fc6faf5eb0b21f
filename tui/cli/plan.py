"""`factory-tui plan [ROOT] [--json]`: plan an OpenTofu root and print its summary; `--apply` applies it.

Without ROOT it lists the roots with their last plan. ``plan ROOT`` exits 0 when there are no changes,
2 when there are, 1 on error (the detailed-exitcode convention). ``plan ROOT --apply`` applies the saved
plan, never a fresh one, behind the same gate as the TUI: ``--confirm ROOT`` (the root's name) or an
answer typed at the terminal; there is no blanket yes.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from actions.durations import duration_text
from tui.cli.context import CliContext, CliError
from tui.cli.grammar import example


def register(sub: Any) -> None:
    """Add ``factory-tui plan`` to the subcommands."""
    p = sub.add_parser("plan", help="plan an OpenTofu root and print its summary (exit 0 none, 2 changes)",
                       epilog=example("factory-tui plan postgres/iac --no-backend --json"))
    p.add_argument("root", nargs="?", metavar="ROOT",
                   help="root name (iac, postgres/iac, ...) or a directory of .tf files; none: list the roots")
    p.add_argument("--json", action="store_true", help="print JSON on stdout (progress still on stderr)")
    p.add_argument("--quiet", action="store_true", help="no live progress on stderr")
    p.add_argument("--no-backend", action="store_true", help="init with -backend=false (local review)")
    p.add_argument("--apply", action="store_true", help="apply the saved plan of ROOT (gated)")
    p.add_argument("--confirm", metavar="NAME", help="with --apply: the root's name, typed to confirm")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """List the roots, plan one and print its summary, or apply its saved plan behind the gate."""
    import asyncio

    from actions.tofu import TofuAdapter, TofuError

    adapter = TofuAdapter(ctx.settings)
    if not args.root:
        if args.apply:
            raise CliError("--apply needs a ROOT")
        return _list(adapter, args.json)
    try:
        root = adapter.root(args.root)
        if args.apply:
            return _apply(adapter, root, args, ctx.journal)
        return asyncio.run(_plan(adapter, root, args))
    except TofuError as exc:
        raise CliError(str(exc)) from None


def _progress(args: argparse.Namespace) -> Any:
    if args.quiet:
        return None
    from rich.console import Console

    from tui.render.plan_render import event_text

    err = Console(stderr=True, highlight=False)

    def on_event(event: Any) -> None:
        text = event_text(event)
        if text is not None:
            err.print(text)

    return on_event


async def _plan(adapter: Any, root: Any, args: argparse.Namespace) -> int:
    from actions.tofu.summary import summary_json

    result = await adapter.plan(root, backend=not args.no_backend, on_event=_progress(args))
    if args.json:
        doc = summary_json(result.summary, root.name)
        doc["plan_file"] = str(result.plan_file)
        doc["created_at"] = result.record.created_at.isoformat()
        print(json.dumps(doc, indent=2))
    else:
        from rich.console import Console

        from tui.render.plan_render import summary_text

        # Not on a terminal (a pipe, a log): wide enough that the Plan: line is not wrapped mid-way.
        console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
        console.print(summary_text(result.summary, root.name))
        if result.summary.has_changes:
            print(f"\nsaved: {result.plan_file}\napply it with: factory-tui plan {root.name} --apply")
    return 2 if result.summary.has_changes else 0


def _apply(adapter: Any, root: Any, args: argparse.Namespace, journal: Any) -> int:
    import asyncio

    from actions import gates
    from tui.cli.gate_prompt import ask_permit

    _record, _summary, request = asyncio.run(adapter.prepare_apply(root))
    # Asked outside any event loop: Ctrl-C at the prompt must reach input(), which a running loop's own
    # SIGINT handling would leave waiting. An apply asks for the root's name even where a yes would do.
    permit = ask_permit(request, args.confirm, adapter.settings.operator, expected=root.name,
                        noun="the root's name", typed=True)
    try:
        result = asyncio.run(adapter.apply(root, permit, on_event=_progress(args), journal=journal))
    except gates.GateRefused as exc:
        raise CliError(f"not applied: {exc}") from None
    if args.json:
        print(json.dumps({"root": root.name, "status": result.record.status, "message": result.message}))
    else:
        print(result.message)
    return 0


def _list(adapter: Any, as_json: bool) -> int:
    rows = []
    for root in adapter.roots():
        record = adapter.record(root)
        rows.append({
            "root": root.name,
            "path": str(root.path),
            "exists": root.exists,
            "status": record.status if record else None,
            "age": duration_text(record.age().total_seconds()) if record else None,
            "counts": record.counts.model_dump() if record and record.counts else None,
            "message": record.message if record else "",
        })
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no roots: none in the repository and none in settings tofu.roots")
        return 0
    for row in rows:
        status = row["status"] or ("never planned" if row["exists"] else "missing")
        age = f" {row['age']} ago" if row["age"] else ""
        print(f"{row['root']:20} {status}{age}  {row['message']}")
    return 0
