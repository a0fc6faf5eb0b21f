# pgbouncer (docker-compose on pi2) knows one role itself: var.pgbouncer_role. Every other login
# is checked against the hash that user_lookup() returns. pgbouncer 1.18 has no auth_dbname, so
# it calls user_lookup() in the database the client asked for: the function is created in every
# database pgbouncer serves, i.e. every app database.

resource "random_password" "pgbouncer" {
  length  = 40
  special = false
}

resource "postgresql_role" "pgbouncer" {
  name             = var.pgbouncer_role
  login            = true
  password         = random_password.pgbouncer.result
  connection_limit = 20
}

resource "postgresql_grant" "database_pgbouncer" {
  for_each = local.apps

  database    = postgresql_database.app[each.key].name
  role        = postgresql_role.pgbouncer.name
  object_type = "database"
  privileges  = ["CONNECT"]
}

# The Ansible role that renders pgbouncer's userlist.txt reads the password from here.
resource "vault_kv_secret_v2" "pgbouncer" {
  mount = var.kv_mount
  name  = "infra/pgbouncer"
  data_json = jsonencode({
    username = postgresql_role.pgbouncer.name
    password = random_password.pgbouncer.result
  })
}

# The SQL lives in sql/user_lookup.sql so it can be tested on its own
# (tests/integration/test_postgres_user_lookup.py runs the same file with the same psql flags).
# psql reads PGPASSWORD from the job's environment; a change of the file re-runs it everywhere.
resource "terraform_data" "user_lookup" {
  for_each = local.apps

  triggers_replace = {
    sql      = filesha256("${path.module}/sql/user_lookup.sql")
    database = postgresql_database.app[each.key].name
    role     = postgresql_role.pgbouncer.name
  }

  provisioner "local-exec" {
    working_dir = path.module
    command     = "psql -X -q -v ON_ERROR_STOP=1 -v auth_role=${postgresql_role.pgbouncer.name} -f sql/user_lookup.sql"
    environment = {
      PGHOST     = var.postgres_host
      PGPORT     = tostring(var.postgres_port)
      PGUSER     = var.postgres_superuser
      PGDATABASE = postgresql_database.app[each.key].name
      PGSSLMODE  = var.postgres_sslmode
    }
  }

  depends_on = [postgresql_grant.database_pgbouncer]
}
