#!/usr/bin/env bash
# Issue an AppRole secret-id for one CI role and store it as a Gitea organisation Actions secret.
# Run by the operator (factory-tui's shell or a terminal), never by CI itself.
#
#   issue-ci-secret-id.sh <root> <plan|apply>      e.g. issue-ci-secret-id.sh postgres apply
#
# plan:  a plain secret-id of factory-<root>-plan (reusable, 30 days, from the runners only) into
#        VAULT_SECRET_ID_<ROOT>_PLAN. Issue a new one before it expires.
# apply: a secret-id of factory-<root>-apply that serves one login, response-wrapped (WRAP_TTL,
#        default 24h), into VAULT_SECRET_ID_<ROOT>_APPLY_WRAPPED. Issue one before merging a change
#        that CI should apply; the apply job's login checks and unwraps it, and fails loudly if
#        anybody unwrapped it first.
#
# Needs VAULT_ADDR and VAULT_TOKEN (a token allowed to write auth/ci-approle/role/*/secret-id),
# GITEA_URL and GITEA_TOKEN (org admin); VAULT_CACERT for a private CA; GITEA_ORG (default arcodange),
# VAULT_APPROLE_MOUNT (default ci-approle). Neither token nor secret-id is printed or put on a
# command line: curl reads them from stdin or a process substitution.
set -euo pipefail

die() { printf 'issue-ci-secret-id: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 2 && ( $2 == plan || $2 == apply ) ]] || die "usage: issue-ci-secret-id.sh <root> <plan|apply>"
root=$1
stage=$2
[[ $root =~ ^[a-z][a-z0-9_]*$ ]] || die "bad root name '$root'"
: "${VAULT_ADDR:?VAULT_ADDR is not set}"
: "${VAULT_TOKEN:?VAULT_TOKEN is not set}"
: "${GITEA_URL:?GITEA_URL is not set}"
: "${GITEA_TOKEN:?GITEA_TOKEN is not set}"
org=${GITEA_ORG:-arcodange}
mount=${VAULT_APPROLE_MOUNT:-ci-approle}
role="factory-$root-$stage"
upper=$(printf '%s' "$root" | tr '[:lower:]' '[:upper:]')

vault_curl=(curl -sS --fail --connect-timeout 10 --max-time 30)
[[ -n ${VAULT_CACERT:-} ]] && vault_curl+=(--cacert "$VAULT_CACERT")

if [[ $stage == apply ]]; then
  name="VAULT_SECRET_ID_${upper}_APPLY_WRAPPED"
  value=$("${vault_curl[@]}" -X POST --data '{}' \
    -H @<(printf 'X-Vault-Token: %s\nX-Vault-Wrap-TTL: %s\n' "$VAULT_TOKEN" "${WRAP_TTL:-24h}") \
    "$VAULT_ADDR/v1/auth/$mount/role/$role/secret-id" | jq -er '.wrap_info.token') \
    || die "Vault refused a secret-id for $role"
else
  name="VAULT_SECRET_ID_${upper}_PLAN"
  value=$("${vault_curl[@]}" -X POST --data '{}' -H @<(printf 'X-Vault-Token: %s\n' "$VAULT_TOKEN") \
    "$VAULT_ADDR/v1/auth/$mount/role/$role/secret-id" | jq -er '.data.secret_id') \
    || die "Vault refused a secret-id for $role"
fi

VALUE=$value jq -n '{data: env.VALUE}' \
  | curl -sS --fail --connect-timeout 10 --max-time 30 -o /dev/null -X PUT -H 'Content-Type: application/json' \
    -H @<(printf 'Authorization: token %s\n' "$GITEA_TOKEN") --data @- \
    "$GITEA_URL/api/v1/orgs/$org/actions/secrets/$name" \
  || die "Gitea refused the secret $name (is GITEA_TOKEN an admin of $org?)"
printf 'issue-ci-secret-id: %s stored for role %s\n' "$name" "$role"
