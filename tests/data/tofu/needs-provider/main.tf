# Needs a provider that cannot be installed on a machine without the registry (like the lab's roots here).
terraform {
  required_providers {
    vault = {
      source  = "hashicorp/vault"
      version = "~> 4.0"
    }
  }
}

resource "vault_mount" "kv" {
  path = "kv"
  type = "kv-v2"
}
