"""`factory-tui plan`: plan an OpenTofu root and print its summary."""

from __future__ import annotations

import argparse
from typing import Any

from tui.cli.context import CliContext, CliError


def register(sub: Any) -> None:
    p = sub.add_parser("plan", help="plan an OpenTofu root and print its summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    raise CliError("`plan` is not built yet")
