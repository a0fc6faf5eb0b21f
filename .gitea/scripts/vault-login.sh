#!/usr/bin/env bash
# Log this CI job in to Vault, then hand the listed secrets to later steps.
#
#   vault-login.sh <vault-role> [ENV_NAME=<kv-v2 api path>#<key> ...]
#   e.g. vault-login.sh factory-iac-plan GOOGLE_CREDENTIALS=kv/data/ci/gcp#credentials
#
# Two ways in, the first one available wins:
# - OIDC (JWT): the runner's ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN (`permissions: id-token: write`),
#   VAULT_JWT_AUDIENCE; backend VAULT_JWT_MOUNT (default gitea-actions). Gitea 1.25 has no such token.
# - AppRole: role-id = <vault-role>, secret-id from VAULT_SECRET_ID, or from VAULT_SECRET_ID_WRAPPED
#   (a response-wrapping token: checked to wrap a secret-id of <vault-role> before it is unwrapped,
#   and refused loudly if somebody unwrapped it first); backend VAULT_APPROLE_MOUNT (default ci-approle).
# Needs VAULT_ADDR; VAULT_CACERT (a PEM file) if Vault's CA is private.
#
# Every value is masked (`::add-mask::`, one per line: the runner masks line by line) before it is
# written to $GITHUB_ENV, and never appears on a command line: curl reads headers and bodies on stdin.
# There is deliberately no `set -x` here.
set -euo pipefail

die() { printf 'vault-login: %s\n' "$*" >&2; exit 1; }

[[ $# -ge 1 ]] || die "usage: vault-login.sh <vault-role> [ENV_NAME=<path>#<key> ...]"
role=$1
shift
: "${VAULT_ADDR:?VAULT_ADDR is not set}"
: "${GITHUB_ENV:?GITHUB_ENV is not set (not running under Actions?)}"
if [[ -n ${ACTIONS_ID_TOKEN_REQUEST_URL:-} && -n ${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-} ]]; then
  method=jwt
  : "${VAULT_JWT_AUDIENCE:?VAULT_JWT_AUDIENCE is not set}"
elif [[ -n ${VAULT_SECRET_ID_WRAPPED:-} || -n ${VAULT_SECRET_ID:-} ]]; then
  method=approle
else
  die "no OIDC token available (give the job 'permissions: id-token: write') and no AppRole secret-id" \
    "(VAULT_SECRET_ID or VAULT_SECRET_ID_WRAPPED from the org secrets, see docs/tofu/ci.md)"
fi
mount=${VAULT_JWT_MOUNT:-gitea-actions}
approle_mount=${VAULT_APPROLE_MOUNT:-ci-approle}

vault_curl=(curl -sS --fail --connect-timeout 10 --max-time 30)
if [[ -n ${VAULT_CACERT:-} ]]; then
  vault_curl+=(--cacert "$VAULT_CACERT")
fi

mask() {
  local line
  while IFS= read -r line; do
    [[ -n $line ]] && printf '::add-mask::%s\n' "$line"
  done <<<"$1"
}

export_env() {  # name value: multi-line safe ($GITHUB_ENV heredoc form with a random delimiter)
  local delim
  delim="EOF_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  { printf '%s<<%s\n' "$1" "$delim"; printf '%s\n' "$2"; printf '%s\n' "$delim"; } >>"$GITHUB_ENV"
}

vault_post() {  # path: POST the JSON on stdin to Vault and print its reply
  "${vault_curl[@]}" -X POST --data @- "$VAULT_ADDR/v1/$1"
}

if [[ $method == jwt ]]; then
  # 1. The job's OIDC token, for Vault's audience.
  sep='?'
  [[ $ACTIONS_ID_TOKEN_REQUEST_URL == *\?* ]] && sep='&'
  jwt=$(printf 'Authorization: bearer %s\n' "$ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
    | curl -sS --fail --max-time 30 -H @- "${ACTIONS_ID_TOKEN_REQUEST_URL}${sep}audience=${VAULT_JWT_AUDIENCE}" \
    | jq -er '.value') || die "could not get the job's OIDC token"
  mask "$jwt"

  # 2. Trade it for a Vault token bound to <role> (the role checks repository and ref claims).
  token=$(JWT=$jwt jq -n --arg role "$role" '{role: $role, jwt: env.JWT}' \
    | vault_post "auth/$mount/login" \
    | jq -er '.auth.client_token') || die "Vault refused the login as role $role"
else
  secret_id=${VAULT_SECRET_ID:-}
  if [[ -n ${VAULT_SECRET_ID_WRAPPED:-} ]]; then
    # 1. A wrapped secret-id: make sure it wraps a secret-id of <role> before opening it.
    want="auth/$approle_mount/role/$role/secret-id"
    made_at=$(WRAP=$VAULT_SECRET_ID_WRAPPED jq -n '{token: env.WRAP}' \
      | vault_post sys/wrapping/lookup | jq -er '.data.creation_path') \
      || die "the wrapped secret-id is unknown to Vault: it expired, or somebody unwrapped it first." \
        "Treat it as leaked: revoke role $role's secret-ids and issue a new one (docs/tofu/ci.md)"
    [[ $made_at == "$want" ]] || die "the wrapped secret-id was made at $made_at, not $want: refusing it"
    secret_id=$(printf 'X-Vault-Token: %s\n' "$VAULT_SECRET_ID_WRAPPED" \
      | "${vault_curl[@]}" -X POST -H @- "$VAULT_ADDR/v1/sys/wrapping/unwrap" \
      | jq -er '.data.secret_id') || die "could not unwrap the secret-id of role $role"
  fi
  mask "$secret_id"
  # 2. Trade role-id (the role's name) and secret-id for a Vault token bound to <role>.
  token=$(SECRET_ID=$secret_id jq -n --arg role "$role" '{role_id: $role, secret_id: env.SECRET_ID}' \
    | vault_post "auth/$approle_mount/login" \
    | jq -er '.auth.client_token') || die "Vault refused the login as role $role"
fi
mask "$token"
export_env VAULT_TOKEN "$token"
printf 'vault-login: logged in as role %s (%s)\n' "$role" "$method"

# 3. The secrets later steps need, as environment variables.
for spec in "$@"; do
  name=${spec%%=*}
  ref=${spec#*=}
  path=${ref%%#*}
  key=${ref#*#}
  [[ $name != "$spec" && $path != "$ref" && -n $key ]] || die "bad secret spec '$spec' (want NAME=path#key)"
  value=$(printf 'X-Vault-Token: %s\n' "$token" \
    | "${vault_curl[@]}" -H @- "$VAULT_ADDR/v1/$path" \
    | jq -er --arg k "$key" '.data.data[$k] // empty') || die "cannot read $path#$key for $name"
  mask "$value"
  export_env "$name" "$value"
  printf 'vault-login: %s <- %s#%s\n' "$name" "$path" "$key"
done
