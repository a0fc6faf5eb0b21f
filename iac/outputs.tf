output "tofu_ci_service_account" {
  description = "Email of the service account CI uses for the state bucket."
  value       = google_service_account.tofu_ci.email
}

output "backup_writer_service_account" {
  description = "Email of the service account the Pis copy off-site backups with (create and read only)."
  value       = google_service_account.backup_writer.email
}

output "backup_bucket" {
  description = "Name of the off-site backup bucket."
  value       = google_storage_bucket.backup.name
}

output "ci_jwt_roles" {
  description = "Vault JWT role names CI logs in with, by <root>-<stage>."
  value       = { for k, r in vault_jwt_auth_backend_role.ci : k => r.role_name }
}

output "ci_jwt_backend" {
  description = "Mount path of the JWT auth backend CI logs in through."
  value       = vault_jwt_auth_backend.gitea.path
}

output "cloudflare_token_ids" {
  description = "Ids (not values) of the scoped Cloudflare tokens, by name."
  value       = { for k, m in module.cloudflare_token : k => m.id }
}

output "name_servers" {
  description = "Cloudflare name servers the domain is delegated to."
  value       = data.cloudflare_zone.main.name_servers
}

output "ci_approle_backend" {
  description = "Mount path of the AppRole auth backend CI logs in through today (role-id = role name)."
  value       = vault_auth_backend.ci_approle.path
}
