# The apps that get a database on the lab's PostgreSQL. Add an app here, open a pull request,
# read the plan, merge: CI applies it. See docs/tofu/postgres.md.
apps = {
  gitea = {
    connection_limit = 50
  }
  webapp = {
    dynamic_credentials = true
    credential_ttl      = 3600
  }
}
