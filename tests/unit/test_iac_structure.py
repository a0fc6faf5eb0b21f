"""Structure of the OpenTofu roots, checked without provider plugins (see ``iac_hcl``).

The first tests run the checker on the real roots; the rest feed it small broken modules to show
that each kind of mistake is caught.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import hcl2
import pytest

try:
    from . import iac_hcl
except ImportError:
    import iac_hcl  # type: ignore[no-redef]


ALL_TF = sorted(p for root in ("iac", "postgres") for p in (iac_hcl.REPO_ROOT / root).rglob("*.tf")
                if ".terraform" not in p.parts)


def test_there_is_something_to_check():
    assert len(ALL_TF) >= 10


@pytest.mark.parametrize("tf", ALL_TF, ids=[str(p.relative_to(iac_hcl.REPO_ROOT)) for p in ALL_TF])
def test_every_tf_file_parses(tf: Path):
    with tf.open() as fh:
        assert isinstance(hcl2.load(fh), dict)


@pytest.mark.parametrize("root", sorted(iac_hcl.ROOTS))
def test_root_is_structurally_sound(root: str):
    mod = iac_hcl.load_module(iac_hcl.ROOTS[root])
    assert mod.resources, f"{root} declares no resources"
    assert iac_hcl.check_module(mod) == []


# --- the checker itself ---------------------------------------------------------------------------

PROVIDERS = """
terraform {
  required_providers {
    vault = {
      source  = "hashicorp/vault"
      version = "~> 4.8"
    }
  }
}
"""

CHILD = """
variable "name" {
  type        = string
  description = "required"
}
variable "ttl" {
  type        = number
  description = "optional"
  default     = 60
}
resource "vault_policy" "this" {
  name   = var.name
  policy = "path \\"x\\" { capabilities = [\\"read\\"] } # ${var.ttl}"
}
output "id" {
  description = "policy id"
  value       = vault_policy.this.id
}
"""

GOOD_ROOT = """
variable "apps" {
  type        = map(string)
  description = "apps"
}
locals {
  names = { for k, v in var.apps : k => upper(v) }
}
module "child" {
  source   = "./modules/child"
  for_each = local.names
  name     = each.value
}
resource "vault_mount" "kv" {
  path = "kv"
  type = "kv"
}
output "ids" {
  description = "policy ids"
  value       = { for k, m in module.child : k => m.id }
}
"""


def make(tmp_path: Path, root: str, child: str = CHILD, extra: dict[str, str] | None = None) -> Path:
    (tmp_path / "modules" / "child").mkdir(parents=True)
    (tmp_path / "versions.tf").write_text(PROVIDERS)
    (tmp_path / "main.tf").write_text(textwrap.dedent(root))
    (tmp_path / "modules" / "child" / "versions.tf").write_text(PROVIDERS)
    (tmp_path / "modules" / "child" / "main.tf").write_text(textwrap.dedent(child))
    for name, text in (extra or {}).items():
        (tmp_path / name).write_text(text)
    return tmp_path


def problems(path: Path) -> list[str]:
    return iac_hcl.check_module(iac_hcl.load_module(path))


def test_checker_accepts_a_sound_module(tmp_path):
    assert problems(make(tmp_path, GOOD_ROOT)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("upper(v)", "upper(var.missing)"), "undeclared var.missing"),
        (("var.apps : k", "local.nothing : k"), "undeclared local.nothing"),
        (("in module.child :", "in module.other :"), "undeclared module.other"),
        (('"kv"\n  type', 'vault_mount.ghost.path\n  type'), "undeclared resource vault_mount.ghost"),
        (("name     = each.value", "name = each.value\n  colour = 1"), "unknown input colour"),
        (("name     = each.value", "ttl = 3"), "misses required input name"),
        (('path = "kv"', "path = data.vault_generic_secret.x.path"), "undeclared data.vault_"),
        (('path = "kv"', 'path = file("${path.module}/nope.txt")'), "reads missing file nope.txt"),
        (('resource "vault_mount"', 'resource "google_storage_bucket"'), "belongs to no provider"),
        (('description = "apps"', 'description = ""'), "variable apps has no description"),
        (("  for_each = local.names\n", ""), "module.child uses each.* without for_each"),
        (('path = "kv"', 'path = "kv${count.index}"'), "vault_mount.kv uses count.index without count"),
    ],
)
def test_checker_catches(tmp_path, change, expected):
    old, new = change
    assert old in GOOD_ROOT
    found = problems(make(tmp_path, GOOD_ROOT.replace(old, new)))
    assert any(expected in p for p in found), found


def test_checker_catches_a_module_output_that_does_not_exist(tmp_path):
    root = GOOD_ROOT.replace('{ for k, m in module.child : k => m.id }', 'module.child["a"].colour')
    found = problems(make(tmp_path, root))
    assert any("module.child.colour, not an output of child" in p for p in found), found


def test_checker_looks_inside_called_modules(tmp_path):
    found = problems(make(tmp_path, GOOD_ROOT, child=CHILD.replace("var.ttl", "var.tll")))
    assert any("undeclared var.tll" in p and "child" in p for p in found), found


def test_checker_catches_unused_and_unpinned_and_unmarked_secrets(tmp_path):
    root = GOOD_ROOT + textwrap.dedent("""
        variable "admin_token" {
          type        = string
          description = "a secret left unmarked and unused"
        }
    """)
    path = make(tmp_path, root)
    (path / "versions.tf").write_text(PROVIDERS.replace('      version = "~> 4.8"\n', ""))
    found = problems(path)
    assert any("admin_token is declared but never used" in p for p in found), found
    assert any("admin_token looks secret" in p for p in found), found
    assert any("provider vault needs both source and version" in p for p in found), found


def test_checker_catches_an_output_leaking_a_secret(tmp_path):
    root = GOOD_ROOT + textwrap.dedent("""
        variable "db_password" {
          type        = string
          description = "secret"
          sensitive   = true
        }
        output "pw" {
          description = "oops"
          value       = "x-${var.db_password}"
        }
    """)
    assert any("output pw exposes a secret" in p for p in problems(make(tmp_path, root)))


def test_checker_catches_tfvars_for_undeclared_variables(tmp_path):
    path = make(tmp_path, GOOD_ROOT, extra={"lab.auto.tfvars": 'apps = {}\nappz = {}\n'})
    assert problems(path) == [f"{path.name}: lab.auto.tfvars sets undeclared variable appz"]


def test_template_interpolations_are_found_but_escaped_ones_are_not():
    assert list(iac_hcl.interpolations('"a ${var.x} b $${var.y} ${f({k = 1})}"')) == ["var.x", "f({k = 1})"]
    assert list(iac_hcl.interpolations("${var.z}")) == ["var.z"]
