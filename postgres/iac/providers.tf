# The superuser's password is never a variable: the postgresql provider and the psql that runs
# sql/user_lookup.sql both read PGPASSWORD, which CI exports from Vault (kv/ci/postgres/superuser).

provider "postgresql" {
  host            = var.postgres_host
  port            = var.postgres_port
  username        = var.postgres_superuser
  sslmode         = var.postgres_sslmode
  superuser       = true
  connect_timeout = 15
}

provider "vault" {
  address = var.vault_addr
  # CI's token comes from a JWT login and may not create child tokens; use it as it is.
  skip_child_token = true
}
