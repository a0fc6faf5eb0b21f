"""Initialise a new Vault (bring-up only): a destructive action behind a typed confirmation.

Initialising creates the master key, splits it into shares and issues the root token. They exist once,
in the answer to this call; :class:`InitResult` holds them as secrets for the screen that shows them to
the operator and must be dropped as soon as the operator has stored them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr

from actions import change_log
from actions.gates import GateRequest, Level, Permit, require
from actions.journal import Journal
from actions.vault.connect import VaultError, VaultTarget, client, translate
from actions.vault.status import VaultState, read_status

MAX_SHARES = 255


class InitPlan(BaseModel):
    """How many shares to make and how many unseal Vault."""

    model_config = ConfigDict(frozen=True)

    shares: int
    threshold: int


def check_plan(shares: int, threshold: int) -> InitPlan:
    """The plan, or :class:`ValueError` with the rule it breaks (Vault's own rules)."""
    if not 1 <= shares <= MAX_SHARES:
        raise ValueError(f"shares must be between 1 and {MAX_SHARES} (got {shares})")
    if not 1 <= threshold <= shares:
        raise ValueError(f"threshold must be between 1 and the number of shares, {shares} (got {threshold})")
    if shares > 1 and threshold < 2:
        raise ValueError("with more than one share the threshold must be at least 2")
    return InitPlan(shares=shares, threshold=threshold)


def init_request(target: VaultTarget, plan: InitPlan) -> GateRequest:
    """The confirmation an init needs: destructive, confirmed by typing the Vault's host name."""
    return GateRequest(
        kind="vault.init",
        level=Level.DESTRUCTIVE,
        title=f"Initialise Vault at {target.addr}",
        command=("PUT", f"{target.addr}/v1/sys/init"),
        targets=(target.addr,),
        details=(
            f"{plan.shares} key shares, {plan.threshold} needed to unseal.",
            "The shares and the root token are shown once, then never again: have their storage ready.",
        ),
        confirm_name=target.host,
    )


class InitResult(BaseModel):
    """The one copy of the new shares and root token; ``repr`` never shows them."""

    shares: tuple[SecretStr, ...]
    root_token: SecretStr
    threshold: int


def initialise(
    target: VaultTarget, plan: InitPlan, permit: Permit | None, journal: Journal | None = None
) -> InitResult:
    """Initialise Vault as ``plan`` says; refuses a Vault that is already initialised. The attempt is
    journalled (when ``journal`` is given) with the plan, never with a share or the token."""
    require(permit, init_request(target, plan))
    done = f"initialised: {plan.shares} key shares, {plan.threshold} needed to unseal"
    with change_log.recorded(journal, permit, done, VaultError):
        status = read_status(target)
        if status.state is VaultState.UNREACHABLE:
            raise VaultError(status.error or f"{target.addr}: unreachable")
        if status.initialized:
            raise VaultError(f"{target.addr}: Vault is already initialised; nothing was changed")
        try:
            answer = client(target).sys.initialize(secret_shares=plan.shares, secret_threshold=plan.threshold)
        except Exception as exc:
            raise translate(exc, target) from None
    try:
        return InitResult(
            shares=tuple(SecretStr(key) for key in answer["keys"]),
            root_token=SecretStr(answer["root_token"]),
            threshold=plan.threshold,
        )
    finally:
        answer.clear()
