"""Seal and step-down: changes that need a token and a permit.

Sealing stops every reader of secrets until enough key holders unseal again, so it asks for the
Vault's host name to be typed (destructive level); a step-down only hands the active role to another
node (change level).
"""

from __future__ import annotations

from pydantic import SecretStr

from actions import change_log
from actions.gates import GateRequest, Level, Permit, require
from actions.journal import Journal
from actions.vault.connect import VaultError, VaultTarget, client, translate


def seal_request(target: VaultTarget) -> GateRequest:
    """The confirmation a seal needs: destructive, the Vault's host name typed."""
    return GateRequest(
        kind="vault.seal",
        level=Level.DESTRUCTIVE,
        title=f"Seal Vault at {target.addr}",
        command=("PUT", f"{target.addr}/v1/sys/seal"),
        targets=(target.addr,),
        details=("Everything that reads secrets stops until Vault is unsealed again with the key shares.",),
        confirm_name=target.host,
    )


def step_down_request(target: VaultTarget) -> GateRequest:
    """The confirmation a step-down needs: a change to the lab."""
    return GateRequest(
        kind="vault.step-down",
        level=Level.CHANGE,
        title=f"Step down the active Vault node at {target.addr}",
        command=("PUT", f"{target.addr}/v1/sys/step-down"),
        targets=(target.addr,),
        details=(
            "Another unsealed node takes the active role; on a single node the same node takes it back.",
        ),
    )


def _need_token(token: SecretStr | None, what: str) -> SecretStr:
    if token is None or not token.get_secret_value():
        raise VaultError(f"{what} needs a Vault token: set $VAULT_TOKEN or log in")
    return token


def seal(
    target: VaultTarget, token: SecretStr | None, permit: Permit | None, journal: Journal | None = None
) -> None:
    """Seal Vault with ``permit`` and ``token``; journalled."""
    require(permit, seal_request(target))
    token = _need_token(token, "sealing")
    with change_log.recorded(journal, permit, "sealed", VaultError):
        try:
            client(target, token).sys.seal()
        except Exception as exc:
            raise translate(exc, target, token.get_secret_value()) from None


def step_down(
    target: VaultTarget, token: SecretStr | None, permit: Permit | None, journal: Journal | None = None
) -> None:
    """Make the active node step down with ``permit`` and ``token``; journalled."""
    require(permit, step_down_request(target))
    token = _need_token(token, "a step-down")
    with change_log.recorded(journal, permit, "stepped down", VaultError):
        try:
            client(target, token).sys.step_down()
        except Exception as exc:
            raise translate(exc, target, token.get_secret_value()) from None
