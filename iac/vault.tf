# Vault's side of CI: the KV mount secrets live in, a JWT auth backend that trusts Gitea Actions'
# OIDC issuer, and one role + policy per (root, stage). Plan roles accept any ref of the factory
# repository and can only read; apply roles accept only the default branch and can write.

locals {
  factory_repo = "${var.gitea_org}/${var.factory_repository}"

  # The Vault paths each root manages: plan reads them, apply writes them.
  ci_managed_paths = {
    iac = [
      "sys/mounts",
      "sys/mounts/kv",
      "sys/mounts/kv/*",
      "sys/auth",
      "sys/auth/gitea-actions",
      "sys/auth/gitea-actions/*",
      "sys/policies/acl/*",
      "auth/gitea-actions/*",
      "kv/data/*",
      "kv/metadata/*",
    ]
    postgres = [
      "sys/mounts",
      "sys/mounts/database",
      "sys/mounts/database/*",
      "database/config/*",
      "database/roles/*",
      "kv/data/infra/pgbouncer",
      "kv/metadata/infra/pgbouncer",
      "kv/data/apps/+/postgres",
      "kv/metadata/apps/+/postgres",
    ]
  }

  ci_stage_capabilities = {
    plan  = ["read", "list"]
    apply = ["create", "read", "update", "delete", "list", "sudo"]
  }

  ci_roles = merge(
    { for root in keys(local.ci_managed_paths) : "${root}-plan" => {
      root  = root
      stage = "plan"
      bound = { repository = local.factory_repo }
    } },
    { for root in keys(local.ci_managed_paths) : "${root}-apply" => {
      root  = root
      stage = "apply"
      bound = { repository = local.factory_repo, ref = "refs/heads/${var.default_branch}" }
    } },
  )
}

resource "vault_mount" "kv" {
  path        = "kv"
  type        = "kv"
  description = "Lab secrets: CI provider credentials under ci/, app secrets under apps/, infra/ for services"
  options = {
    version = "2"
  }
}

resource "vault_jwt_auth_backend" "gitea" {
  path               = "gitea-actions"
  type               = "jwt"
  description        = "Gitea Actions jobs, by their OIDC token"
  oidc_discovery_url = var.gitea_oidc_issuer
  bound_issuer       = var.gitea_oidc_issuer
}

data "vault_policy_document" "ci" {
  for_each = local.ci_roles

  dynamic "rule" {
    for_each = local.ci_managed_paths[each.value.root]
    content {
      path         = rule.value
      capabilities = local.ci_stage_capabilities[each.value.stage]
      description  = "${each.value.root} manages this path"
    }
  }

  # Provider credentials for this root, and the GCS key for the state backend.
  rule {
    path         = "kv/data/ci/${each.value.root}/*"
    capabilities = ["read"]
    description  = "provider credentials"
  }

  rule {
    path         = "kv/data/ci/gcp"
    capabilities = ["read"]
    description  = "state backend credentials"
  }
}

resource "vault_policy" "ci" {
  for_each = local.ci_roles

  name   = "ci-factory-${each.key}"
  policy = data.vault_policy_document.ci[each.key].hcl
}

resource "vault_jwt_auth_backend_role" "ci" {
  for_each = local.ci_roles

  backend         = vault_jwt_auth_backend.gitea.path
  role_name       = "factory-${each.key}"
  role_type       = "jwt"
  user_claim      = "sub"
  bound_audiences = [var.ci_jwt_audience]
  bound_claims    = each.value.bound
  token_policies  = [vault_policy.ci[each.key].name]
  token_ttl       = 1800
  token_max_ttl   = 3600
}
