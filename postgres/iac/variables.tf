variable "apps" {
  type = map(object({
    database            = optional(string)
    owner               = optional(string)
    login               = optional(string)
    connection_limit    = optional(number, -1)
    dynamic_credentials = optional(bool, false)
    credential_ttl      = optional(number, 3600)
    credential_max_ttl  = optional(number, 86400)
  }))
  description = <<-EOT
    Apps that get a database, keyed by app name. Defaults: database = <app>, owner role =
    <app>_owner (NOLOGIN, owns the database), login role = <app>_app (member of the owner role).
    dynamic_credentials = true: no static login role; Vault's database engine issues short-lived
    roles (VALID UNTIL) that are members of the owner role.
  EOT

  validation {
    condition     = alltrue([for name in keys(var.apps) : can(regex("^[a-z][a-z0-9_]{0,40}$", name))])
    error_message = "App names are lower-case identifiers (letters, digits, _), at most 41 characters."
  }

  # Gitea's database and role are created by the Ansible role gitea at bring-up, before Vault and CI
  # exist (CI runs in Gitea); two engines owning one database would fight over its owner and CONNECT.
  validation {
    condition     = !contains(keys(var.apps), "gitea")
    error_message = "gitea's database belongs to the Ansible role gitea (ansible/roles/gitea), not to postgres/iac."
  }
}

variable "postgres_host" {
  type        = string
  description = "Address of the PostgreSQL server (not pgbouncer): tofu needs a superuser session."
  default     = "pi2.home"
}

variable "postgres_port" {
  type        = number
  description = "Port of the PostgreSQL server."
  default     = 5432
}

variable "postgres_superuser" {
  type        = string
  description = "Superuser tofu connects as; its password comes from PGPASSWORD."
  default     = "postgres"
}

variable "postgres_sslmode" {
  type        = string
  description = "libpq sslmode for tofu's and Vault's connections; the lab's server serves no TLS (docs/roles/postgres.md)."
  default     = "disable"
}

variable "pgbouncer_role" {
  type        = string
  description = "Role pgbouncer logs in as to run user_lookup() (pgbouncer.ini auth_user)."
  default     = "pgbouncer"
}

variable "vault_addr" {
  type        = string
  description = "Vault address (KV for generated passwords, database engine for dynamic ones)."
  default     = "https://vault.arcodange.lab"
}

variable "kv_mount" {
  type        = string
  description = "KV v2 mount generated passwords are written to (created by iac/)."
  default     = "kv"
}

variable "vault_database_mount" {
  type        = string
  description = "Path of Vault's database secrets engine."
  default     = "database"
}
