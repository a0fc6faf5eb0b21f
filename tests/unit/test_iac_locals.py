"""The roots' locals, evaluated by the real terraform binary.

Provider plugins cannot be downloaded here, but locals that depend only on variables need none:
the test copies a root's variable and locals blocks (verbatim) into a scratch module that outputs
those locals, applies it with a local state, and reads the values back. So the naming rules of
``postgres/iac`` and the CI roles of ``iac`` are checked as OpenTofu will compute them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from . import iac_hcl
except ImportError:
    import iac_hcl  # type: ignore[no-redef]

_BLOCK_START = re.compile(r'^(variable|locals)\b(?: "([^"]+)")? \{$')


def top_level_blocks(text: str) -> list[tuple[str, str, str]]:
    """(kind, label, text) of each top-level variable/locals block of a formatted .tf file."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        match = _BLOCK_START.match(lines[i])
        if match:
            end = lines.index("}", i)  # terraform fmt closes a top-level block with "}" alone
            blocks.append((match[1], match[2] or "", "\n".join(lines[i : end + 1])))
            i = end + 1
        else:
            i += 1
    return blocks


def evaluate_locals(root: Path, files: list[str], tmp_path: Path, tfvars: str | None = None) -> dict[str, Any]:
    """Values of every local declared in ``files`` of ``root``, as terraform computes them."""
    binary = shutil.which("tofu") or shutil.which("terraform")
    assert binary, "neither tofu nor terraform is on PATH"
    blocks = [b for f in files for b in top_level_blocks((root / f).read_text())]
    locals_text = "\n".join(text for kind, _, text in blocks if kind == "locals")
    names = [n for kind, _, text in blocks if kind == "locals"
             for n in re.findall(r"^  (\w+)\s*=", text, re.M)]
    used_vars = set(re.findall(r"\bvar\.(\w+)", locals_text))
    variables = [text for kind, label, text in top_level_blocks((root / "variables.tf").read_text())
                 if kind == "variable" and label in used_vars]
    assert len(variables) == len(used_vars), f"locals use undeclared variables: {used_vars}"
    outputs = "\n".join(f'output "{n}" {{\n  value = local.{n}\n}}' for n in names)
    (tmp_path / "main.tf").write_text("\n\n".join([*variables, locals_text, outputs]) + "\n")
    if tfvars is not None:
        (tmp_path / "test.auto.tfvars").write_text(tfvars)
    (tmp_path / "cli.tfrc").write_text("")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(tmp_path / "cli.tfrc"), "TF_IN_AUTOMATION": "1",
           "TF_DATA_DIR": str(tmp_path / ".terraform")}
    for argv in (["init", "-input=false", "-no-color"], ["apply", "-auto-approve", "-input=false", "-no-color"]):
        proc = subprocess.run([binary, f"-chdir={tmp_path}", *argv], env=env, capture_output=True, text=True,
                              timeout=120)
        if proc.returncode != 0:
            raise AssertionError(proc.stdout + proc.stderr)
    out = subprocess.run([binary, f"-chdir={tmp_path}", "output", "-json"], env=env, capture_output=True,
                         text=True, check=True)
    return {k: v["value"] for k, v in json.loads(out.stdout).items()}


PG = iac_hcl.ROOTS["postgres/iac"]


def test_postgres_apps_from_the_lab_tfvars(tmp_path):
    values = evaluate_locals(PG, ["apps.tf"], tmp_path, (PG / "apps.auto.tfvars").read_text())
    webapp = values["apps"]["webapp"]
    assert (webapp["database"], webapp["owner"], webapp["login"], webapp["dynamic"]) == (
        "webapp", "webapp_owner", "webapp_app", True)
    assert sorted(values["static_apps"]) == []
    assert sorted(values["dynamic_apps"]) == ["webapp"]


def test_postgres_leaves_gitea_s_database_to_the_ansible_role(tmp_path):
    # One owner: the gitea role creates gitea's database and role before Vault and CI exist.
    gitea_defaults = yaml.safe_load((iac_hcl.REPO_ROOT / "ansible/roles/gitea/defaults/main.yml").read_text())
    assert gitea_defaults["gitea_db_name"] == "gitea"
    with pytest.raises(AssertionError, match="belongs to the Ansible role gitea"):
        evaluate_locals(PG, ["apps.tf"], tmp_path, 'apps = {\n  gitea = { connection_limit = 50 }\n}\n')


def test_a_static_app_gets_a_login_role(tmp_path):
    values = evaluate_locals(PG, ["apps.tf"], tmp_path, 'apps = {\n  wiki = { connection_limit = 50 }\n}\n')
    wiki = values["apps"]["wiki"]
    assert (wiki["login"], wiki["dynamic"], wiki["connection_limit"]) == ("wiki_app", False, 50)
    assert sorted(values["static_apps"]) == ["wiki"]


def test_postgres_app_names_can_be_overridden(tmp_path):
    tfvars = 'apps = {\n  wiki = {\n    database = "wikidb"\n    owner = "wiki_admin"\n  }\n}\n'
    wiki = evaluate_locals(PG, ["apps.tf"], tmp_path, tfvars)["apps"]["wiki"]
    assert (wiki["database"], wiki["owner"], wiki["login"]) == ("wikidb", "wiki_admin", "wiki_app")
    assert wiki["ttl"] == 3600 and wiki["connection_limit"] == -1


def test_postgres_refuses_an_app_name_that_is_not_an_identifier(tmp_path):
    with pytest.raises(AssertionError, match="App names are lower-case identifiers"):
        evaluate_locals(PG, ["apps.tf"], tmp_path, 'apps = {\n  "My-App" = {}\n}\n')


def test_iac_ci_roles(tmp_path):
    values = evaluate_locals(iac_hcl.ROOTS["iac"], ["vault.tf"], tmp_path)
    roles = values["ci_roles"]
    assert sorted(roles) == ["iac-apply", "iac-plan", "postgres-apply", "postgres-plan"]
    for name, role in roles.items():
        root, stage = name.rsplit("-", 1)
        assert (role["root"], role["stage"]) == (root, stage)
        expected = {"repository": "arcodange/factory"}
        if stage == "apply":
            expected["ref"] = "refs/heads/main"
        assert role["bound"] == expected, name
    assert "sudo" not in values["ci_stage_capabilities"]["plan"]
    assert set(values["ci_stage_capabilities"]["plan"]) <= {"read", "list"}
