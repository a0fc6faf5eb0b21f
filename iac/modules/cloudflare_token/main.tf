# One Cloudflare API token scoped to the given zones and permission groups (provider 4.x schema).

resource "cloudflare_api_token" "this" {
  name       = var.name
  expires_on = var.expires_on

  policy {
    permission_groups = var.permission_group_ids
    resources         = { for z in var.zone_ids : "com.cloudflare.api.account.zone.${z}" => "*" }
  }

  dynamic "condition" {
    for_each = length(var.allowed_cidrs) > 0 ? [var.allowed_cidrs] : []
    content {
      request_ip {
        in = condition.value
      }
    }
  }
}
