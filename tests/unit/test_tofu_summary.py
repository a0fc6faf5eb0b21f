"""Plan summary from a `show -json` document: actions, counts, grouping, masking, outputs, drift."""

from __future__ import annotations

from typing import Any

from actions.tofu.summary import MASK, UNKNOWN, Action, action_of, summarize, summary_json


def rc(address: str, actions: list[str], before: Any = None, after: Any = None, **change: Any) -> Any:
    return {"address": address, "type": address.split(".")[0], "mode": "managed",
            "change": {"actions": actions, "before": before, "after": after, **change}}


DOC: dict[str, Any] = {
    "terraform_version": "1.11.4",
    "resource_changes": [
        rc("t.create", ["create"], None, {"a": 1}, after_unknown={"id": True}),
        rc("t.noop", ["no-op"], {"a": 1}, {"a": 1}),
        rc("t.update", ["update"], {"a": 1, "pw": "old"}, {"a": 2, "pw": "new"},
           before_sensitive={"pw": True}, after_sensitive={"pw": True}),
        rc("t.delete", ["delete"], {"a": 1}, None),
        rc("t.replace1", ["delete", "create"], {"a": 1}, {"a": 2}, replace_paths=[["a"]]),
        rc("t.replace2", ["create", "delete"], {"a": 1}, {"a": 2}),
        {**rc("data.d.read", ["read"], None, {"x": 1}), "mode": "data"},
        rc("t.forget", ["forget"], {"a": 1}, None),
    ],
    "output_changes": {
        "same": {"actions": ["no-op"], "before": 1, "after": 1},
        "pub": {"actions": ["update"], "before": 1, "after": 2},
        "secret": {"actions": ["create"], "before": None, "after": "s3cr3t", "after_sensitive": True},
        "later": {"actions": ["create"], "before": None, "after": None, "after_unknown": True},
    },
    "resource_drift": [rc("t.drifted", ["update"], {"a": 1}, {"a": 5})],
}


def test_actions_lists_read_as_one_action() -> None:
    assert action_of(["delete", "create"]) is Action.REPLACE
    assert action_of(["create", "delete"]) is Action.REPLACE
    assert action_of(["create"]) is Action.CREATE
    assert action_of(["no-op"]) is Action.NOOP
    assert action_of(["forget", "create"]) is Action.CREATE_FORGET
    assert action_of(["create", "forget"]) is Action.CREATE_FORGET
    assert action_of([]) is None
    assert action_of(["delete", "read"]) is None


def test_counts_leave_noops_out_and_count_a_replace_as_the_tool_does() -> None:
    s = summarize(DOC)
    expected = {"import": 0, "add": 3, "change": 1, "destroy": 3, "forget": 1, "replace": 2, "move": 0,
                "read": 1, "invoke": 0}
    assert s.counts.model_dump() == expected
    assert s.destructive and s.has_changes
    assert "t.noop" not in [c.address for c in s.changes]


def test_groups_put_destroy_and_replace_first() -> None:
    order = [a for a, _ in summarize(DOC).grouped()]
    assert order == [Action.DELETE, Action.REPLACE, Action.FORGET, Action.UPDATE, Action.CREATE, Action.READ]


def test_sensitive_attributes_are_masked_until_revealed() -> None:
    change = summarize(DOC).find("t.update")
    assert change is not None and change.has_sensitive
    pw = {r.name: r for r in change.attributes()}["pw"]
    assert (pw.before, pw.after, pw.sensitive, pw.changed) == (MASK, MASK, True, True)
    shown = {r.name: r for r in change.attributes(reveal=True)}["pw"]
    assert (shown.before, shown.after) == ('"old"', '"new"')


def test_nested_and_whole_object_sensitivity() -> None:
    doc = {"resource_changes": [
        rc("t.n", ["update"], {"m": {"k": "v", "s": "x"}, "l": ["a", "b"]},
           {"m": {"k": "v", "s": "y"}, "l": ["a", "c"]},
           before_sensitive={"m": {"s": True}, "l": [False, True]},
           after_sensitive={"m": {"s": True}, "l": [False, True]}),
        rc("t.w", ["update"], {"a": 1}, {"a": 2}, before_sensitive=True, after_sensitive=True),
    ]}
    s = summarize(doc)
    rows = {r.name: r for r in s.changes[0].attributes()}
    assert rows["m"].after == '{"k": "v", "s": (sensitive)}'
    assert rows["l"].before == '["a", (sensitive)]'
    assert "y" not in rows["m"].after
    whole = s.changes[1].attributes()[0]
    assert (whole.before, whole.after) == (MASK, MASK)


def test_created_and_deleted_attributes_and_unknowns() -> None:
    s = summarize(DOC)
    created = {r.name: r for r in s.find("t.create").attributes()}  # type: ignore[union-attr]
    assert created["a"].before is None and created["a"].after == "1"
    assert created["id"].after == UNKNOWN
    deleted = {r.name: r for r in s.find("t.delete").attributes()}  # type: ignore[union-attr]
    assert deleted["a"].before == "1" and deleted["a"].after is None
    forcing = {r.name: r for r in s.find("t.replace1").attributes()}  # type: ignore[union-attr]
    assert forcing["a"].forces_replace


def test_outputs_and_drift() -> None:
    s = summarize(DOC)
    outputs = {o.name: o for o in s.outputs}
    assert set(outputs) == {"pub", "secret", "later"}
    assert outputs["secret"].shown() == (None, MASK)
    assert outputs["secret"].shown(reveal=True) == (None, '"s3cr3t"')
    assert outputs["later"].shown() == (None, UNKNOWN)
    assert [(d.address, d.action) for d in s.drift] == [("t.drifted", Action.UPDATE)]


def test_headless_json_has_addresses_but_no_values() -> None:
    doc = summary_json(summarize(DOC), "iac")
    assert doc["counts"]["replace"] == 2
    assert list(doc["changes"]) == ["delete", "replace", "forget", "update", "create", "read"]
    assert doc["drift"] == [{"address": "t.drifted", "action": "update"}]
    assert "s3cr3t" not in repr(doc) and "old" not in repr(doc)


def test_empty_plan_has_no_changes() -> None:
    s = summarize({"resource_changes": [rc("t.a", ["no-op"], {}, {})]})
    assert not s.has_changes and not s.destructive and s.counts.total == 0
