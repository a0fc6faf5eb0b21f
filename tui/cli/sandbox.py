"""`factory-tui sandbox up [--rehearsal]|down [--purge]|status [--json]`: the local labs.

The sandbox is three unprivileged sshd "Pis", OpenBao and PostgreSQL. ``--rehearsal`` also boots the
rehearsal hosts: pi1..pi3 as root Debian 12 systems with systemd (``-i rehearsal``), where playbooks run
for real. ``down`` and ``status`` cover both.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tui.cli.context import CliContext, CliError
from tui.cli.grammar import add_command, example

REHEARSAL_EXAMPLE = "factory-tui sandbox up --rehearsal && factory-tui -i rehearsal hosts"


def register(sub: Any) -> None:
    """Add the `sandbox` command group."""
    p = sub.add_parser("sandbox", help="the local labs: sshd x3, OpenBao, PostgreSQL; --rehearsal: root hosts",
                       epilog=example(REHEARSAL_EXAMPLE))
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    up = add_command(verbs, "up", "start the sandbox (harmless when it is up)", REHEARSAL_EXAMPLE, run_up)
    up.add_argument("--rehearsal", action="store_true",
                    help="also boot pi1..pi3 as root Debian 12 hosts with systemd (Linux, as root; -i rehearsal)")
    down = add_command(verbs, "down", "stop what the sandbox and the rehearsal hosts started",
                       "factory-tui sandbox down --purge", run_down)
    down.add_argument("--purge", action="store_true",
                      help="also delete their data (Vault, PostgreSQL, keys, the rehearsal hosts' disks)")
    add_command(verbs, "status", "what is up, where, and its pid", "factory-tui sandbox status --json",
                run_status, json=True)


def run_up(args: argparse.Namespace, ctx: CliContext) -> int:
    """Start the sandbox, and the rehearsal hosts with ``--rehearsal``."""
    from actions import rehearsal, sandbox

    try:
        st = sandbox.up(ctx.settings, log=print)
    except sandbox.SandboxError as exc:
        raise CliError(str(exc)) from None
    _print_status(st)
    if args.rehearsal:
        try:
            rst = rehearsal.up(ctx.settings, log=print)
        except rehearsal.RehearsalError as exc:
            raise CliError(str(exc)) from None
        _print_rehearsal(rst)
    return 0


def run_down(args: argparse.Namespace, ctx: CliContext) -> int:
    """Stop both labs (the rehearsal hosts first: a purge of the sandbox removes their directory)."""
    from actions import rehearsal, sandbox

    try:
        rehearsal.down(ctx.settings, purge=args.purge, log=print)
        sandbox.down(ctx.settings, purge=args.purge, log=print)
    except (sandbox.SandboxError, rehearsal.RehearsalError) as exc:
        raise CliError(str(exc)) from None
    return 0


def run_status(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print what is up; exit 0 when the sandbox (and any rehearsal lab that was started) is all up, else 3."""
    from actions import rehearsal, sandbox

    st = sandbox.status(ctx.settings)
    rst = rehearsal.status(ctx.settings)
    if args.json:
        doc = st.to_json()
        doc["rehearsal"] = rst.to_json() if rst.hosts else None
        print(json.dumps(doc, indent=2))
    else:
        _print_status(st)
        if rst.hosts:
            _print_rehearsal(rst)
    ok = st.all_up and (not rst.hosts or rst.all_up)
    return 0 if ok else 3


def _print_status(st: Any) -> None:
    for part in st.parts:
        state = "up" if part.up else "down"
        pid = f"pid {part.pid}" if part.pid else "no pid"
        print(f"{part.name:10} {state:5} {part.address}:{part.port}  {pid}")
    print(f"inventory  {st.inventory}")
    if st.parts and st.all_up:
        print(f"try: ssh -i {st.key_file} -o UserKnownHostsFile={st.known_hosts} "
              f"-p {st.hosts[0].port} {st.user}@{st.hosts[0].address} true")


def _print_rehearsal(st: Any) -> None:
    print("rehearsal hosts (root, systemd; -i rehearsal):")
    for h in st.hosts:
        state = "up" if h.up else "down"
        pid = f"pid {h.pid}" if h.pid else "no pid"
        print(f"{h.name:10} {state:5} {h.address}:22  {pid}  {','.join(h.groups)}")
    print(f"apt proxy  {'up' if st.proxy_up else 'down'}  bridge {st.bridge}  devices {' '.join(st.devices) or '-'}")
    print(f"inventory  {st.inventory}")
    print(f"artifacts  {st.artifact_dir}")
    if st.hosts and st.all_up:
        print(f"try: ssh -i {st.key_file} -o UserKnownHostsFile={st.known_hosts} root@{st.hosts[0].address} true")
