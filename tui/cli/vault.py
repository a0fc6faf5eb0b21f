"""`factory-tui vault status|unseal|seal|step-down`: Vault's seal state and the changes behind gates.

``status`` exits 0 when Vault is unsealed, 2 when it is sealed or not initialised, 1 when it cannot be
read. ``unseal`` reads key shares from a no-echo prompt, or one per line from stdin when stdin is not a
terminal; never from arguments, so no share lands in the shell's history or the process list.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import TYPE_CHECKING, Any

from tui.cli.context import CliContext, CliError
from tui.cli.grammar import example

if TYPE_CHECKING:  # the parser is built on every start: pydantic is loaded by the verb that needs it
    from pydantic import SecretStr

    from actions.gates import GateRequest, Permit

EXIT_UNSEALED, EXIT_UNREACHABLE, EXIT_SEALED = 0, 1, 2


def register(sub: Any) -> None:
    """Add ``factory-tui vault`` and its verbs to the subcommands."""
    p = sub.add_parser("vault", help="Vault seal status, unseal, seal and step-down",
                       epilog=example("factory-tui vault status -i sandbox"))
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    status = verbs.add_parser(
        "status", help="seal state (exit 0 unsealed, 2 sealed/not initialised, 1 unreachable)",
        epilog=example("VAULT_ADDR=https://vault.arcodange.lab:8200 factory-tui vault status --json"),
    )
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=run_status)
    confirm_help = "the Vault's host name, to confirm without a prompt"
    unseal = verbs.add_parser("unseal", help="enter key shares (no-echo prompt, or one per line on stdin)",
                              epilog=example("factory-tui vault unseal -i sandbox --confirm 127.0.0.1"))
    unseal.add_argument("--confirm", metavar="HOST", help=confirm_help)
    unseal.set_defaults(func=run_unseal)
    seal = verbs.add_parser("seal", help="seal Vault (needs a token; type the host name to confirm)",
                            epilog=example("factory-tui vault seal -i sandbox --confirm 127.0.0.1"))
    seal.add_argument("--confirm", metavar="HOST", help=confirm_help)
    seal.set_defaults(func=run_seal)
    down = verbs.add_parser("step-down", help="hand the active role to another node (needs a token)",
                            epilog=example("factory-tui vault step-down --confirm vault.arcodange.lab"))
    down.add_argument("--confirm", metavar="HOST", help=confirm_help)
    down.set_defaults(func=run_step_down)


def _target(ctx: CliContext) -> Any:
    from actions import vault

    # The lab is read even when $VAULT_ADDR is set: a sandbox's or rehearsal lab's own Vault wins over it
    # (resolve_target). An inventory that cannot be read leaves the environment and the settings.
    try:
        lab = ctx.lab
    except CliError:
        lab = None  # resolve_target then says every place an address can be set
    try:
        return vault.resolve_target(ctx.settings, lab)
    except vault.VaultError as exc:
        raise CliError(str(exc)) from None


def _permit(request: GateRequest, confirm: str | None, host: str, operator: str) -> Permit:
    """The gate of a Vault change: a prompt, or ``--confirm HOST``."""
    from tui.cli.gate_prompt import ask_permit

    return ask_permit(request, confirm, operator, expected=host, noun="the Vault's host")


def run_status(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print Vault's seal status and where its address came from."""
    from actions import vault

    target = _target(ctx)
    status = vault.read_status(target)
    if args.json:
        doc = status.to_json()
        doc["addr_source"] = target.addr_source
        doc["ca_cert"] = str(target.ca_cert) if target.ca_cert else None
        doc["ca_source"] = target.ca_source or None
        print(json.dumps(doc, indent=2))
    else:
        print(f"vault      {status.addr}  (from {target.addr_source})")
        if target.ca_cert:
            print(f"ca         {target.ca_cert}  (from {target.ca_source})")
        print(f"state      {status.summary()}")
        if status.error:
            print(f"error      {status.error}")
        else:
            needed = f"{status.threshold} of {status.shares} needed" if status.shares else "-"
            print(f"shares     {needed}")
            print(f"ha mode    {status.ha_mode}")
            print(f"version    {status.version or '-'}  storage {status.storage_type or '-'}")
    return {
        vault.VaultState.UNSEALED: EXIT_UNSEALED,
        vault.VaultState.UNREACHABLE: EXIT_UNREACHABLE,
    }.get(status.state, EXIT_SEALED)


def _shares(prompt_for: Any) -> Any:
    """Yield shares as secrets: from a no-echo prompt on a terminal, else one per stdin line."""
    from pydantic import SecretStr

    if sys.stdin.isatty():
        while True:
            try:
                text = getpass.getpass(prompt_for())
            except EOFError:
                return
            if not text.strip():
                return
            yield SecretStr(text)
            del text
    else:
        for line in sys.stdin:
            if line.strip():
                yield SecretStr(line.strip())
            del line


def run_unseal(args: argparse.Namespace, ctx: CliContext) -> int:
    """Unseal Vault behind the gate, shares read from a no-echo prompt or stdin."""
    from actions import vault

    target = _target(ctx)
    status = vault.read_status(target)
    if status.error:
        raise CliError(status.error, EXIT_UNREACHABLE)
    if not status.initialized:
        raise CliError(f"{target.addr}: Vault is not initialised; initialise it from the TUI", EXIT_SEALED)
    if not status.sealed:
        print(f"{target.addr}: already unsealed")
        return EXIT_UNSEALED
    permit = _permit(vault.unseal_request(target), args.confirm, target.host, ctx.settings.operator)
    session = None
    try:
        session = vault.UnsealSession(target, permit, ctx.journal)
        progress = [status.progress, status.threshold]
        for share in _shares(lambda: f"key share ({progress[0] + 1} of {progress[1]}, empty to stop): "):
            result = session.submit(share)
            del share
            print(result.message, file=sys.stderr)
            progress[:] = [result.progress, result.threshold]
            if not result.sealed:
                settled = vault.wait_settled(target)
                print(f"{target.addr}: {settled.summary()}")
                return EXIT_UNSEALED
    except vault.VaultError as exc:
        raise CliError(str(exc), EXIT_UNREACHABLE) from None
    finally:
        if session is not None:
            session.close()  # the journal says where an unseal left off, if it did not unseal
    print(f"{target.addr}: still sealed, {progress[0]} of {progress[1]} shares entered", file=sys.stderr)
    return EXIT_SEALED


def _token() -> SecretStr:
    from pydantic import SecretStr

    from actions import vault

    token = vault.token_from_env()
    if token is None and sys.stdin.isatty():
        text = getpass.getpass("Vault token: ").strip()
        token = SecretStr(text) if text else None
    if token is None:
        raise CliError("this needs a Vault token: set $VAULT_TOKEN (or run on a terminal to be asked)")
    return token


def _with_token(args: argparse.Namespace, ctx: CliContext, request_of: Any, act: Any, done: str) -> int:
    """A Vault change that needs a token (seal, step-down): its gate, then the token, then the call."""
    from actions import vault

    target = _target(ctx)
    permit = _permit(request_of(target), args.confirm, target.host, ctx.settings.operator)
    try:
        after = act(target, _token(), permit, ctx.journal)
    except vault.VaultError as exc:
        raise CliError(str(exc)) from None
    # A step-down returns the reading once a node has the active role again: say where things stand.
    now = f"; now {after.summary()}" if isinstance(after, vault.VaultStatus) else ""
    print(f"{target.addr}: {done}{now}")
    return 0


def run_seal(args: argparse.Namespace, ctx: CliContext) -> int:
    """Seal Vault behind the typed confirmation, with a token from the environment or a prompt."""
    from actions import vault

    return _with_token(args, ctx, vault.seal_request, vault.seal, "sealed")


def run_step_down(args: argparse.Namespace, ctx: CliContext) -> int:
    """Make the active Vault node step down, behind the gate."""
    from actions import vault

    return _with_token(args, ctx, vault.step_down_request, vault.step_down, "stepped down")
