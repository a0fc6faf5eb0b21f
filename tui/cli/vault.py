"""`factory-tui vault`: Vault seal status and unseal."""

from __future__ import annotations

import argparse
from typing import Any

from tui.cli.context import CliContext, CliError


def register(sub: Any) -> None:
    p = sub.add_parser("vault", help="Vault seal status and unseal")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    raise CliError("`vault` is not built yet")
