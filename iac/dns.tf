# The domain is registered at OVH and delegated to Cloudflare, which serves the zone.

data "cloudflare_zone" "main" {
  name       = var.domain
  account_id = var.cloudflare_account_id
}

# Point the registrar at Cloudflare's name servers for this zone.
resource "ovh_domain_name_servers" "delegation" {
  domain = var.domain

  dynamic "servers" {
    for_each = data.cloudflare_zone.main.name_servers
    content {
      host = servers.value
    }
  }
}

resource "cloudflare_record" "this" {
  for_each = var.dns_records

  zone_id = data.cloudflare_zone.main.id
  name    = each.value.name
  type    = each.value.type
  content = each.value.content
  proxied = each.value.proxied
  ttl     = each.value.ttl
  comment = "managed by factory iac/ (${each.key})"
}
