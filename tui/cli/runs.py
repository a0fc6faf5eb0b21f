"""`factory-tui runs`: list journalled playbook runs."""

from __future__ import annotations

import argparse
from typing import Any

from tui.cli.context import CliContext, CliError


def register(sub: Any) -> None:
    p = sub.add_parser("runs", help="list journalled playbook runs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    raise CliError("`runs` is not built yet")
