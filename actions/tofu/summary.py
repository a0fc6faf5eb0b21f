"""The plan summary, built from ``show -json <planfile>``: counts, changes grouped by action, detail, drift.

Pure logic, no process: :func:`summarize` takes the parsed document. It reads the JSON plan format as
OpenTofu and Terraform define it: every action list the format knows (a replace either way round, a forget,
a create that forgets the old object either way round), moves (``previous_address``), imports
(``change.importing``), deposed objects, deferred changes, and sensitivity marked in the change or only
in ``planned_values``/``prior_state`` (older documents). An action list it does not know, or a format
major version it does not read, is a :class:`PlanFormatError`, never a silent no-op.

The counts line is the tool's own ``Plan:`` line (a replace is one add and one destroy there), with
replace, move and read beside it. Sensitive values stay masked in :meth:`ResourceChange.attributes` on
both sides unless the caller asks to reveal them; the summary never leaves memory (only its counts are
saved next to the plan). Changes are slotted dataclasses rather than pydantic models: a plan has thousands
of them, the document was already checked by the binary that wrote it, and validating each one again cost
more than everything else in building the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from actions.tofu.counts import Counts
from actions.tofu.plan_doc import (
    PlanFormatError,
    by_opentofu,
    check_version,
    output_sensitive,
    sensitive_values,
)
from actions.tofu.values import MASK, UNKNOWN, child, has_true, shown, union

__all__ = ["MASK", "UNKNOWN", "Action", "AttributeRow", "Counts", "OutputChange", "PlanFormatError",
           "PlanSummary", "ResourceChange", "action_of", "summarize", "summary_json"]


class Action(StrEnum):
    """What happens to one object. ``import`` and ``move`` stand for a change whose action is no-op but
    which imports or moves the object; a change that also updates it stays an update."""

    DELETE = "delete"
    REPLACE = "replace"
    CREATE_FORGET = "create-forget"
    FORGET = "forget"
    UPDATE = "update"
    CREATE = "create"
    IMPORT = "import"
    MOVE = "move"
    READ = "read"
    NOOP = "no-op"

    @property
    def destructive(self) -> bool:
        """The action deletes something (a delete or a replace)."""
        return self in (Action.DELETE, Action.REPLACE)

    @property
    def symbol(self) -> str:
        """The action's symbol, as the binary prints it (``+``, ``~``, ``-``, ...)."""
        return _SYMBOL[self.value]


_SYMBOL = {"delete": "-", "replace": "-/+", "create-forget": "+/.", "forget": ".", "update": "~",
           "create": "+", "import": "<-", "move": "->", "read": "<=", "no-op": " "}

#: Every action list of the format, in either order where the format allows both.
_ACTIONS: dict[tuple[str, ...], Action] = {
    ("no-op",): Action.NOOP,
    ("create",): Action.CREATE,
    ("read",): Action.READ,
    ("update",): Action.UPDATE,
    ("delete",): Action.DELETE,
    ("delete", "create"): Action.REPLACE,
    ("create", "delete"): Action.REPLACE,
    ("forget",): Action.FORGET,
    ("create", "forget"): Action.CREATE_FORGET,
    ("forget", "create"): Action.CREATE_FORGET,
}

#: Display order: what destroys first.
ACTION_ORDER = (Action.DELETE, Action.REPLACE, Action.CREATE_FORGET, Action.FORGET, Action.UPDATE,
                Action.CREATE, Action.IMPORT, Action.MOVE, Action.READ)


def action_of(actions: Any) -> Action | None:
    """The format's ``actions`` list as one action, or None when the list is not one the format defines."""
    if not isinstance(actions, list | tuple) or not all(isinstance(a, str) for a in actions):
        return None
    return _ACTIONS.get(tuple(actions))


class AttributeRow(BaseModel):
    """One top-level attribute of a change, rendered as text (masked or unknown where it must be)."""

    name: str
    before: str | None
    after: str | None
    changed: bool
    sensitive: bool
    forces_replace: bool = False


@dataclass(slots=True)
class ResourceChange:
    """One object's planned change (or drift, or deferred change), as in ``resource_changes``.

    ``before_sensitive`` and ``after_sensitive`` already hold what ``prior_state`` and ``planned_values``
    mark as well; :meth:`attributes` masks a part marked on either side on both sides.
    """

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
    previous_address: str | None = None
    importing: dict[str, Any] | None = None
    deposed: str | None = None

    @classmethod
    def from_json(cls, doc: dict[str, Any], action: Action) -> ResourceChange:
        """A change from one entry of the plan's ``resource_changes``."""
        change = doc.get("change") or {}
        importing = change.get("importing")
        return cls(
            address=str(doc.get("address", "?")),
            action=action,
            type=str(doc.get("type", "")),
            mode=str(doc.get("mode", "managed")),
            reason=str(doc["action_reason"]) if doc.get("action_reason") else None,
            before=change.get("before"),
            after=change.get("after"),
            after_unknown=change.get("after_unknown"),
            before_sensitive=change.get("before_sensitive"),
            after_sensitive=change.get("after_sensitive"),
            replace_paths=[p for p in change.get("replace_paths") or [] if isinstance(p, list)],
            previous_address=str(doc["previous_address"]) if doc.get("previous_address") else None,
            importing=importing if isinstance(importing, dict) else ({} if importing else None),
            deposed=str(doc["deposed"]) if doc.get("deposed") else None,
        )

    @property
    def moved(self) -> bool:
        """The resource moved from another address."""
        return bool(self.previous_address) and self.previous_address != self.address

    @property
    def imported(self) -> bool:
        """The resource is imported by this plan."""
        return self.importing is not None

    @property
    def kind(self) -> Action:
        """The group it is listed in: its action, or import/move when that is all it does."""
        if self.action is Action.NOOP:
            if self.imported:
                return Action.IMPORT
            if self.moved:
                return Action.MOVE
        return self.action

    @property
    def label(self) -> str:
        """Its address, naming the deposed object when it is one (it shares the address of the current)."""
        return f"{self.address} (deposed {self.deposed})" if self.deposed else self.address

    @property
    def notes(self) -> list[str]:
        """Moved from, imported, why: short words shown after the address."""
        out = [f"moved from {self.previous_address}"] if self.moved else []
        if self.imported:
            ident = (self.importing or {}).get("id")
            out.append(f"import id {ident}" if isinstance(ident, str) and ident else "imported")
        if self.reason:
            out.append(self.reason.replace("_", " "))
        return out

    @property
    def sensitive(self) -> Any:
        """The shadow tree of what is sensitive on either side."""
        return union(self.before_sensitive, self.after_sensitive)

    @property
    def has_sensitive(self) -> bool:
        """Some value of the change is sensitive."""
        return has_true(self.sensitive)

    def attributes(self, reveal: bool = False) -> list[AttributeRow]:
        """Before/after per top-level attribute; unknown parts marked; sensitive ones masked unless
        ``reveal``."""
        before = self.before if isinstance(self.before, dict) else {}
        after = self.after if isinstance(self.after, dict) else {}
        unknown = self.after_unknown if isinstance(self.after_unknown, dict) else {}
        sens = self.sensitive
        forcing = {str(path[0]) for path in self.replace_paths if path}
        rows = []
        for name in sorted(set(before) | set(after) | {k for k, v in unknown.items() if has_true(v)}):
            part_sens = child(sens, name)
            part_unknown = unknown.get(name)
            is_unknown = has_true(part_unknown)
            b_val = before.get(name)
            a_val = after.get(name)
            b_txt = None if self.before is None else shown(b_val, part_sens, reveal=reveal)
            if self.after is None and not is_unknown:
                a_txt = None
            else:
                a_txt = shown(a_val, part_sens, part_unknown, reveal=reveal)
            rows.append(AttributeRow(name=name, before=b_txt, after=a_txt, changed=b_val != a_val or is_unknown,
                                     sensitive=has_true(part_sens), forces_replace=name in forcing))
        return rows


@dataclass(slots=True)
class OutputChange:
    """One root output's change; ``sensitive_tree`` marks what is sensitive on either side."""

    name: str
    action: Action
    before: Any = None
    after: Any = None
    sensitive_tree: Any = None
    unknown: Any = None

    @property
    def sensitive(self) -> bool:
        """The output is sensitive on either side."""
        return has_true(self.sensitive_tree)

    @property
    def after_unknown(self) -> bool:
        """The output's new value is known only after apply."""
        return has_true(self.unknown)

    def shown(self, reveal: bool = False) -> tuple[str | None, str | None]:
        """(before, after) as text: None where there is no value, masked where sensitive."""
        before = None if self.before is None else shown(self.before, self.sensitive_tree, reveal=reveal)
        if self.after is None and not self.after_unknown:
            return before, None
        return before, shown(self.after, self.sensitive_tree, self.unknown, reveal=reveal)


@dataclass(slots=True)
class PlanSummary:
    """Everything the plan pane and the CLI show about one saved plan.

    ``changes`` and ``outputs`` leave no-ops out (a no-op that moves or imports is in); ``drift`` is
    what changed outside OpenTofu; ``deferred`` what this plan leaves for a later one.
    """

    counts: Counts
    changes: list[ResourceChange]
    outputs: list[OutputChange]
    drift: list[ResourceChange]
    deferred: list[ResourceChange] = field(default_factory=list)
    invocations: list[str] = field(default_factory=list)
    errored: bool = False
    terraform_version: str = ""

    @property
    def has_changes(self) -> bool:
        """The plan changes resources, outputs or invokes actions."""
        return bool(self.changes or self.outputs or self.invocations)

    @property
    def destructive(self) -> bool:
        """The plan deletes something."""
        return self.counts.destructive

    def grouped(self) -> list[tuple[Action, list[ResourceChange]]]:
        """Changes grouped by what they do, destroy and replace first; empty groups left out."""
        groups: dict[Action, list[ResourceChange]] = {a: [] for a in ACTION_ORDER}
        for change in self.changes:
            groups.setdefault(change.kind, []).append(change)
        return [(a, groups[a]) for a in ACTION_ORDER if groups.get(a)]

    def find(self, address: str) -> ResourceChange | None:
        """The change listed under ``address`` (or under its label, for a deposed object)."""
        return next((c for c in self.changes if c.label == address), None) or next(
            (c for c in self.changes if c.address == address), None)


_COUNTED = {Action.CREATE: ("add",), Action.UPDATE: ("change",), Action.DELETE: ("destroy",),
            Action.REPLACE: ("add", "destroy", "replace"), Action.FORGET: ("forget",),
            Action.CREATE_FORGET: ("add", "forget")}


def _count(counts: Counts, change: ResourceChange) -> None:
    # As the binaries count for their line: every listed change by its action, a move alone not at all.
    for name in _COUNTED.get(change.action, ()):
        setattr(counts, name, getattr(counts, name) + 1)
    counts.read += change.action is Action.READ
    counts.imports += change.imported
    counts.move += change.moved


class _Reader:
    """Reads changes out of one document, with the document's own sensitivity marks beside them."""

    def __init__(self, doc: dict[str, Any]) -> None:
        prior = doc.get("prior_state") if isinstance(doc.get("prior_state"), dict) else {}
        self.planned = sensitive_values(doc.get("planned_values"))
        self.prior = sensitive_values((prior or {}).get("values"))
        self.unknown: list[str] = []

    def change(self, raw: Any, where: str) -> ResourceChange | None:
        if not isinstance(raw, dict):
            self.unknown.append(f"{where}: an entry that is not an object")
            return None
        if raw.get("mode") == "ephemeral":
            return None
        actions = (raw.get("change") or {}).get("actions")
        action = action_of(actions)
        if action is None:
            self.unknown.append(f"{raw.get('address', '?')}: action list {actions!r}")
            return None
        change = ResourceChange.from_json(raw, action)
        # Sensitivity follows the schema, so a deposed object takes its resource's marks too: masking
        # more than needed is the safe side.
        old = change.previous_address or change.address
        change.before_sensitive = union(change.before_sensitive, self.prior.get(old))
        change.after_sensitive = union(change.after_sensitive, self.planned.get(change.address))
        return change


def summarize(doc: dict[str, Any]) -> PlanSummary:
    """The summary of a ``show -json`` plan document; :class:`PlanFormatError` when it cannot be read."""
    check_version(doc)
    reader = _Reader(doc)
    changes: list[ResourceChange] = []
    counts = Counts(forget_in_line=by_opentofu(doc))
    for raw in doc.get("resource_changes") or []:
        change = reader.change(raw, "resource_changes")
        if change is None:
            continue
        # The binaries show no data source leaving the configuration (older plans list it) and no
        # ephemeral resource (OpenTofu may list them; they live only while a plan or apply runs).
        if change.kind is Action.NOOP or (change.mode != "managed" and change.action is Action.DELETE):
            continue
        changes.append(change)
        _count(counts, change)
    outputs = _outputs(doc, reader)
    drift = [c for raw in doc.get("resource_drift") or [] if (c := reader.change(raw, "resource_drift"))]
    deferred = []
    for item in doc.get("deferred_changes") or []:
        entry = item.get("resource_change") if isinstance(item, dict) else None
        change = reader.change(entry, "deferred_changes")
        if change is not None:
            change.reason = str(item.get("reason") or change.reason or "deferred")
            deferred.append(change)
    invocations = [str(a.get("address", "?")) if isinstance(a, dict) else "?"
                   for a in doc.get("action_invocations") or []]
    counts.invoke = len(invocations)
    if reader.unknown:
        raise PlanFormatError("the plan holds actions this version does not know, so it cannot say what the "
                              "plan does: " + "; ".join(reader.unknown))
    return PlanSummary(
        counts=counts, changes=changes, outputs=outputs, drift=drift, deferred=deferred,
        invocations=invocations, errored=bool(doc.get("errored")),
        terraform_version=str(doc.get("terraform_version", "")),
    )


def _outputs(doc: dict[str, Any], reader: _Reader) -> list[OutputChange]:
    # Older documents mark an output sensitive only in planned_values (and prior_state) outputs.
    planned = output_sensitive(doc.get("planned_values"))
    prior = output_sensitive((doc.get("prior_state") or {}).get("values"))
    outputs = []
    for name, raw in sorted((doc.get("output_changes") or {}).items()):
        actions = raw.get("actions") if isinstance(raw, dict) else None
        action = action_of(actions)
        if action is None:
            reader.unknown.append(f"output {name}: action list {actions!r}")
            continue
        if action is Action.NOOP:
            continue
        tree = union(union(raw.get("before_sensitive"), raw.get("after_sensitive")),
                     True if planned.get(name) or prior.get(name) else None)
        outputs.append(OutputChange(name=name, action=action, before=raw.get("before"), after=raw.get("after"),
                                    sensitive_tree=tree, unknown=raw.get("after_unknown")))
    return outputs


def summary_json(summary: PlanSummary, root: str) -> dict[str, Any]:
    """The headless (``--json``) form: counts, the tool's line, addresses grouped by action, moves,
    outputs, drift and deferred changes; no values."""
    return {
        "root": root,
        "plan_line": summary.counts.tool_line(),
        "line": summary.counts.line(),
        "counts": summary.counts.model_dump(),
        "has_changes": summary.has_changes,
        "destructive": summary.destructive,
        "changes": {a.value: [c.label for c in items] for a, items in summary.grouped()},
        "reasons": {c.label: c.reason for c in summary.changes if c.reason},
        "moved": {c.address: c.previous_address for c in summary.changes if c.moved},
        "imported": [c.address for c in summary.changes if c.imported],
        "outputs": {o.name: o.action.value for o in summary.outputs},
        "drift": [{"address": d.label, "action": d.action.value} for d in summary.drift],
        "deferred": [{"address": d.label, "action": d.action.value, "reason": d.reason}
                     for d in summary.deferred],
        "invocations": summary.invocations,
    }
