"""Where Vault is, how to trust it, and how to talk to it: the target, the token and readable errors.

The conventions of the ``vault`` CLI hold: the environment wins. The address is ``$VAULT_ADDR``, else the
settings (``vault.addr``), else the lab's inventory (``factory_vault_addr``); the target says which.
TLS is verified against ``$VAULT_CACERT``, else ``vault.ca_cert``, else the system store.

One exception: a sandbox or rehearsal lab whose inventory names its own Vault always gets that one.
``$VAULT_ADDR`` and ``vault.addr`` name the operator's real Vault; ``-i sandbox`` must never reach it.

A token is only needed to seal or step down; it comes from ``$VAULT_TOKEN`` before any prompt and is held
as a :class:`~pydantic.SecretStr`, handed to hvac for one call and dropped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import hvac
import hvac.exceptions
import requests
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from actions.config import Settings
from actions.lab import Lab


class VaultError(Exception):
    """A Vault call that failed; the message is one readable line for the operator, never a secret."""


class VaultUnreachable(VaultError):
    """Vault did not answer (refused, timed out, TLS failure)."""


class VaultTarget(BaseModel):
    """One Vault server: its address and how to verify it."""

    model_config = ConfigDict(frozen=True)

    addr: str
    ca_cert: Path | None = None
    timeout: float = 5.0
    addr_source: str = Field("", description="Where the address came from, in the operator's words.")
    ca_source: str = Field("", description="Where the CA bundle came from ('' for the system store).")

    @property
    def host(self) -> str:
        """The address's host name: what the operator types to confirm a destructive action."""
        return urlsplit(self.addr).hostname or self.addr

    @property
    def verify(self) -> bool | str:
        """What requests verifies TLS with: the CA bundle's path, or the system store."""
        return str(self.ca_cert) if self.ca_cert else True


def resolve_target(
    settings: Settings, lab: Lab | None = None, env: Mapping[str, str] | None = None
) -> VaultTarget:
    """The Vault the operator means, or :class:`VaultError` saying where an address can be set."""
    env = os.environ if env is None else env
    if lab is not None and lab.kind != "real" and lab.vault_addr:
        return _own_vault(settings, lab)
    addr, source = _first_set(
        (env.get("VAULT_ADDR"), "$VAULT_ADDR"),
        (settings.vault.addr, "settings vault.addr"),
        (lab.vault_addr if lab else None, f"inventory {lab.inventory}" if lab else ""),
    )
    if not addr:
        raise VaultError(
            "no Vault address: set $VAULT_ADDR, vault.addr in the settings, or factory_vault_addr in the "
            "inventory"
        )
    addr = _checked(addr, source)
    ca_text, ca_source = _first_set(
        (env.get("VAULT_CACERT"), "$VAULT_CACERT"),
        (str(settings.vault.ca_cert) if settings.vault.ca_cert else None, "settings vault.ca_cert"),
    )
    ca_cert = Path(ca_text).expanduser() if ca_text else None
    if ca_cert is not None and not ca_cert.is_file():
        raise VaultError(f"{ca_source} {ca_cert}: file not found")
    return VaultTarget(
        addr=addr, ca_cert=ca_cert, timeout=settings.vault.timeout, addr_source=source, ca_source=ca_source,
    )


def _own_vault(settings: Settings, lab: Lab) -> VaultTarget:
    """A sandbox's or rehearsal lab's own Vault, whatever the environment and settings name. Its CA is
    not the real lab's either: the system store, as for any address of its own."""
    assert lab.vault_addr is not None
    source = f"the {lab.kind} lab's inventory {lab.inventory}"
    return VaultTarget(addr=_checked(lab.vault_addr, source), timeout=settings.vault.timeout, addr_source=source)


def _checked(addr: str, source: str) -> str:
    """``addr`` without its trailing slash, or :class:`VaultError` when it is not an http(s) URL."""
    addr = addr.strip().rstrip("/")
    parts = urlsplit(addr)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise VaultError(f"Vault address {addr!r} (from {source}) is not an http(s) URL")
    return addr


def _first_set(*candidates: tuple[str | None, str]) -> tuple[str, str]:
    """The first value that is set (blank counts as unset, as for the vault CLI) and where it came from."""
    for value, source in candidates:
        if value and value.strip():
            return value.strip(), source
    return "", ""


def token_from_env(env: Mapping[str, str] | None = None) -> SecretStr | None:
    """``$VAULT_TOKEN`` as a secret, or None (the caller then asks the operator)."""
    env = os.environ if env is None else env
    value = (env.get("VAULT_TOKEN") or "").strip()
    return SecretStr(value) if value else None


def client(target: VaultTarget, token: SecretStr | None = None) -> Any:
    """An hvac client for one call. Without ``token`` it is unauthenticated on purpose: an empty token
    keeps hvac from reading ``$VAULT_TOKEN`` or ``~/.vault-token`` on its own."""
    return hvac.Client(
        url=target.addr,
        token=token.get_secret_value() if token is not None else "",
        verify=target.verify,
        timeout=target.timeout,
    )


_URL_TAIL = re.compile(r",\s*on (get|put|post|delete|list) \S+$", re.IGNORECASE)


def reason(exc: BaseException, *secrets: str) -> str:
    """The server's own words without hvac's ``, on put URL`` tail; any secret in it is masked."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = _URL_TAIL.sub("", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    return text


def translate(exc: BaseException, target: VaultTarget, *secrets: str) -> VaultError:
    """Any failure of a Vault call as a :class:`VaultError` with one readable line."""
    if isinstance(exc, VaultError):
        return exc
    if isinstance(exc, requests.exceptions.SSLError):
        return VaultUnreachable(f"{target.addr}: TLS verification failed (is vault.ca_cert the right CA?)")
    if isinstance(exc, requests.exceptions.Timeout):
        return VaultUnreachable(f"{target.addr}: no answer within {target.timeout:g}s")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return VaultUnreachable(f"{target.addr}: cannot connect (is Vault running and reachable?)")
    if isinstance(exc, hvac.exceptions.Forbidden):
        return VaultError(f"{target.addr}: permission denied (is the token valid and allowed?)")
    if isinstance(exc, hvac.exceptions.VaultError):
        return VaultError(f"{target.addr}: {reason(exc, *secrets)}")
    if isinstance(exc, requests.exceptions.RequestException):
        return VaultUnreachable(f"{target.addr}: {reason(exc, *secrets)}")
    return VaultError(f"{target.addr}: {type(exc).__name__}: {reason(exc, *secrets)}")
