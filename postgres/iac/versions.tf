# Per-app PostgreSQL objects on the lab's server (docker-compose on pi2), pgbouncer's auth role and
# its user_lookup() function, and Vault's database secrets engine for dynamic credentials.
# Applied by .gitea/workflows/postgres.yml; state in gs://arcodange-tf/factory/postgres.

terraform {
  required_version = ">= 1.8.0"

  required_providers {
    postgresql = {
      source  = "cyrilgdn/postgresql"
      version = "~> 1.25"
    }
    vault = {
      source  = "hashicorp/vault"
      version = "~> 4.8"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  backend "gcs" {
    bucket = "arcodange-tf"
    prefix = "factory/postgres"
  }
}
