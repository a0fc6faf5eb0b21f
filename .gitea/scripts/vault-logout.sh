#!/usr/bin/env bash
# Revoke this job's Vault token at the end of the job, whatever happened before.
set -uo pipefail
[[ -n ${VAULT_TOKEN:-} && -n ${VAULT_ADDR:-} ]] || exit 0
args=(curl -sS --fail --max-time 15 -X POST -o /dev/null)
[[ -n ${VAULT_CACERT:-} ]] && args+=(--cacert "$VAULT_CACERT")
printf 'X-Vault-Token: %s\n' "$VAULT_TOKEN" | "${args[@]}" -H @- "$VAULT_ADDR/v1/auth/token/revoke-self" \
  && printf 'vault-logout: token revoked\n'
