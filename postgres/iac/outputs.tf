output "databases" {
  description = "Database, owner role and login role (or `vault:<role>` for dynamic ones) of each app."
  value = { for name, app in local.apps : name => {
    database = postgresql_database.app[name].name
    owner    = postgresql_role.owner[name].name
    login    = app.dynamic ? "vault:${var.vault_database_mount}/creds/${name}" : postgresql_role.login[name].name
  } }
}

output "pgbouncer_databases" {
  description = "Databases user_lookup() is installed in: every database pgbouncer serves."
  value       = sort([for name, _ in terraform_data.user_lookup : postgresql_database.app[name].name])
}
