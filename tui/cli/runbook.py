"""`factory-tui runbook`: guided checklists: list, show, status, report."""

from __future__ import annotations

import argparse
from typing import Any

from tui.cli.context import CliContext, CliError


def register(sub: Any) -> None:
    p = sub.add_parser("runbook", help="guided checklists: list, show, status, report")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    raise CliError("`runbook` is not built yet")
