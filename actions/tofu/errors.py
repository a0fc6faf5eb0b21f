"""Errors of the OpenTofu adapter. Each message is one readable line (or a few) meant for the operator."""

from __future__ import annotations

import re
from typing import Any


class TofuError(Exception):
    """Something the operator must know about a root, a plan or the binary; ``str()`` says it plainly."""


class TofuNotFound(TofuError):
    """No usable ``tofu``/``terraform`` binary."""


class UnknownRoot(TofuError):
    """A root name that is neither in the repository nor in the settings."""


class RootBusy(TofuError):
    """Another plan or apply holds the root's lock (maybe in another app instance)."""


class InitFailed(TofuError):
    """``init`` failed: bad configuration, unreachable backend, or a provider that cannot be installed."""


class PlanFailed(TofuError):
    """``plan`` (or ``show``) failed; the message carries the diagnostics."""


class NoSavedPlan(TofuError):
    """Apply asked for a root that has no saved plan to apply (or only a failed one)."""


class StalePlan(TofuError):
    """The saved plan is too old, or the state moved since it was made: plan again."""


class ApplyFailed(TofuError):
    """``apply`` of the saved plan failed; the state may be partly changed."""


class TofuCancelled(TofuError):
    """The operator cancelled the run; the process was stopped."""


def format_diagnostic(diag: dict[str, Any]) -> str:
    """``main.tf:2: Invalid expression: Expected the start of an expression...`` from a JSON diagnostic."""
    summary = str(diag.get("summary") or "").strip().split("\n\n")[0].replace("\n", " ")
    detail = str(diag.get("detail") or "").strip()
    where = ""
    rng = diag.get("range")
    if isinstance(rng, dict) and rng.get("filename"):
        line = (rng.get("start") or {}).get("line")
        where = f"{rng['filename']}:{line}: " if line else f"{rng['filename']}: "
    text = f"{where}{summary}"
    if detail:
        # Keep the first paragraph: the rest is usually advice on commands the operator does not run here.
        text += ": " + detail.split("\n\n")[0].replace("\n", " ")
    return text


_PROVIDER = re.compile(r"provider ((?:[\w.-]+/)?[\w.-]+/[\w.-]+)")
_PROVIDER_TROUBLE = (
    "Failed to query available provider packages",
    "Failed to install provider",
    "Failed to resolve provider packages",
    "Incompatible provider version",
    "Required plugins are not installed",
    "Missing required provider",
)


def provider_unavailable(diags: list[dict[str, Any]]) -> str | None:
    """When init failed because a provider cannot be installed here, one clear sentence saying so."""
    for diag in diags:
        summary = str(diag.get("summary") or "")
        detail = str(diag.get("detail") or "")
        unreachable = "registry" in detail and "connect" in detail
        if unreachable or any(marker in summary for marker in _PROVIDER_TROUBLE):
            match = _PROVIDER.search(detail) or _PROVIDER.search(summary)
            name = match.group(1) if match else "a required provider"
            return (
                f"provider {name} is not available on this machine: the registry cannot be reached and no "
                "plugin cache or mirror holds it. Plan this root where the registry is reachable, or set a "
                "provider mirror in the CLI config (TF_CLI_CONFIG_FILE)."
            )
    return None


def backend_hint(diags: list[dict[str, Any]], backend: bool) -> str | None:
    """A plain next step when the failure is about the state backend rather than the configuration."""
    for diag in diags:
        summary = str(diag.get("summary") or "")
        if summary.startswith("Backend initialization required") and not backend:
            return (
                "this root keeps its state in a remote backend, so a plan needs it: plan again with the "
                "backend (without -backend=false / --no-backend), with the backend's credentials in the "
                "environment"
            )
        if "could not find default credentials" in summary:
            return (
                "the gcs state backend found no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS "
                "(or GOOGLE_OAUTH_ACCESS_TOKEN) in the environment, or plan where CI's credentials are"
            )
    return None
