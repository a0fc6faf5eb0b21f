variable "domain" {
  type        = string
  description = "The lab's public domain, registered at OVH and served by Cloudflare."
  default     = "arcodange.fr"
}

variable "ovh_endpoint" {
  type        = string
  description = "OVH API endpoint the domain's account lives on."
  default     = "ovh-eu"
}

variable "cloudflare_account_id" {
  type        = string
  description = "Cloudflare account that owns the zone; scoped tokens are created under it."
}

variable "dns_records" {
  type = map(object({
    name    = string
    type    = string
    content = string
    proxied = optional(bool, false)
    ttl     = optional(number, 1)
  }))
  description = "Public DNS records in the Cloudflare zone, keyed by a stable id (ttl 1 = automatic)."
  default     = {}
}

variable "cloudflare_tokens" {
  type = map(object({
    permissions   = list(string)
    allowed_cidrs = optional(list(string), [])
    vault_path    = string
  }))
  description = <<-EOT
    Scoped Cloudflare API tokens, keyed by token name. `permissions` are permission group names
    on the zone (e.g. "DNS Write"); each token is stored in Vault KV at `vault_path` (key `token`).
  EOT
  default = {
    "cert-manager-dns01" = {
      permissions = ["DNS Write", "Zone Read"]
      vault_path  = "apps/cert-manager/cloudflare"
    }
  }

  # CI's policies for this root cover kv/apps/<app>/cloudflare only (vault.tf, ci_managed_paths).
  validation {
    condition     = alltrue([for t in values(var.cloudflare_tokens) : can(regex("^apps/[a-z0-9-]+/cloudflare$", t.vault_path))])
    error_message = "vault_path must be apps/<app>/cloudflare: CI may write nothing else in KV."
  }
}

variable "gcp_project" {
  type        = string
  description = "GCP project holding the state bucket and CI's service account."
}

variable "gcp_region" {
  type        = string
  description = "GCP region for regional resources and the bucket's location."
  default     = "europe-west1"
}

variable "state_bucket" {
  type        = string
  description = "GCS bucket holding every OpenTofu state of the lab (prefixes factory/main, factory/postgres)."
  default     = "arcodange-tf"
}

variable "backup_bucket" {
  type        = string
  description = "GCS bucket holding the off-site backups (restic's repository under restic/); not the state bucket."
  default     = "arcodange-backups"
}

variable "backup_noncurrent_days" {
  type        = number
  description = "Days a noncurrent object version of the backup bucket is kept before the lifecycle rule deletes it."
  default     = 90
}

variable "gitea_url" {
  type        = string
  description = "Base URL of the lab's Gitea (docker-compose on pi2)."
  default     = "https://gitea.arcodange.lab"
}

variable "gitea_org" {
  type        = string
  description = "Gitea organisation that owns the factory repository."
  default     = "arcodange"
}

variable "factory_repository" {
  type        = string
  description = "Name of the repository holding ansible/, iac/ and postgres/iac/, inside gitea_org."
  default     = "factory"
}

variable "default_branch" {
  type        = string
  description = "Branch whose pushes apply; everything else only plans."
  default     = "main"
}

variable "gitea_repository_secrets" {
  type = map(object({
    repository = string
    name       = string
    value      = string
  }))
  description = "Extra Actions secrets for repositories of gitea_org, keyed by a stable id."
  default     = {}
  sensitive   = true
}

variable "vault_addr" {
  type        = string
  description = "Vault address CI and the providers talk to."
  default     = "https://vault.arcodange.lab"
}

variable "vault_ca_cert_pem" {
  type        = string
  description = "PEM of the step-ca root that signs Vault's certificate; published to CI as an org secret."
}

variable "gitea_oidc_issuer" {
  type        = string
  description = "The `iss` claim of Gitea Actions' OIDC tokens; Vault fetches its discovery document from here."
  default     = "https://gitea.arcodange.lab/api/actions"
}

variable "ci_jwt_audience" {
  type        = string
  description = "Audience CI asks for in its OIDC token and Vault's JWT roles require."
  default     = "https://vault.arcodange.lab"
}

variable "ci_runner_cidrs" {
  type        = list(string)
  description = "Addresses CI jobs reach Vault from (the act runners on pi1 and pi3): AppRole secret-ids and their tokens work only from here."
  default     = ["192.168.1.0/24"]
}
