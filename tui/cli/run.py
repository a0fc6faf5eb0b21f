"""`factory-tui run`: run a playbook headless, behind the same gates."""

from __future__ import annotations

import argparse
from typing import Any

from tui.cli.context import CliContext, CliError


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run a playbook headless, behind the same gates")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    raise CliError("`run` is not built yet")
