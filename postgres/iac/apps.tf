# One database per app, owned by a NOLOGIN owner role; the app logs in as a member of that role
# (a static login role here, or a dynamic one issued by Vault, see vault.tf).

locals {
  apps = { for name, app in var.apps : name => {
    database         = coalesce(app.database, name)
    owner            = coalesce(app.owner, "${name}_owner")
    login            = coalesce(app.login, "${name}_app")
    connection_limit = app.connection_limit
    dynamic          = app.dynamic_credentials
    ttl              = app.credential_ttl
    max_ttl          = app.credential_max_ttl
  } }

  static_apps  = { for name, app in local.apps : name => app if !app.dynamic }
  dynamic_apps = { for name, app in local.apps : name => app if app.dynamic }
}

resource "postgresql_role" "owner" {
  for_each = local.apps

  name  = each.value.owner
  login = false
}

resource "postgresql_database" "app" {
  for_each = local.apps

  name             = each.value.database
  owner            = postgresql_role.owner[each.key].name
  template         = "template0"
  encoding         = "UTF8"
  connection_limit = each.value.connection_limit
}

# Nobody but the owner's members (and pgbouncer, below) may connect to an app's database.
resource "postgresql_grant" "database_public" {
  for_each = local.apps

  database    = postgresql_database.app[each.key].name
  role        = "public"
  object_type = "database"
  privileges  = []
}

resource "random_password" "login" {
  for_each = local.static_apps

  length  = 40
  special = false
}

resource "postgresql_role" "login" {
  for_each = local.static_apps

  name             = each.value.login
  login            = true
  password         = random_password.login[each.key].result
  roles            = [postgresql_role.owner[each.key].name]
  connection_limit = each.value.connection_limit
}

resource "postgresql_grant" "database_login" {
  for_each = local.static_apps

  database    = postgresql_database.app[each.key].name
  role        = postgresql_role.login[each.key].name
  object_type = "database"
  privileges  = ["CONNECT", "TEMPORARY"]
}

# Where the app (and the Ansible role deploying it) finds its credentials.
resource "vault_kv_secret_v2" "login" {
  for_each = local.static_apps

  mount = var.kv_mount
  name  = "apps/${each.key}/postgres"
  data_json = jsonencode({
    database = postgresql_database.app[each.key].name
    username = postgresql_role.login[each.key].name
    password = random_password.login[each.key].result
  })
}
