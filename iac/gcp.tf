# The bucket every state of the lab lives in, and the service account CI uses to reach it.
# The bucket holds this root's own state: it was created once by hand and imported, and must
# never be destroyed by a plan (prevent_destroy).

resource "google_storage_bucket" "state" {
  name                        = var.state_bucket
  location                    = var.gcp_region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  # Old state versions are the undo history; keep the last 30 of each object.
  lifecycle_rule {
    condition {
      num_newer_versions = 30
    }
    action {
      type = "Delete"
    }
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "google_service_account" "tofu_ci" {
  account_id   = "tofu-ci"
  display_name = "OpenTofu in Gitea CI"
  description  = "Reads and writes OpenTofu state in gs://${var.state_bucket}; nothing else."
}

resource "google_storage_bucket_iam_member" "tofu_ci_state" {
  bucket = google_storage_bucket.state.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.tofu_ci.email}"
}

resource "google_service_account_key" "tofu_ci" {
  service_account_id = google_service_account.tofu_ci.name
}

# CI never sees this key in Gitea: it reads it from Vault after its OIDC login.
resource "vault_kv_secret_v2" "tofu_ci_gcp" {
  mount = vault_mount.kv.path
  name  = "ci/gcp"
  data_json = jsonencode({
    credentials = base64decode(google_service_account_key.tofu_ci.private_key)
  })
}
