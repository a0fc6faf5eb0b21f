"""What a ``show -json`` plan document says besides its changes: which tool wrote it, which format
version it is, and what its ``planned_values`` and ``prior_state`` mark sensitive (older documents mark
sensitivity only there)."""

from __future__ import annotations

from typing import Any

from actions.tofu.errors import TofuError

#: The major versions of the JSON plan format read here (0.x was Terraform 0.12-0.15's).
FORMAT_MAJORS = ("0", "1")


class PlanFormatError(TofuError):
    """A plan document this version cannot read faithfully (unknown action list, unknown major version)."""


def sensitive_values(values: Any) -> dict[str, Any]:
    """address -> ``sensitive_values`` of every resource in a values representation (with its modules)."""
    out: dict[str, Any] = {}
    stack = [values.get("root_module")] if isinstance(values, dict) else []
    while stack:
        module = stack.pop()
        if not isinstance(module, dict):
            continue
        for res in module.get("resources") or []:
            if isinstance(res, dict) and "sensitive_values" in res:
                out[str(res.get("address"))] = res["sensitive_values"]
        stack.extend(module.get("child_modules") or [])
    return out


def output_sensitive(values: Any) -> dict[str, bool]:
    """output name -> whether a values representation marks it sensitive."""
    outputs = values.get("outputs") if isinstance(values, dict) else None
    if not isinstance(outputs, dict):
        return {}
    return {name: bool(o.get("sensitive")) for name, o in outputs.items() if isinstance(o, dict)}


def by_opentofu(doc: dict[str, Any]) -> bool:
    """Whether OpenTofu wrote the document: its providers come from its own registry, and it orders a
    create-forget as ``["forget", "create"]``. Terraform's ``terraform_version`` numbers overlap."""
    for raw in doc.get("resource_changes") or []:
        if not isinstance(raw, dict):
            continue
        if "registry.opentofu.org/" in str(raw.get("provider_name", "")):
            return True
        if (raw.get("change") or {}).get("actions") == ["forget", "create"]:
            return True
    config = doc.get("configuration") if isinstance(doc.get("configuration"), dict) else {}
    providers = (config or {}).get("provider_config") or {}
    return any("registry.opentofu.org/" in str(p.get("full_name", ""))
               for p in providers.values() if isinstance(p, dict))


def check_version(doc: dict[str, Any]) -> None:
    """:class:`PlanFormatError` for a major version of the format not read here (the format says to
    refuse those rather than guess)."""
    version = str(doc.get("format_version") or "")
    if version and version.split(".")[0] not in FORMAT_MAJORS:
        raise PlanFormatError(f"plan format version {version} is not one this version reads (0.x or 1.x)")
