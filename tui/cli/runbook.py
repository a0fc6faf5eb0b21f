"""`factory-tui runbook list|show NAME|status [--json]|report ID`: the checklists, headless."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tui.cli.context import CliContext, CliError
from tui.cli.grammar import add_command, example


def register(sub: Any) -> None:
    """Add ``factory-tui runbook`` and its verbs to the subcommands."""
    p = sub.add_parser("runbook", help="guided checklists: list, show, status, report",
                       epilog=example("factory-tui runbook show recovery"))
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    add_command(verbs, "list", "the runbooks, and any session in progress", "factory-tui runbook list --json",
                run_list, json=True)
    show = add_command(verbs, "show", "a runbook's steps: requires, action, verify",
                       "factory-tui runbook show bringup --json", run_show, json=True)
    show.add_argument("name")
    add_command(verbs, "status", "progress of the open sessions", "factory-tui runbook status --json",
                run_status, json=True)
    report = add_command(verbs, "report", "Markdown report of one session (an incident)",
                         "factory-tui runbook report latest -o incident.md", run_report)
    report.add_argument("id", help="session id (see `runbook status`), or `latest`")
    report.add_argument("-o", "--output", help="write to this file instead of stdout")


def _books() -> dict[str, Any]:
    from actions.runbooks.model import RunbookError, load_all

    try:
        return {b.name: b for b in load_all()}
    except RunbookError as exc:
        raise CliError(str(exc)) from None


def _store(ctx: CliContext) -> Any:
    from actions.runbooks.store import RunbookStore

    return RunbookStore(ctx.journal, write=False)


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the runbooks, with any session in progress."""
    books = _books()
    store = _store(ctx)
    sessions = store.sessions(open_only=True)
    if args.json:
        print(json.dumps({
            "runbooks": [{"name": b.name, "kind": b.kind, "title": b.title, "steps": len(b.steps)}
                         for b in books.values()],
            "in_progress": [rec.model_dump(mode="json") for rec in sessions],
        }, indent=2))
        return 0
    for rec in sessions:
        print(f"IN PROGRESS  {rec.runbook:10} session {rec.id} opened by {rec.operator}")
    for book in books.values():
        print(f"{book.name:12} {book.kind:9} {len(book.steps):2} steps  {book.title}")
    return 0


def run_show(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print one runbook's steps, their requirements, actions and checks."""
    books = _books()
    book = books.get(args.name)
    if book is None:
        raise CliError(f"no runbook {args.name!r}; there are: {', '.join(books)}")
    if args.json:
        print(json.dumps(_book_json(book), indent=2))
        return 0
    print(f"{book.title} ({book.kind})")
    for i, step in enumerate(book.steps, 1):
        print(f"{i:2}. {step.id}: {step.title}")
        print(f"    doc:      {step.doc}")
        if step.requires:
            req = [r if isinstance(r, str) else r.label() for r in step.requires]
            print(f"    requires: {', '.join(req)}")
        print(f"    action:   {step.action.type}" + _action_detail(step.action))
        if step.verify:
            print(f"    verify:   {', '.join(v.label() for v in step.verify)}")
    return 0


def _book_json(book: Any) -> dict[str, Any]:
    """A runbook's steps as ``runbook show`` lists them, as data."""
    return {"name": book.name, "title": book.title, "kind": book.kind, "steps": [{
        "id": step.id, "title": step.title, "doc": str(step.doc),
        "requires": [r if isinstance(r, str) else r.label() for r in step.requires],
        "action": {"type": step.action.type, "detail": _action_detail(step.action).strip() or None},
        "verify": [v.label() for v in step.verify],
    } for step in book.steps]}


def _action_detail(action: Any) -> str:
    for attr in ("playbook", "root", "command"):
        if getattr(action, attr, None):
            return f" {getattr(action, attr)}"
    return ""


def run_status(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print each open session's progress, step by step."""
    from actions.runbooks.engine import current_states, progress

    books = _books()
    store = _store(ctx)
    docs = []
    for rec in store.sessions(open_only=True):
        book = books.get(rec.runbook)
        if book is None:
            continue
        views = current_states(book, store.events(rec.id))
        done, total = progress(views)
        docs.append({
            "session": rec.model_dump(),
            "progress": {"settled": done, "total": total},
            "steps": [{"id": v.step_id, "state": v.state.value, "note": v.note, "operator": v.operator}
                      for v in views.values()],
        })
        if not args.json:
            print(f"{rec.runbook} session {rec.id} ({rec.operator}): {done}/{total} steps settled")
            for v in views.values():
                print(f"  {v.state.mark} {v.step_id:16} {v.state.value}" + (f" — {v.note}" if v.note else ""))
    if args.json:
        print(json.dumps({"sessions": docs}, indent=2))
    elif not docs:
        print("no checklist in progress")
    return 0


def run_report(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print a session's incident report (Markdown)."""
    from actions.runbooks.report import render_report

    books = _books()
    store = _store(ctx)
    if args.id == "latest":
        recent = store.sessions(limit=1)
        rec = recent[0] if recent else None
    else:
        rec = store.session(args.id)
    if rec is None:
        raise CliError(f"no runbook session {args.id!r}")
    book = books.get(rec.runbook)
    if book is None:
        raise CliError(f"session {rec.id} is of runbook {rec.runbook!r}, which no longer exists")
    text = render_report(book, rec, store.events(rec.id))
    if args.output:
        Path(args.output).write_text(text)
    else:
        print(text)
    return 0
