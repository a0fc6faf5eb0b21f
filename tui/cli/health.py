"""`factory-tui health`: live health of every host."""

from __future__ import annotations

import argparse
from typing import Any

from tui.cli.context import CliContext, CliError


def register(sub: Any) -> None:
    p = sub.add_parser("health", help="live health of every host")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    raise CliError("`health` is not built yet")
