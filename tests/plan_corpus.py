"""The plan corpus: ``show -json`` documents written by the real binary, and the binary's own ``Plan:`` line.

Each scenario applies a first configuration (the state), writes a second one and plans it to a file,
then keeps two things the binary says of that file: ``show -json`` and the ``Plan:`` line of the plain
``show``. Everything uses ``terraform_data`` and ``terraform_remote_state`` (built in, no provider
download): with them ``moved``, ``import`` (``-generate-config-out`` too) and ``removed`` blocks
(``destroy = false`` and ``true``) all plan offline, and a failing ``local-exec`` leaves a deposed object.
The documents live in ``tests/data/tofu/plans/NAME.json`` and the lines in ``expected.json``; rebuild them with
``python -m tests.plan_corpus`` after a binary upgrade. ``tests/data/tofu/plans/format/`` holds the
shapes this binary cannot write here (OpenTofu's, older formats), each derived from one of these.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent / "data" / "tofu" / "plans"
EXPECTED = CORPUS / "expected.json"
_PLAN_LINE = re.compile(r"^Plan: .*$", re.MULTILINE)
_NO_CHANGES = "No changes."


@dataclass(frozen=True)
class Scenario:
    """State from ``before`` (applied; may be empty) and ``failing`` (an apply that fails half-way),
    then a plan of ``after`` with ``args``."""

    name: str
    before: str
    after: str
    args: tuple[str, ...] = field(default_factory=tuple)
    failing: str = ""


_CBD = ('resource "terraform_data" "a" {{\n  triggers_replace = ["{n}"]\n'
        '  lifecycle {{\n    create_before_destroy = true\n  }}\n{extra}}}')
_FAILING = '  provisioner "local-exec" {\n    command = "false"\n  }\n'

SCENARIOS = [
    Scenario("create", "", 'resource "terraform_data" "a" { input = "x" }'),
    Scenario("update", 'resource "terraform_data" "a" { input = "x" }',
             'resource "terraform_data" "a" { input = "y" }'),
    Scenario("delete", 'resource "terraform_data" "a" { input = "x" }', ""),
    Scenario("replace-delete-first", 'resource "terraform_data" "a" {\n  input = "x"\n}',
             'resource "terraform_data" "a" {\n  input = "x"\n}', ("-replace=terraform_data.a",)),
    Scenario("replace-create-first", 'resource "terraform_data" "a" {\n  input = "x"\n}',
             'resource "terraform_data" "a" {\n  input = "x"\n  lifecycle {\n    create_before_destroy = true\n'
             '  }\n}', ("-replace=terraform_data.a",)),
    Scenario("replace-triggers", 'resource "terraform_data" "a" { triggers_replace = ["1"] }',
             'resource "terraform_data" "a" { triggers_replace = ["2"] }'),
    Scenario("move-only", 'resource "terraform_data" "a" { input = "x" }',
             'resource "terraform_data" "b" { input = "x" }\nmoved {\n  from = terraform_data.a\n'
             '  to   = terraform_data.b\n}'),
    Scenario("move-and-update", 'resource "terraform_data" "a" { input = "x" }',
             'resource "terraform_data" "b" { input = "y" }\nmoved {\n  from = terraform_data.a\n'
             '  to   = terraform_data.b\n}'),
    Scenario("import-only", "", 'resource "terraform_data" "i" {}\nimport {\n  to = terraform_data.i\n'
             '  id = "imported-id"\n}'),
    Scenario("import-and-update", "", 'resource "terraform_data" "i" { input = "x" }\nimport {\n'
             '  to = terraform_data.i\n  id = "imported-id"\n}'),
    Scenario("forget", 'resource "terraform_data" "a" { input = "x" }',
             'removed {\n  from = terraform_data.a\n  lifecycle {\n    destroy = false\n  }\n}'),
    Scenario("removed-destroy", 'resource "terraform_data" "a" { input = "x" }',
             'removed {\n  from = terraform_data.a\n  lifecycle {\n    destroy = true\n  }\n}'),
    Scenario("no-changes", 'resource "terraform_data" "a" { input = "x" }',
             'resource "terraform_data" "a" { input = "x" }'),
    Scenario("outputs-only", 'resource "terraform_data" "a" { input = "x" }',
             'resource "terraform_data" "a" { input = "x" }\noutput "o" { value = "new" }'),
    Scenario("sensitive-becomes", 'resource "terraform_data" "a" { input = "plain-before" }',
             'resource "terraform_data" "a" { input = sensitive("secret-after") }'),
    Scenario("sensitive-stops", 'resource "terraform_data" "a" { input = sensitive("secret-before") }',
             'resource "terraform_data" "a" { input = "plain-after" }'),
    Scenario("sensitive-nested", 'resource "terraform_data" "a" { input = { k = "v", s = "old-secret" } }',
             'resource "terraform_data" "a" { input = { k = "v", s = sensitive("new-secret") } }'),
    Scenario("sensitive-output", 'output "o" { value = "plain-before" }',
             'output "o" {\n  value     = "secret-after"\n  sensitive = true\n}'),
    Scenario("partly-unknown", 'resource "terraform_data" "a" { input = "x" }',
             'resource "terraform_data" "a" { input = "x" }\nresource "terraform_data" "n" { input = "y" }\n'
             'resource "terraform_data" "p" {\n  input = {\n    known = "k"\n    later = terraform_data.n.id\n'
             '    list  = ["a", terraform_data.n.id]\n  }\n}\n'
             'output "mixed" { value = ["k", terraform_data.n.id] }'),
    Scenario("counted", 'resource "terraform_data" "c" {\n  count = 3\n  input = count.index\n}',
             'resource "terraform_data" "c" {\n  count = 2\n  input = count.index + 10\n}'),
    Scenario("import-generated-config", "", 'import {\n  to = terraform_data.g\n  id = "gen-id"\n}',
             ("-generate-config-out=generated.tf",)),
    Scenario("data-read-during-apply", "",
             'resource "terraform_data" "n" { input = "y" }\ndata "terraform_remote_state" "s" {\n'
             '  backend = "local"\n  config  = { path = "${path.module}/${terraform_data.n.id}.tfstate" }\n}\n'
             'output "remote" { value = data.terraform_remote_state.s.outputs }'),
    Scenario("deposed-and-tainted", _CBD.format(n=1, extra=""), _CBD.format(n=2, extra=""),
             failing=_CBD.format(n=2, extra=_FAILING)),
    Scenario("count-to-for-each", 'resource "terraform_data" "c" {\n  count = 2\n  input = count.index\n}',
             'resource "terraform_data" "c" {\n  for_each = toset(["a", "b"])\n  input = each.key\n}\n'
             'moved {\n  from = terraform_data.c[0]\n  to   = terraform_data.c["a"]\n}\n'
             'moved {\n  from = terraform_data.c[1]\n  to   = terraform_data.c["b"]\n}'),
    Scenario("forget-module", 'module "m" { source = "./m" }',
             'removed {\n  from = module.m\n  lifecycle {\n    destroy = false\n  }\n}'),
    Scenario("destroy-mode", 'resource "terraform_data" "a" { input = "x" }\noutput "o" { value = "x" }',
             'resource "terraform_data" "a" { input = "x" }\noutput "o" { value = "x" }', ("-destroy",)),
    Scenario("module-move", 'resource "terraform_data" "a" { input = "x" }',
             'module "m" { source = "./m" }\nmoved {\n  from = terraform_data.a\n  to   = module.m.terraform_data.a\n'
             '}', ),
]

_MODULE = 'resource "terraform_data" "a" { input = "x" }\n'


def _run(binary: str, cwd: Path, *args: str, env: dict[str, str], may_fail: bool = False) -> str:
    done = subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)
    if done.returncode not in (0, 2) and not may_fail:
        raise RuntimeError(f"{binary} {' '.join(args)} in {cwd}: {done.stderr or done.stdout}")
    return done.stdout


def build(scenario: Scenario, work: Path, binary: str, env: dict[str, str]) -> tuple[dict[str, object], str]:
    """The ``show -json`` document of the scenario's plan and the binary's own ``Plan:`` line (or
    ``No changes.``)."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "m").mkdir(exist_ok=True)
    (work / "m" / "main.tf").write_text(_MODULE)
    main = work / "main.tf"
    if scenario.before:
        main.write_text(scenario.before + "\n")
        _run(binary, work, "init", "-input=false", env=env)
        _run(binary, work, "apply", "-auto-approve", "-input=false", env=env)
    if scenario.failing:
        # A create_before_destroy whose new object fails to provision: the old one is left deposed.
        main.write_text(scenario.failing + "\n")
        _run(binary, work, "apply", "-auto-approve", "-input=false", env=env, may_fail=True)
    main.write_text(scenario.after + "\n")
    _run(binary, work, "init", "-input=false", env=env)
    _run(binary, work, "plan", "-input=false", "-out=plan.tfplan", *scenario.args, env=env)
    doc = json.loads(_run(binary, work, "show", "-json", "plan.tfplan", env=env))
    human = _run(binary, work, "show", "-no-color", "plan.tfplan", env=env)
    found = _PLAN_LINE.search(human)
    return doc, found.group(0) if found else (_NO_CHANGES if _NO_CHANGES in human else "")


def _scrub(doc: dict[str, object]) -> dict[str, object]:
    """Drop what changes on every build (timestamps) so a rebuild only shows real differences."""
    doc.pop("timestamp", None)
    return doc


def rebuild(binary: str, scratch: Path, env: dict[str, str]) -> dict[str, str]:
    """Write every scenario's document and the expected lines; returns name -> line."""
    lines = {}
    for scenario in SCENARIOS:
        doc, line = build(scenario, scratch / scenario.name, binary, env)
        (CORPUS / f"{scenario.name}.json").write_text(json.dumps(_scrub(doc), indent=1, sort_keys=True) + "\n")
        lines[scenario.name] = line
    EXPECTED.write_text(json.dumps(lines, indent=1, sort_keys=True) + "\n")
    return lines


FORMAT = CORPUS / "format"
OPENTOFU_PROVIDER = "registry.opentofu.org/hashicorp/null"


def _load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((CORPUS / f"{name}.json").read_text())
    return doc


def _first(doc: dict[str, Any], address: str | None = None) -> dict[str, Any]:
    changes: list[dict[str, Any]] = doc["resource_changes"]
    return next(rc for rc in changes if address is None or rc["address"] == address)


def derived() -> dict[str, tuple[dict[str, Any], str]]:
    """Shapes of the format this binary cannot write here, each made from one of its documents:
    name -> (document, the line the writing tool prints, or ``error`` when it must be refused)."""
    out: dict[str, tuple[dict[str, Any], str]] = {}

    doc = _load("replace-delete-first")
    _first(doc)["change"]["actions"] = ["forget", "create"]
    out["opentofu-forget-create"] = (doc, "Plan: 1 to add, 0 to change, 0 to destroy, 1 to forget.")

    doc = _load("replace-create-first")
    _first(doc)["change"]["actions"] = ["create", "forget"]
    out["terraform-create-forget"] = (doc, "Plan: 1 to add, 0 to change, 0 to destroy.")

    doc = _load("forget")
    _first(doc)["provider_name"] = OPENTOFU_PROVIDER
    out["opentofu-forget"] = (doc, "Plan: 0 to add, 0 to change, 0 to destroy, 1 to forget.")

    doc = _load("import-only")
    _first(doc)["provider_name"] = OPENTOFU_PROVIDER
    _first(doc)["change"]["importing"] = {"id": "imported-id", "unknown": False}
    out["opentofu-import"] = (doc, "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.")

    # Terraform 0.12-0.14: no sensitivity in the change; outputs marked only in planned_values.
    doc = _load("sensitive-output")
    doc["format_version"] = "0.1"
    for change in doc["output_changes"].values():
        change.pop("before_sensitive", None)
        change.pop("after_sensitive", None)
    out["old-format-output"] = (doc, "")

    doc = _load("sensitive-nested")
    doc["format_version"] = "0.2"
    for key in ("before_sensitive", "after_sensitive"):
        _first(doc)["change"].pop(key, None)
    out["old-format-resource"] = (doc, "Plan: 0 to add, 1 to change, 0 to destroy.")

    # A create_before_destroy that failed half-way leaves a deposed object to destroy.
    doc = _load("replace-create-first")
    current = _first(doc)
    deposed = json.loads(json.dumps(current))
    deposed.update(deposed="00000001", action_reason=None)
    deposed["change"].update(actions=["delete"], after=None, after_unknown={}, after_sensitive=False)
    current["change"]["actions"] = ["create"]
    current.pop("action_reason", None)
    doc["resource_changes"] = [current, deposed]
    out["deposed"] = (doc, "Plan: 1 to add, 0 to change, 1 to destroy.")

    doc = _load("create")
    later = json.loads(json.dumps(_first(doc)))
    later.update(address="terraform_data.later", name="later")
    doc["deferred_changes"] = [{"reason": "resource_config_unknown", "resource_change": later}]
    out["deferred"] = (doc, "Plan: 1 to add, 0 to change, 0 to destroy.")

    doc = _load("create")
    read = {"address": "data.terraform_remote_state.s", "mode": "data", "type": "terraform_remote_state",
            "name": "s", "provider_name": "terraform.io/builtin/terraform",
            "action_reason": "read_because_config_unknown",
            "change": {"actions": ["read"], "before": None, "after": {"backend": "local"},
                       "after_unknown": {"outputs": True}, "before_sensitive": False, "after_sensitive": {}}}
    doc["resource_changes"].append(read)
    out["data-read"] = (doc, "Plan: 1 to add, 0 to change, 0 to destroy.")

    doc = _load("import-and-update")
    _first(doc)["change"]["actions"] = ["delete", "create"]
    _first(doc)["action_reason"] = "replace_because_cannot_update"
    out["import-and-replace"] = (doc, "Plan: 1 to import, 1 to add, 0 to change, 1 to destroy.")

    # Terraform 1.14 invokes provider actions on apply; a plan may do nothing else.
    doc = _load("no-changes")
    doc["action_invocations"] = [{"address": "action.local_command.notify", "type": "local_command",
                                  "name": "notify", "provider_name": "registry.terraform.io/hashicorp/local",
                                  "config_values": {"command": "true"}, "invoke_action_trigger": {}}]
    out["action-invocation"] = (doc, "Plan: 0 to add, 0 to change, 0 to destroy. Actions: 1 to invoke.")

    # OpenTofu may list an ephemeral resource; neither binary shows or counts one.
    doc = _load("create")
    doc["resource_changes"].append({"address": "ephemeral.random_password.p", "mode": "ephemeral",
                                    "type": "random_password", "name": "p", "provider_name": OPENTOFU_PROVIDER,
                                    "change": {"actions": ["open"], "before": None, "after": None}})
    out["opentofu-ephemeral"] = (doc, "Plan: 1 to add, 0 to change, 0 to destroy.")

    doc = _load("update")
    _first(doc)["change"]["actions"] = ["delete", "read"]
    out["unknown-action"] = (doc, "error")

    doc = _load("update")
    doc["format_version"] = "2.0"
    out["format-2"] = (doc, "error")
    return out


def write_derived() -> None:
    FORMAT.mkdir(exist_ok=True)
    lines = {}
    for name, (doc, line) in derived().items():
        (FORMAT / f"{name}.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        lines[name] = line
    (FORMAT / "expected.json").write_text(json.dumps(lines, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    import os
    import tempfile

    found = shutil.which("terraform") or shutil.which("tofu")
    if not found:
        sys.exit("no terraform or tofu on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        rc = Path(tmp) / "empty.tfrc"
        rc.write_text("")
        environ = {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1"}
        if "--derived-only" not in sys.argv:
            for name, line in rebuild(found, Path(tmp), environ).items():
                print(f"{name:24} {line}")
    write_derived()
