# The apps that get a database on the lab's PostgreSQL. Add an app here, open a pull request,
# read the plan, merge: CI applies it. See docs/tofu/postgres.md. Gitea is not here: its database
# and role belong to the Ansible role gitea, which creates them before Vault and CI exist.
apps = {
  webapp = {
    dynamic_credentials = true
    credential_ttl      = 3600
  }
}
