# Credentials never live in variables or tfvars: CI reads them from Vault and exports them as the
# environment each provider reads on its own (see docs/tofu/ci.md):
#   CLOUDFLARE_API_TOKEN, OVH_APPLICATION_KEY / OVH_APPLICATION_SECRET / OVH_CONSUMER_KEY,
#   GOOGLE_CREDENTIALS, GITEA_TOKEN, VAULT_TOKEN (+ VAULT_CACERT for the step-ca root).

provider "cloudflare" {}

provider "ovh" {
  endpoint = var.ovh_endpoint
}

provider "google" {
  project = var.gcp_project
  region  = var.gcp_region
}

provider "gitea" {
  base_url = var.gitea_url
}

provider "vault" {
  address = var.vault_addr
  # CI's token comes from a JWT login and may not create child tokens; use it as it is.
  skip_child_token = true
}
