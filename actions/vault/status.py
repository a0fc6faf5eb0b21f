"""Vault's health and seal status as one typed reading, and the one-line word for it.

A reading is taken from the unauthenticated endpoints only (``sys/health``, ``sys/seal-status``,
``sys/leader``), so it needs no token. An unreachable Vault is a reading too, with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import hvac.exceptions
import requests
from pydantic import BaseModel, Field

from actions.vault.connect import VaultTarget, client, translate


class VaultState(StrEnum):
    """Vault's state in one word."""
    UNSEALED = "unsealed"
    SEALED = "sealed"
    UNINITIALISED = "not initialised"
    UNREACHABLE = "unreachable"


class VaultStatus(BaseModel):
    """One reading of a Vault server."""

    addr: str
    read_at: float = Field(default_factory=time.time, description="time.time() of the reading.")
    error: str | None = Field(
        default=None, description="Why Vault could not be read; then nothing else is known.",
    )
    initialized: bool | None = None
    sealed: bool | None = None
    threshold: int = Field(default=0, description="Shares needed to unseal (t).")
    shares: int = Field(default=0, description="Shares in total (n).")
    progress: int = Field(default=0, description="Shares entered so far in the current unseal attempt.")
    nonce: str = ""
    version: str | None = None
    seal_type: str | None = None
    storage_type: str | None = None
    standby: bool | None = None
    ha_enabled: bool | None = None
    leader_address: str | None = None
    leader_is_self: bool | None = None
    active_time: str | None = Field(
        default=None, description="When the active node took the role (a step-down makes a new one).",
    )
    cluster_name: str | None = None

    @property
    def state(self) -> VaultState:
        """Unreachable, not initialised, sealed or unsealed."""
        if self.error is not None:
            return VaultState.UNREACHABLE
        if not self.initialized:
            return VaultState.UNINITIALISED
        return VaultState.SEALED if self.sealed else VaultState.UNSEALED

    @property
    def ha_mode(self) -> str:
        """``active``, ``standby`` or ``-`` (sealed or unknown): what this node does in its cluster."""
        if self.state is not VaultState.UNSEALED or self.standby is None:
            return "-"
        return "standby" if self.standby else "active"

    def summary(self) -> str:
        """unsealed / sealed 1 of 3 / not initialised / unreachable."""
        state = self.state
        if state is VaultState.SEALED:
            return f"sealed {self.progress} of {self.threshold}"
        if state is VaultState.UNSEALED and self.standby:
            return "unsealed (standby)"
        return state.value

    def age(self, now: float | None = None) -> float:
        """Seconds since the reading."""
        return max(0.0, (time.time() if now is None else now) - self.read_at)

    def to_json(self) -> dict[str, Any]:
        """The reading as a JSON document, with its state, HA mode and summary."""
        doc = self.model_dump(mode="json")
        doc["state"] = self.state.value
        doc["ha_mode"] = self.ha_mode
        doc["summary"] = self.summary()
        return doc


def read_status(target: VaultTarget) -> VaultStatus:
    """Read Vault's state now. Never raises for an unreachable or failing Vault: the reading says so."""
    started = time.time()
    try:
        return _read(target, started)
    except (requests.RequestException, hvac.exceptions.VaultError, ValueError, KeyError) as exc:
        # Every failure of Vault (not of this code) becomes a reading the screens can show.
        return VaultStatus(addr=target.addr, read_at=started, error=str(translate(exc, target)))


def _read(target: VaultTarget, started: float) -> VaultStatus:
    api = client(target)
    # Ask for 200 in every state so hvac hands back the body instead of a bare response.
    health = api.sys.read_health_status(
        method="GET", standby_ok=True, sealed_code=200, uninit_code=200
    )
    if not isinstance(health, dict):
        health = health.json()
    seal = api.sys.read_seal_status()
    leader: dict[str, Any] = {}
    if seal.get("initialized") and not seal.get("sealed"):
        try:
            leader = api.sys.read_leader_status()
        except (requests.RequestException, hvac.exceptions.VaultError):
            # The leader endpoint is optional detail; the seal state is what matters.
            leader = {}
    return VaultStatus(
        addr=target.addr,
        read_at=started,
        initialized=bool(seal.get("initialized")),
        sealed=bool(seal.get("sealed")),
        threshold=int(seal.get("t") or 0),
        shares=int(seal.get("n") or 0),
        progress=int(seal.get("progress") or 0),
        nonce=str(seal.get("nonce") or ""),
        version=seal.get("version") or health.get("version"),
        seal_type=seal.get("type"),
        storage_type=seal.get("storage_type"),
        standby=health.get("standby") if not seal.get("sealed") else None,
        ha_enabled=leader.get("ha_enabled"),
        leader_address=leader.get("leader_address") or None,
        leader_is_self=leader.get("is_self"),
        # A node with no leader reports the zero time ("0001-01-01..."): no active node, no time.
        active_time=leader.get("active_time") if not str(leader.get("active_time", "0")).startswith("0001") else None,
        cluster_name=seal.get("cluster_name") or health.get("cluster_name"),
    )


def is_stale(status: VaultStatus | None, interval: float, now: float | None = None) -> bool:
    """A reading older than two polling intervals is stale (the same rule as the hosts' health)."""
    return status is None or status.age(now) > 2 * interval


def poll_status(target: VaultTarget, until: Callable[[VaultStatus], bool], timeout: float,
                poll: float = 0.25) -> tuple[VaultStatus, bool]:
    """Read ``target``'s status every ``poll`` seconds until ``until`` holds, the node cannot be read, it is
    sealed, or ``timeout`` has passed; the last reading, and whether ``until`` held for it."""
    deadline = time.monotonic() + timeout
    while True:
        status = read_status(target)
        if until(status):
            return status, True
        if status.error or status.sealed or time.monotonic() >= deadline:
            return status, False
        time.sleep(poll)
