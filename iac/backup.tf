# The off-site backup bucket: restic's repository of what pi2 keeps under /mnt/backups (PostgreSQL
# dumps, Gitea archives, Longhorn's backup store). Separate from the state bucket, so a mistake with
# one never touches the other.
#
# The Pis' service account may create objects and read them back, never delete or overwrite them:
# a compromised Pi cannot erase history. Its one exception is restic's lock files (restic removes
# its own lock when a backup ends); a lock holds no data. Retention is the bucket's job: versioning
# keeps every object, and the lifecycle rule removes only noncurrent versions (what an operator's
# `restic forget --prune` with an admin key set aside) once they are old enough.

locals {
  # restic's repository inside the bucket, and the object prefix of its lock files.
  backup_repository_prefix = "restic"
  backup_lock_objects      = "projects/_/buckets/${var.backup_bucket}/objects/${local.backup_repository_prefix}/locks/"
}

resource "google_storage_bucket" "backup" {
  name                        = var.backup_bucket
  location                    = var.gcp_region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.backup_noncurrent_days
    }
    action {
      type = "Delete"
    }
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "google_service_account" "backup_writer" {
  account_id   = "backup-writer"
  display_name = "Off-site backups from the Pis"
  description  = "Creates and reads objects in gs://${var.backup_bucket}; deletes only restic's lock files."
}

# objectCreator cannot overwrite an existing object (that needs delete), objectViewer reads and lists;
# legacyBucketReader adds the bucket's own metadata, which restic reads when it opens the repository.
resource "google_storage_bucket_iam_member" "backup_writer" {
  for_each = toset(["roles/storage.objectCreator", "roles/storage.objectViewer", "roles/storage.legacyBucketReader"])

  bucket = google_storage_bucket.backup.name
  role   = each.value
  member = "serviceAccount:${google_service_account.backup_writer.email}"
}

resource "google_storage_bucket_iam_member" "backup_writer_locks" {
  bucket = google_storage_bucket.backup.name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.backup_writer.email}"

  condition {
    title       = "restic-locks-only"
    description = "restic may remove its own lock files, nothing else"
    expression  = "resource.name.startsWith(\"${local.backup_lock_objects}\")"
  }
}

resource "google_service_account_key" "backup_writer" {
  service_account_id = google_service_account.backup_writer.name
}

# The repository's encryption password: without it the bucket's objects are unreadable.
resource "random_password" "backup_repository" {
  length  = 48
  special = false
}

# Ansible's backup role reads this (05_backup, the recover playbooks): it never passes through Gitea.
resource "vault_kv_secret_v2" "backup" {
  mount = vault_mount.kv.path
  name  = "infra/backup"
  data_json = jsonencode({
    credentials = base64decode(google_service_account_key.backup_writer.private_key)
    project     = var.gcp_project
    repository  = "gs:${google_storage_bucket.backup.name}:/${local.backup_repository_prefix}"
    password    = random_password.backup_repository.result
  })
}
