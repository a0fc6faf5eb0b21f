"""`factory-tui run PLAYBOOK`: run a playbook headless behind the same gates, streaming a plain log.

A check-mode run needs no confirmation. A real run shows the gate request; on a terminal it asks y/N
(or, when destructive, the typed name); scripts pass ``--confirm NAME`` (the playbook's confirm name,
by default its stem). There is no blanket ``--yes``. Exit codes: 0 ok, 2 failed or unreachable hosts,
1 errors (unknown playbook, syntax, inventory, ansible-playbook not found), 130 cancelled.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.cli.cancellable import run_cancellable
from tui.cli.context import CliContext, CliError
from tui.cli.grammar import example

if TYPE_CHECKING:
    from actions.ansible import RunResult


def register(sub: Any) -> None:
    """Add ``factory-tui run`` to the subcommands."""
    p = sub.add_parser("run", help="run a playbook headless, behind the same gates",
                       epilog=example("factory-tui run 01_system -i sandbox --check --diff --limit pi1"))
    p.add_argument("playbook", help="catalog name, path under the playbook dir, or any playbook path")
    p.add_argument("--check", action="store_true", help="check mode (dry run): needs no confirmation")
    p.add_argument("--diff", action="store_true", help="show diffs of changed files")
    p.add_argument("--limit", metavar="L", help="Ansible --limit pattern")
    p.add_argument("--tags", metavar="T", help="comma-separated tags")
    p.add_argument("-e", "--extra-var", dest="extra_vars", action="append", default=[], metavar="K=V",
                   help="extra variable (repeatable)")
    p.add_argument("--confirm", metavar="NAME", help="confirm a real run non-interactively: the playbook's name")
    p.add_argument("--ask-become-pass", "-K", action="store_true", help="prompt for the become password")
    p.set_defaults(func=run)


def _extra_vars(words: list[str]) -> tuple[tuple[str, str], ...]:
    """Each ``-e`` word as one pair (the shell has split and unquoted them already)."""
    from actions.keyvalue import PairError, pair

    try:
        return tuple(pair(word) for word in words)
    except PairError as exc:
        raise CliError(f"-e {exc}") from None


def _confirm(request: Any, typed: str | None, operator: str) -> Any:
    """A real run's permit: ``--confirm NAME`` or the answer at the terminal (``run with --check`` is the
    way round it)."""
    from tui.cli.gate_prompt import ask_permit

    expected = request.confirm_name or Path(request.command[-1]).stem
    return ask_permit(request, typed, operator, expected=expected, noun="the name to confirm",
                      question="run it for real?", hint="run with --check first")


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Run a playbook headless behind the gates, streaming a plain log; returns the run's exit status."""
    from pydantic import SecretStr

    from actions.ansible import AnsibleNotFound, PlaybookError, RunRefused, RunSpec, prepare, run_prepared
    from actions.ansible.events import strip_ansi
    from actions.lab import InventoryError

    settings = ctx.settings
    journal = ctx.journal
    become = None
    if args.ask_become_pass:
        import getpass

        become = SecretStr(getpass.getpass("become password: "))
    spec = RunSpec(
        playbook=args.playbook, inventory=ctx.inventory_path, limit=args.limit,
        tags=tuple(t.strip() for t in (args.tags or "").split(",") if t.strip()),
        extra_vars=_extra_vars(args.extra_vars), check=args.check, diff=args.diff,
        forks=settings.ansible.forks, become_password=become,
    )
    try:
        prepared = prepare(spec, settings, journal)
    except (PlaybookError, InventoryError, AnsibleNotFound) as exc:
        from actions.ansible import record_error

        record_error(spec, settings, journal, str(exc))
        raise CliError(str(exc)) from None
    permit = None if args.check else _confirm(prepared.request, args.confirm, settings.operator)
    colour = sys.stdout.isatty()
    cancel = threading.Event()

    def line(text: str) -> None:
        print(text if colour else strip_ansi(text), flush=False)

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = run_prepared(prepared, permit=permit, on_line=line, cancel=cancel,
                                         on_tick=sys.stdout.flush, operator=settings.operator)
        except RunRefused as exc:
            box["refused"] = str(exc)

    # The run goes on a thread so Ctrl-C reaches this one and becomes a clean cancel.
    run_cancellable(work, cancel, "factory-run", "the run")
    sys.stdout.flush()
    if "refused" in box:
        raise CliError(box["refused"])
    result: RunResult = box["result"]
    print(f"factory-tui: run {result.run_id}: {result.status.value}"
          + (f" ({result.message})" if result.message else "")
          + f"; artifacts: {result.artifacts}", file=sys.stderr)
    return result.exit_code
