#!/usr/bin/env bash
# Log this CI job in to Vault with its OIDC token, then hand the listed secrets to later steps.
#
#   vault-login.sh <vault-role> [ENV_NAME=<kv-v2 api path>#<key> ...]
#   e.g. vault-login.sh factory-iac-plan GOOGLE_CREDENTIALS=kv/data/ci/gcp#credentials
#
# Needs VAULT_ADDR, VAULT_JWT_AUDIENCE and the runner's ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN (the job
# must have `permissions: id-token: write`); VAULT_CACERT (a PEM file) if Vault's CA is private;
# VAULT_JWT_MOUNT if the JWT backend is not at auth/gitea-actions.
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
: "${VAULT_JWT_AUDIENCE:?VAULT_JWT_AUDIENCE is not set}"
: "${GITHUB_ENV:?GITHUB_ENV is not set (not running under Actions?)}"
[[ -n ${ACTIONS_ID_TOKEN_REQUEST_URL:-} && -n ${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-} ]] \
  || die "no OIDC token available: give the job 'permissions: id-token: write'"
mount=${VAULT_JWT_MOUNT:-gitea-actions}

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

# 1. The job's OIDC token, for Vault's audience.
sep='?'
[[ $ACTIONS_ID_TOKEN_REQUEST_URL == *\?* ]] && sep='&'
jwt=$(printf 'Authorization: bearer %s\n' "$ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
  | curl -sS --fail --max-time 30 -H @- "${ACTIONS_ID_TOKEN_REQUEST_URL}${sep}audience=${VAULT_JWT_AUDIENCE}" \
  | jq -er '.value') || die "could not get the job's OIDC token"
mask "$jwt"

# 2. Trade it for a Vault token bound to <role> (the role checks repository and ref claims).
token=$(JWT=$jwt jq -n --arg role "$role" '{role: $role, jwt: env.JWT}' \
  | "${vault_curl[@]}" -X POST --data @- "$VAULT_ADDR/v1/auth/$mount/login" \
  | jq -er '.auth.client_token') || die "Vault refused the login as role $role"
mask "$token"
export_env VAULT_TOKEN "$token"
printf 'vault-login: logged in as role %s\n' "$role"

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
