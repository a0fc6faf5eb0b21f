"""`factory-tui sandbox up|down|status [--json]`: the local rehearsal lab."""

from __future__ import annotations

import argparse
import json
from typing import Any

from tui.cli.context import CliContext, CliError
from tui.cli.grammar import add_command, example


def register(sub: Any) -> None:
    p = sub.add_parser("sandbox", help="the local rehearsal lab: real sshd x3, OpenBao, PostgreSQL",
                       epilog=example("factory-tui sandbox up && factory-tui -i sandbox"))
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    add_command(verbs, "up", "start the sandbox (harmless when it is up)", "factory-tui sandbox up", run_up)
    down = add_command(verbs, "down", "stop what the sandbox started", "factory-tui sandbox down --purge",
                       run_down)
    down.add_argument("--purge", action="store_true", help="also delete its data (Vault, PostgreSQL, keys)")
    add_command(verbs, "status", "what is up, where, and its pid", "factory-tui sandbox status --json",
                run_status, json=True)

def run_up(args: argparse.Namespace, ctx: CliContext) -> int:
    from actions import sandbox

    try:
        st = sandbox.up(ctx.settings, log=print)
    except sandbox.SandboxError as exc:
        raise CliError(str(exc)) from None
    _print_status(st)
    return 0


def run_down(args: argparse.Namespace, ctx: CliContext) -> int:
    from actions import sandbox

    try:
        sandbox.down(ctx.settings, purge=args.purge, log=print)
    except sandbox.SandboxError as exc:
        raise CliError(str(exc)) from None
    return 0


def run_status(args: argparse.Namespace, ctx: CliContext) -> int:
    from actions import sandbox

    st = sandbox.status(ctx.settings)
    if args.json:
        print(json.dumps(st.to_json(), indent=2))
    else:
        _print_status(st)
    return 0 if st.all_up else 3


def _print_status(st: Any) -> None:
    for part in st.parts:
        state = "up" if part.up else "down"
        pid = f"pid {part.pid}" if part.pid else "no pid"
        print(f"{part.name:10} {state:5} {part.address}:{part.port}  {pid}")
    print(f"inventory  {st.inventory}")
    if st.parts and st.all_up:
        print(f"try: ssh -i {st.key_file} -o UserKnownHostsFile={st.known_hosts} "
              f"-p {st.hosts[0].port} {st.user}@{st.hosts[0].address} true")
