# The organisation and repository CI runs in, and the few Actions secrets CI needs before it can
# reach Vault (where everything else lives).

resource "gitea_org" "lab" {
  name        = var.gitea_org
  description = "The factory home lab"
  visibility  = "private"
}

resource "gitea_repository" "factory" {
  username    = gitea_org.lab.name
  name        = var.factory_repository
  description = "Ansible collection, OpenTofu roots and guidebook of the lab"
  private     = true

  lifecycle {
    prevent_destroy = true
  }
}

resource "gitea_org_actions_secret" "vault_addr" {
  org          = gitea_org.lab.name
  secret_name  = "VAULT_ADDR"
  secret_value = var.vault_addr
  description  = "Where CI logs in with its OIDC token"
}

resource "gitea_org_actions_secret" "vault_ca" {
  org          = gitea_org.lab.name
  secret_name  = "VAULT_CACERT_PEM"
  secret_value = var.vault_ca_cert_pem
  description  = "step-ca root that signs Vault's certificate"
}

resource "gitea_repository_actions_secret" "extra" {
  # Keys are ids, not secrets; the values stay sensitive.
  for_each = nonsensitive(toset(keys(var.gitea_repository_secrets)))

  repository_owner = gitea_org.lab.name
  repository       = var.gitea_repository_secrets[each.key].repository
  secret_name      = var.gitea_repository_secrets[each.key].name
  secret_value     = var.gitea_repository_secrets[each.key].value
}
