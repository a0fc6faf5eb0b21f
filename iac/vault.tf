# Vault's side of CI: the KV mount secrets live in, one policy per (root, stage), and two ways in:
# - AppRole (works on Gitea 1.25, which issues no OIDC token to jobs): one role per (root, stage),
#   its secret-id delivered as a Gitea org secret by .gitea/scripts/issue-ci-secret-id.sh. Plan
#   secret-ids are reusable for 30 days; an apply secret-id serves one run and is delivered
#   response-wrapped, so a second unwrap (anyone else's) fails loudly. Both only from the runners.
# - JWT, kept for when Gitea issues OIDC tokens: plan roles accept any ref of the factory
#   repository, apply roles only the default branch.
# Plan policies only read, and only the paths their root manages: no plan role reads all of KV.

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
      "sys/auth/ci-approle",
      "sys/auth/ci-approle/*",
      "auth/ci-approle/role/*",
      # The KV entries this root writes (gcp.tf, cloudflare_tokens.tf), not the whole mount.
      "kv/data/ci/gcp",
      "kv/metadata/ci/gcp",
      "kv/data/apps/+/cloudflare",
      "kv/metadata/apps/+/cloudflare",
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

  # AppRole secret-ids: uses (0 = unlimited) and lifetime in seconds, per stage.
  ci_secret_id = {
    plan  = { num_uses = 0, ttl = 2592000 }
    apply = { num_uses = 1, ttl = 86400 }
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
  # Gitea's discovery document is served over TLS with a step-ca certificate.
  oidc_discovery_ca_pem = var.vault_ca_cert_pem
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

resource "vault_auth_backend" "ci_approle" {
  type        = "approle"
  path        = "ci-approle"
  description = "CI jobs, by a secret-id delivered as a Gitea org secret (Gitea 1.25 issues no OIDC token)"
}

resource "vault_approle_auth_backend_role" "ci" {
  for_each = local.ci_roles

  backend   = vault_auth_backend.ci_approle.path
  role_name = "factory-${each.key}"
  # The role-id is a name, not a secret: the secret-id is the credential, and it only works from the runners.
  role_id               = "factory-${each.key}"
  token_policies        = [vault_policy.ci[each.key].name]
  token_ttl             = 1800
  token_max_ttl         = 3600
  token_bound_cidrs     = var.ci_runner_cidrs
  secret_id_bound_cidrs = var.ci_runner_cidrs
  secret_id_num_uses    = local.ci_secret_id[each.value.stage].num_uses
  secret_id_ttl         = local.ci_secret_id[each.value.stage].ttl
}
