"""The plan summary, built from ``show -json <planfile>``: counts, changes grouped by action, detail, drift.

Pure logic, no process: :func:`summarize` takes the parsed document. Sensitive values stay masked in
:meth:`ResourceChange.attributes` unless the caller asks to reveal them; the summary never leaves memory
(only its counts are saved next to the plan). Changes are slotted dataclasses rather than pydantic models:
a plan has thousands of them, the document was already checked by the binary that wrote it, and
validating each one again cost more than everything else in building the summary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

MASK = "(sensitive)"
UNKNOWN = "(known after apply)"


class Action(StrEnum):
    DELETE = "delete"
    REPLACE = "replace"
    FORGET = "forget"
    UPDATE = "update"
    CREATE = "create"
    READ = "read"
    NOOP = "no-op"

    @property
    def destructive(self) -> bool:
        return self in (Action.DELETE, Action.REPLACE)

    @property
    def symbol(self) -> str:
        return {"delete": "-", "replace": "-/+", "forget": ".", "update": "~", "create": "+", "read": "<=",
                "no-op": " "}[self.value]


#: Display order: what destroys first.
ACTION_ORDER = (Action.DELETE, Action.REPLACE, Action.FORGET, Action.UPDATE, Action.CREATE, Action.READ)


def action_of(actions: list[str]) -> Action:
    """Terraform's ``actions`` list as one action: ``[delete, create]`` (either order) is a replace."""
    kinds = set(actions)
    if {"delete", "create"} <= kinds:
        return Action.REPLACE
    if len(actions) == 1 and actions[0] in Action._value2member_map_:
        return Action(actions[0])
    return Action.NOOP


class Counts(BaseModel):
    """How many resources each action touches (a replace counts once, as replace)."""

    add: int = 0
    change: int = 0
    destroy: int = 0
    replace: int = 0
    read: int = 0
    forget: int = 0

    @property
    def destructive(self) -> bool:
        return self.destroy > 0 or self.replace > 0

    @property
    def total(self) -> int:
        return self.add + self.change + self.destroy + self.replace + self.read + self.forget

    def line(self) -> str:
        text = (f"{self.add} to add, {self.change} to change, {self.destroy} to destroy, "
                f"{self.replace} to replace")
        extra = [f"{self.read} to read"] if self.read else []
        extra += [f"{self.forget} to forget"] if self.forget else []
        return ", ".join([text, *extra])


_COUNT_FIELD = {Action.CREATE: "add", Action.UPDATE: "change", Action.DELETE: "destroy",
                Action.REPLACE: "replace", Action.READ: "read", Action.FORGET: "forget"}


class AttributeRow(BaseModel):
    """One top-level attribute of a change, rendered as text (masked or unknown where it must be)."""

    name: str
    before: str | None
    after: str | None
    changed: bool
    sensitive: bool
    forces_replace: bool = False


def _masked(value: Any, sens: Any) -> Any:
    if sens is True:
        return MASK
    if isinstance(value, dict) and isinstance(sens, dict):
        return {k: _masked(v, sens.get(k)) for k, v in value.items()}
    if isinstance(value, list) and isinstance(sens, list):
        return [_masked(v, sens[i] if i < len(sens) else None) for i, v in enumerate(value)]
    return value


def _has_true(tree: Any) -> bool:
    if tree is True:
        return True
    if isinstance(tree, dict):
        return any(_has_true(v) for v in tree.values())
    if isinstance(tree, list):
        return any(_has_true(v) for v in tree)
    return False


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value if value in (MASK, UNKNOWN) else json.dumps(value)
    return json.dumps(value, sort_keys=True)


@dataclass(slots=True)
class ResourceChange:
    """One resource's planned change (or drift), as in ``resource_changes`` / ``resource_drift``."""

    address: str
    action: Action
    type: str = ""
    mode: str = "managed"
    reason: str | None = None
    before: Any = None
    after: Any = None
    after_unknown: Any = None
    before_sensitive: Any = None
    after_sensitive: Any = None
    replace_paths: list[list[Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ResourceChange:
        change = doc.get("change") or {}
        return cls(
            address=str(doc.get("address", "?")),
            action=action_of(list(change.get("actions") or [])),
            type=str(doc.get("type", "")),
            mode=str(doc.get("mode", "managed")),
            reason=doc.get("action_reason"),
            before=change.get("before"),
            after=change.get("after"),
            after_unknown=change.get("after_unknown"),
            before_sensitive=change.get("before_sensitive"),
            after_sensitive=change.get("after_sensitive"),
            replace_paths=list(change.get("replace_paths") or []),
        )

    @property
    def has_sensitive(self) -> bool:
        return _has_true(self.before_sensitive) or _has_true(self.after_sensitive)

    def attributes(self, reveal: bool = False) -> list[AttributeRow]:
        """Before/after per top-level attribute; sensitive ones masked unless ``reveal``."""
        before = self.before if isinstance(self.before, dict) else {}
        after = self.after if isinstance(self.after, dict) else {}
        unknown = self.after_unknown if isinstance(self.after_unknown, dict) else {}
        b_sens = self.before_sensitive if isinstance(self.before_sensitive, dict) else {}
        a_sens = self.after_sensitive if isinstance(self.after_sensitive, dict) else {}
        whole_b = self.before_sensitive is True
        whole_a = self.after_sensitive is True
        forcing = {str(path[0]) for path in self.replace_paths if path}
        rows = []
        for name in sorted(set(before) | set(after) | set(unknown)):
            sens_b = True if whole_b else b_sens.get(name)
            sens_a = True if whole_a else a_sens.get(name)
            sensitive = _has_true(sens_b) or _has_true(sens_a)
            b_val = before.get(name) if self.before is not None else None
            a_val = after.get(name) if self.after is not None else None
            is_unknown = _has_true(unknown.get(name))
            changed = (b_val != a_val) or is_unknown
            if self.action is Action.CREATE or self.before is None:
                b_txt = None
            else:
                b_txt = _text(b_val if reveal else _masked(b_val, sens_b))
            if self.after is None and not is_unknown:
                a_txt = None
            elif is_unknown and unknown.get(name) is True:
                a_txt = UNKNOWN
            else:
                a_txt = _text(a_val if reveal else _masked(a_val, sens_a))
            rows.append(AttributeRow(name=name, before=b_txt, after=a_txt, changed=changed,
                                     sensitive=sensitive, forces_replace=name in forcing))
        return rows


@dataclass(slots=True)
class OutputChange:
    """One root output's change."""

    name: str
    action: Action
    before: Any = None
    after: Any = None
    sensitive: bool = False
    after_unknown: bool = False

    def shown(self, reveal: bool = False) -> tuple[str | None, str | None]:
        if self.sensitive and not reveal:
            return (MASK if self.before is not None else None, MASK if self.after is not None else None)
        before = None if self.before is None else _text(self.before)
        after = UNKNOWN if self.after_unknown else (None if self.after is None else _text(self.after))
        return before, after


@dataclass(slots=True)
class PlanSummary:
    """Everything the plan pane and the CLI show about one saved plan.

    ``changes`` and ``outputs`` leave no-ops out; ``drift`` is what changed outside OpenTofu.
    """

    counts: Counts
    changes: list[ResourceChange]
    outputs: list[OutputChange]
    drift: list[ResourceChange]
    errored: bool = False
    terraform_version: str = ""

    @property
    def has_changes(self) -> bool:
        return bool(self.changes or self.outputs)

    @property
    def destructive(self) -> bool:
        return self.counts.destructive

    def grouped(self) -> list[tuple[Action, list[ResourceChange]]]:
        """Changes grouped by action, destroy and replace first; empty groups left out."""
        groups: dict[Action, list[ResourceChange]] = {a: [] for a in ACTION_ORDER}
        for change in self.changes:
            groups.setdefault(change.action, []).append(change)
        return [(a, groups[a]) for a in ACTION_ORDER if groups.get(a)]

    def find(self, address: str) -> ResourceChange | None:
        return next((c for c in self.changes if c.address == address), None)


def summarize(doc: dict[str, Any]) -> PlanSummary:
    """The summary of a ``show -json`` plan document."""
    changes = []
    counts = Counts()
    for raw in doc.get("resource_changes") or []:
        change = ResourceChange.from_json(raw)
        if change.action is Action.NOOP:
            continue
        changes.append(change)
        field = _COUNT_FIELD[change.action]
        setattr(counts, field, getattr(counts, field) + 1)
    outputs = []
    for name, raw in sorted((doc.get("output_changes") or {}).items()):
        action = action_of(list(raw.get("actions") or []))
        if action is Action.NOOP:
            continue
        outputs.append(OutputChange(
            name=name, action=action, before=raw.get("before"), after=raw.get("after"),
            sensitive=bool(raw.get("before_sensitive") or raw.get("after_sensitive")),
            after_unknown=raw.get("after_unknown") is True,
        ))
    drift = [ResourceChange.from_json(raw) for raw in doc.get("resource_drift") or []]
    return PlanSummary(
        counts=counts, changes=changes, outputs=outputs, drift=drift,
        errored=bool(doc.get("errored")), terraform_version=str(doc.get("terraform_version", "")),
    )


def summary_json(summary: PlanSummary, root: str) -> dict[str, Any]:
    """The headless (``--json``) form: counts, addresses grouped by action, outputs and drift, no values."""
    return {
        "root": root,
        "counts": summary.counts.model_dump(),
        "has_changes": summary.has_changes,
        "destructive": summary.destructive,
        "changes": {a.value: [c.address for c in items] for a, items in summary.grouped()},
        "reasons": {c.address: c.reason for c in summary.changes if c.reason},
        "outputs": {o.name: o.action.value for o in summary.outputs},
        "drift": [{"address": d.address, "action": d.action.value} for d in summary.drift],
    }
