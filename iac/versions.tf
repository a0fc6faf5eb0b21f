# The forge/cloud edge of the lab: DNS, API tokens, the state bucket and CI's service account,
# the off-site backup bucket, Gitea organisation secrets, and Vault's KV mounts, policies and the JWT login CI uses.
# Applied by .gitea/workflows/iac.yml; state in gs://arcodange-tf/factory/main.

terraform {
  required_version = ">= 1.8.0"

  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 4.52"
    }
    ovh = {
      source  = "ovh/ovh"
      version = "~> 2.1"
    }
    google = {
      source  = "hashicorp/google"
      version = "~> 6.20"
    }
    gitea = {
      source  = "go-gitea/gitea"
      version = "~> 0.7"
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
    prefix = "factory/main"
  }
}
