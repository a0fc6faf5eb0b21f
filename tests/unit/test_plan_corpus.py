"""The summary against the plan corpus: documents the real binary wrote, and the binary's own `Plan:` line.

``tests/data/tofu/plans/*.json`` were written by terraform (see ``tests/plan_corpus.py``); ``format/``
holds the shapes it cannot write here, derived from them. Together they cover every action list and every
way the format marks a value sensitive or unknown.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from actions.tofu.summary import _ACTIONS, MASK, UNKNOWN, PlanFormatError, summarize, summary_json
from tests.plan_corpus import CORPUS, FORMAT, SCENARIOS, derived

REAL = json.loads((CORPUS / "expected.json").read_text())
DERIVED = json.loads((FORMAT / "expected.json").read_text())
_COUNT = re.compile(r"(\d+) to (import|add|change|destroy|forget)")


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


def all_docs() -> list[tuple[str, dict[str, Any], str]]:
    docs = [(name, load(CORPUS / f"{name}.json"), line) for name, line in REAL.items()]
    return docs + [(f"format/{name}", load(FORMAT / f"{name}.json"), line) for name, line in DERIVED.items()]


def test_the_stored_corpus_is_the_one_the_builder_writes() -> None:
    assert set(REAL) == {s.name for s in SCENARIOS}
    for name, (doc, line) in derived().items():
        assert load(FORMAT / f"{name}.json") == doc and DERIVED[name] == line


@pytest.mark.parametrize(("name", "doc", "line"), all_docs(), ids=[d[0] for d in all_docs()])
def test_counts_line_is_the_tools_own(name: str, doc: dict[str, Any], line: str) -> None:
    if line == "error":
        with pytest.raises(PlanFormatError):
            summarize(doc)
        return
    summary = summarize(doc)
    counts = summary.counts.model_dump()
    if line.startswith("Plan: "):
        # Every number the tool prints is ours; the line we show starts with the tool's words.
        for number, word in _COUNT.findall(line):
            assert counts[word] == int(number), (name, word)
        assert summary.counts.line().startswith(line.rstrip(".")), summary.counts.line()
        assert summary.has_changes
    elif line == "No changes.":
        assert not summary.has_changes
    else:  # the tool prints no Plan: line when only outputs change, yet the plan applies
        assert summary.has_changes and summary.outputs and not summary.changes


def test_corpus_covers_every_action_list_of_the_format() -> None:
    seen = set()
    for _name, doc, _line in all_docs():
        for rc in doc.get("resource_changes") or []:
            seen.add(tuple(rc["change"]["actions"]))
    assert set(_ACTIONS) <= seen


def test_moves_and_imports_alone_are_changes_listed_and_counted() -> None:
    moved = summarize(load(CORPUS / "move-only.json"))
    assert moved.has_changes and moved.counts.move == 1
    assert [(a.value, [c.address for c in cs]) for a, cs in moved.grouped()] == [("move", ["terraform_data.b"])]
    assert "moved from terraform_data.a" in moved.changes[0].notes
    assert summary_json(moved, "r")["moved"] == {"terraform_data.b": "terraform_data.a"}
    imported = summarize(load(CORPUS / "import-and-update.json"))
    assert imported.counts.imports == 1 and imported.counts.change == 1
    assert [a.value for a, _ in imported.grouped()] == ["update"]
    assert summary_json(imported, "r")["counts"]["import"] == 1


def test_a_replace_reads_as_the_tool_says_with_replace_beside() -> None:
    summary = summarize(load(CORPUS / "replace-delete-first.json"))
    assert summary.counts.line() == "Plan: 1 to add, 0 to change, 1 to destroy. (1 to replace)"
    assert summary.destructive


def test_unknown_action_list_is_an_error_naming_it() -> None:
    with pytest.raises(PlanFormatError, match=r"terraform_data.a: action list \['delete', 'read'\]"):
        summarize(load(FORMAT / "unknown-action.json"))


def rows(doc: dict[str, Any], address: str, reveal: bool = False) -> dict[str, Any]:
    change = summarize(doc).find(address)
    assert change is not None
    return {r.name: r for r in change.attributes(reveal=reveal)}


def test_partly_unknown_values_read_known_after_apply() -> None:
    doc = load(CORPUS / "partly-unknown.json")
    value = rows(doc, "terraform_data.p")["input"].after
    assert value == f'{{"known": "k", "later": {UNKNOWN}, "list": ["a", {UNKNOWN}]}}'
    outputs = {o.name: o for o in summarize(doc).outputs}
    assert outputs["mixed"].shown() == (None, f'["k", {UNKNOWN}]')


@pytest.mark.parametrize(("name", "secret"), [("sensitive-becomes", "plain-before"),
                                               ("sensitive-stops", "plain-after"),
                                               ("sensitive-nested", "old-secret"),
                                               ("format/old-format-resource", "new-secret")])
def test_a_value_sensitive_on_either_side_is_masked_on_both(name: str, secret: str) -> None:
    doc = load(CORPUS / f"{name}.json")
    row = rows(doc, "terraform_data.a")["input"]
    assert MASK in row.before and MASK in row.after and row.sensitive
    assert secret not in row.before + row.after
    revealed = rows(doc, "terraform_data.a", reveal=True)["input"]
    assert secret in revealed.before + revealed.after


@pytest.mark.parametrize("name", ["sensitive-output", "format/old-format-output"])
def test_sensitive_outputs_are_masked_old_format_too(name: str) -> None:
    output = summarize(load(CORPUS / f"{name}.json")).outputs[0]
    assert output.shown() == (MASK, MASK)
    assert output.shown(reveal=True) == ('"plain-before"', '"secret-after"')


def test_deposed_and_deferred_objects_are_shown_apart() -> None:
    deposed = summarize(load(FORMAT / "deposed.json"))
    assert [c.label for c in deposed.changes] == ["terraform_data.a", "terraform_data.a (deposed 00000001)"]
    deferred = summarize(load(FORMAT / "deferred.json"))
    assert [(c.address, c.reason) for c in deferred.deferred] == [("terraform_data.later",
                                                                   "resource_config_unknown")]
    assert deferred.counts.add == 1


def test_pane_and_cli_show_moves_imports_and_the_tools_line() -> None:
    from tui.render.plan_render import summary_text
    from tui.widgets.plan_summary import summary_lines

    keys, line = summary_lines(summarize(load(CORPUS / "move-only.json")))
    assert keys == [None, "change:terraform_data.b"]
    assert str(line(0)).startswith("move") and "terraform_data.b  (moved from terraform_data.a)" in str(line(1))
    text = summary_text(summarize(load(CORPUS / "import-and-update.json")), "r").plain
    assert "Plan: 1 to import, 0 to add, 1 to change, 0 to destroy." in text
    assert "terraform_data.i  (import id imported-id)" in text
    invoked = summary_lines(summarize(load(FORMAT / "action-invocation.json")))[1]
    assert "action.local_command.notify" in str(invoked(1))
