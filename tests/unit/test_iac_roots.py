"""What each OpenTofu root must declare: pinned providers, its GCS backend, formatting, and the
pieces the lab relies on (scoped Cloudflare tokens, CI's JWT login, user_lookup() everywhere)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

try:
    from . import iac_hcl
except ImportError:
    import iac_hcl  # type: ignore[no-redef]

unquote = iac_hcl.unquote

BACKEND_PREFIX = {"iac": "factory/main", "postgres/iac": "factory/postgres"}
IAC_PROVIDERS = {
    "cloudflare": "cloudflare/cloudflare",
    "ovh": "ovh/ovh",
    "google": "hashicorp/google",
    "gitea": "go-gitea/gitea",
    "vault": "hashicorp/vault",
    "random": "hashicorp/random",
}
# A pin bounds the version from above: "~> x.y", an exact version, or an explicit "< z".
PINNED = re.compile(r"^(~>\s*\d+\.\d+(\.\d+)?|=?\s*\d+\.\d+\.\d+|.*<\s*\d+.*)$")


@pytest.fixture(scope="module")
def iac():
    return iac_hcl.load_module(iac_hcl.ROOTS["iac"])


@pytest.fixture(scope="module")
def pg():
    return iac_hcl.load_module(iac_hcl.ROOTS["postgres/iac"])


def test_terraform_fmt_is_clean(tmp_path):
    binary = shutil.which("tofu") or shutil.which("terraform")
    assert binary, "neither tofu nor terraform is on PATH (terraform 1.11 is what CI installs)"
    cli_config = tmp_path / "cli.tfrc"
    cli_config.write_text("")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config)}
    for root in ("iac", "postgres"):
        proc = subprocess.run([binary, "fmt", "-check", "-recursive", "-diff", root], cwd=iac_hcl.REPO_ROOT,
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("root", sorted(BACKEND_PREFIX))
def test_backend_is_the_shared_gcs_bucket(root):
    mod = iac_hcl.load_module(iac_hcl.ROOTS[root])
    assert mod.backends == {"gcs": {"bucket": "arcodange-tf", "prefix": BACKEND_PREFIX[root]}}


@pytest.mark.parametrize("root", [*sorted(iac_hcl.ROOTS), "iac/modules/cloudflare_token"])
def test_every_provider_is_pinned(root):
    mod = iac_hcl.load_module(iac_hcl.REPO_ROOT / root)
    assert mod.required_providers
    for name, spec in mod.required_providers.items():
        assert PINNED.match(spec["version"]), f"{root}: provider {name} {spec['version']!r} is not pinned"


def test_iac_requires_the_edge_providers(iac):
    assert {n: s["source"] for n, s in iac.required_providers.items()} == IAC_PROVIDERS


def test_cloudflare_tokens_come_from_the_module_and_land_in_vault(iac):
    call = iac.modules["cloudflare_token"]
    assert unquote(call["source"]) == "./modules/cloudflare_token"
    child = iac_hcl.load_module(iac_hcl.REPO_ROOT / "iac/modules/cloudflare_token")
    assert ("cloudflare_api_token", "this") in child.resources
    required = {v for v, b in child.variables.items() if "default" not in b}
    assert {"permission_group_ids", "zone_ids"} <= required
    assert child.outputs["value"].get("sensitive") is True
    stored = iac.resources[("vault_kv_secret_v2", "cloudflare_token")]
    assert "module.cloudflare_token[each.key].value" in stored["data_json"]


def test_ci_jwt_roles_bind_the_repository_and_apply_only_from_the_default_branch(iac):
    backend = iac.resources[("vault_jwt_auth_backend", "gitea")]
    assert unquote(backend["type"]) == "jwt"
    assert backend["oidc_discovery_url"] == backend["bound_issuer"] == "${var.gitea_oidc_issuer}"
    # Gitea serves its discovery document with a step-ca certificate: Vault must trust that root.
    assert backend["oidc_discovery_ca_pem"] == "${var.vault_ca_cert_pem}"
    roles = iac.locals["ci_roles"]
    # Plan roles: bound to the repository; apply roles: also to refs/heads/<default branch>.
    assert re.search(r'"\$\{root\}-plan" => \{.*?bound = \{repository = local\.factory_repo\}', roles, re.S)
    assert re.search(r'"\$\{root\}-apply" => \{.*?bound = \{repository = local\.factory_repo, '
                     r'ref = "refs/heads/\$\{var\.default_branch\}"\}', roles, re.S)
    role = iac.resources[("vault_jwt_auth_backend_role", "ci")]
    assert role["bound_claims"] == "${each.value.bound}"
    assert role["bound_audiences"] == ["${var.ci_jwt_audience}"]
    assert iac.locals["ci_stage_capabilities"]["plan"] == ['"read"', '"list"']


def test_state_bucket_cannot_be_destroyed_by_a_plan(iac):
    bucket = iac.resources[("google_storage_bucket", "state")]
    assert bucket["lifecycle"][0]["prevent_destroy"] is True
    assert bucket["name"] == "${var.state_bucket}"
    assert iac.variables["state_bucket"]["default"] == '"arcodange-tf"'


def test_backup_bucket_is_separate_versioned_retained_and_uniform(iac):
    bucket = iac.resources[("google_storage_bucket", "backup")]
    assert bucket["name"] == "${var.backup_bucket}"
    assert iac.variables["backup_bucket"]["default"] != iac.variables["state_bucket"]["default"]
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["versioning"][0]["enabled"] is True
    assert bucket["lifecycle"][0]["prevent_destroy"] is True
    # Retention acts on noncurrent versions only: a live object of the repository is never aged out.
    (rule,) = bucket["lifecycle_rule"]
    assert unquote(rule["action"][0]["type"]) == "Delete"
    assert set(rule["condition"][0]) - {"__is_block__"} == {"days_since_noncurrent_time"}


def test_backup_writer_can_create_and_read_but_delete_only_restic_locks(iac):
    member = "serviceAccount:${google_service_account.backup_writer.email}"
    grants = iac.resources[("google_storage_bucket_iam_member", "backup_writer")]
    roles = set(re.findall(r'"(roles/[^"]+)"', grants["for_each"]))
    assert roles == {"roles/storage.objectCreator", "roles/storage.objectViewer", "roles/storage.legacyBucketReader"}
    assert unquote(grants["member"]) == member and grants["bucket"] == "${google_storage_bucket.backup.name}"
    locks = iac.resources[("google_storage_bucket_iam_member", "backup_writer_locks")]
    assert unquote(locks["member"]) == member
    (condition,) = locks["condition"]
    assert "local.backup_lock_objects" in condition["expression"]
    assert iac.locals["backup_lock_objects"].endswith('/objects/${local.backup_repository_prefix}/locks/"')
    # No other grant names the writer: nothing else could give it delete.
    others = [k for k, b in iac.resources.items() if "backup_writer.email" in str(b) and k[0].endswith("iam_member")]
    assert sorted(others) == [("google_storage_bucket_iam_member", "backup_writer"),
                              ("google_storage_bucket_iam_member", "backup_writer_locks")]


def test_backup_credentials_and_password_land_in_vault_for_ansible(iac):
    stored = iac.resources[("vault_kv_secret_v2", "backup")]
    assert stored["mount"] == "${vault_mount.kv.path}"
    assert unquote(stored["name"]) == "infra/backup"
    for field in ("credentials", "repository", "password", "project"):
        assert re.search(rf"\b{field}\s*=", stored["data_json"]), field
    assert "random_password.backup_repository.result" in stored["data_json"]


def test_secret_inputs_are_sensitive(iac):
    assert iac.variables["gitea_repository_secrets"].get("sensitive") is True


def test_user_lookup_is_installed_in_every_database_pgbouncer_serves(pg):
    databases = pg.resources[("postgresql_database", "app")]["for_each"]
    install = pg.resources[("terraform_data", "user_lookup")]
    connect = pg.resources[("postgresql_grant", "database_pgbouncer")]
    assert install["for_each"] == connect["for_each"] == databases
    exec_ = install["provisioner"][0]['"local-exec"']
    assert "${postgresql_database.app[each.key].name}" in exec_["environment"]["PGDATABASE"]
    command = unquote(exec_["command"])
    assert "-v ON_ERROR_STOP=1" in command
    assert "-v auth_role=${postgresql_role.pgbouncer.name}" in command
    assert command.endswith("-f sql/user_lookup.sql")
    assert (iac_hcl.ROOTS["postgres/iac"] / "sql" / "user_lookup.sql").is_file()
    # A change of the SQL file re-runs it.
    assert install["triggers_replace"]["sql"] == '${filesha256("${path.module}/sql/user_lookup.sql")}'


def test_apps_come_from_one_map(pg):
    assert pg.variables["apps"]["type"].startswith("${map(object(")
    for (rtype, name), body in pg.resources.items():
        if rtype in {"postgresql_database"} or (rtype, name) == ("postgresql_role", "owner"):
            assert body["for_each"] == "${local.apps}", f"{rtype}.{name}"
    assert "var.apps" in pg.locals["apps"]


def test_dynamic_credentials_expire_so_user_lookup_drops_them(pg):
    role = pg.resources[("vault_database_secret_backend_role", "app")]
    create = " ".join(unquote(s) for s in role["creation_statements"])
    assert "VALID UNTIL '{{expiration}}'" in create
    assert "IN ROLE" in create and "LOGIN" in create
    assert role["for_each"] == "${local.dynamic_apps}"


def test_ci_approle_roles_mirror_the_jwt_roles_and_stay_on_the_runners(iac):
    role = iac.resources[("vault_approle_auth_backend_role", "ci")]
    jwt = iac.resources[("vault_jwt_auth_backend_role", "ci")]
    assert role["for_each"] == jwt["for_each"] == "${local.ci_roles}"
    assert role["role_name"] == role["role_id"] == '"factory-${each.key}"'
    assert role["token_policies"] == jwt["token_policies"]
    assert role["token_bound_cidrs"] == role["secret_id_bound_cidrs"] == "${var.ci_runner_cidrs}"
    assert role["secret_id_num_uses"] == "${local.ci_secret_id[each.value.stage].num_uses}"


def test_no_ci_policy_covers_all_of_kv(iac):
    paths = [p for root in iac.locals["ci_managed_paths"].values() for p in root]
    assert paths and not [p for p in paths if p.strip('"') in {"kv/*", "kv/data/*", "kv/metadata/*", "*"}]
