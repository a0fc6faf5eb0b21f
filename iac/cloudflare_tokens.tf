# Scoped API tokens for in-cluster consumers (cert-manager's DNS-01 solver, ...). Each token can
# touch only this zone, and lands in Vault KV where its consumer reads it.

data "cloudflare_api_token_permission_groups" "all" {}

module "cloudflare_token" {
  source   = "./modules/cloudflare_token"
  for_each = var.cloudflare_tokens

  name                 = each.key
  permission_group_ids = [for p in each.value.permissions : data.cloudflare_api_token_permission_groups.all.zone[p]]
  zone_ids             = [data.cloudflare_zone.main.id]
  allowed_cidrs        = each.value.allowed_cidrs
}

resource "vault_kv_secret_v2" "cloudflare_token" {
  for_each = var.cloudflare_tokens

  mount = vault_mount.kv.path
  name  = each.value.vault_path
  data_json = jsonencode({
    token    = module.cloudflare_token[each.key].value
    token_id = module.cloudflare_token[each.key].id
  })
}
