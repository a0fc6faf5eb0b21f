# Vault's database secrets engine issues short-lived roles for apps with dynamic_credentials.
# Each issued role has VALID UNTIL its lease end (so user_lookup() stops handing out its hash when
# it expires) and is a member of the app's owner role; `SET role` makes the objects it creates
# belong to the owner, so nothing is orphaned when Vault drops the role.

resource "random_password" "vault" {
  length  = 40
  special = false
}

resource "postgresql_role" "vault" {
  name        = "vault"
  login       = true
  create_role = true
  password    = random_password.vault.result
}

resource "vault_mount" "database" {
  path        = var.vault_database_mount
  type        = "database"
  description = "Dynamic PostgreSQL credentials for the lab's apps"
}

resource "vault_database_secret_backend_connection" "postgres" {
  backend           = vault_mount.database.path
  name              = "factory-postgres"
  allowed_roles     = keys(local.dynamic_apps)
  verify_connection = true

  postgresql {
    connection_url = "postgresql://{{username}}:{{password}}@${var.postgres_host}:${var.postgres_port}/postgres?sslmode=${var.postgres_sslmode}"
    username       = postgresql_role.vault.name
    password       = random_password.vault.result
  }
}

resource "vault_database_secret_backend_role" "app" {
  for_each = local.dynamic_apps

  backend     = vault_mount.database.path
  name        = each.key
  db_name     = vault_database_secret_backend_connection.postgres.name
  default_ttl = each.value.ttl
  max_ttl     = each.value.max_ttl

  creation_statements = [
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE \"${postgresql_role.owner[each.key].name}\";",
    "ALTER ROLE \"{{name}}\" SET role = '${postgresql_role.owner[each.key].name}';",
  ]
  renew_statements = [
    "ALTER ROLE \"{{name}}\" VALID UNTIL '{{expiration}}';",
  ]
  revocation_statements = [
    "DROP ROLE IF EXISTS \"{{name}}\";",
  ]
}
