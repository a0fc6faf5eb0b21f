"""Seal and step-down: changes that need a token and a permit.

Sealing stops every reader of secrets until enough key holders unseal again, so it asks for the
Vault's host name to be typed (destructive level); a step-down only hands the active role to another
node (change level). A step-down returns once it has taken effect: the server answers first and gives the
role up afterwards, and a single raft node takes it back some ten seconds later; a seal sent in between
would meet the node mid-way.
"""

from __future__ import annotations

from pydantic import SecretStr

from actions import change_log
from actions.gates import GateRequest, Level, Permit, require
from actions.journal import Journal
from actions.vault.connect import VaultError, VaultTarget, client, translate
from actions.vault.status import VaultStatus, poll_status, read_status
from actions.vault.unseal import is_settled

#: Seconds a step-down may take to hand the active role over (a lone node takes it back after about 10).
STEP_DOWN_SETTLE = 45.0


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
    target: VaultTarget, token: SecretStr | None, permit: Permit | None, journal: Journal | None = None,
    settle: float = STEP_DOWN_SETTLE, poll: float = 0.25,
) -> VaultStatus:
    """Make the active node step down with ``permit`` and ``token`` (journalled), then wait until a node is
    active since the step-down (another one, or this one taking the role back); returns that reading.

    Raises :class:`VaultError` when no node has taken the role within ``settle`` seconds (the step-down
    itself was done, and journalled).
    """
    require(permit, step_down_request(target))
    token = _need_token(token, "a step-down")
    before = read_status(target)
    with change_log.recorded(journal, permit, "stepped down", VaultError):
        try:
            client(target, token).sys.step_down()
        except Exception as exc:
            raise translate(exc, target, token.get_secret_value()) from None
    if not before.ha_enabled or before.active_time is None:
        return read_status(target)  # no election to wait for
    status, taken = poll_status(
        target, lambda s: s.active_time not in (None, before.active_time) and is_settled(s), settle, poll)
    if taken or status.error or status.sealed:
        return status
    raise VaultError(f"{target.addr}: stepped down, but no node took the active role within {settle:.0f} s")
