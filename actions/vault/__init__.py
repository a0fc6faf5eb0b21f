"""Vault operations with hvac: health and seal status, init, unseal, seal and step-down.

``connect`` finds the Vault and words its errors; ``status`` reads it; ``unseal``, ``initialise`` and
``operate`` change it, each behind a permit from :mod:`actions.gates`. Secrets (key shares, the root
token, an operator's token) are :class:`~pydantic.SecretStr` in memory only.
"""

from __future__ import annotations

from actions.vault.connect import (
    VaultError,
    VaultTarget,
    VaultUnreachable,
    resolve_target,
    token_from_env,
)
from actions.vault.initialise import InitPlan, InitResult, check_plan, init_request, initialise
from actions.vault.operate import seal, seal_request, step_down, step_down_request
from actions.vault.status import VaultState, VaultStatus, is_stale, read_status
from actions.vault.unseal import (
    ShareOutcome,
    ShareResult,
    UnsealSession,
    decode_share,
    unseal_request,
    wait_settled,
)

__all__ = [
    "InitPlan",
    "InitResult",
    "ShareOutcome",
    "ShareResult",
    "UnsealSession",
    "VaultError",
    "VaultState",
    "VaultStatus",
    "VaultTarget",
    "VaultUnreachable",
    "check_plan",
    "decode_share",
    "init_request",
    "initialise",
    "is_stale",
    "read_status",
    "resolve_target",
    "seal",
    "seal_request",
    "step_down",
    "step_down_request",
    "token_from_env",
    "unseal_request",
    "wait_settled",
]
