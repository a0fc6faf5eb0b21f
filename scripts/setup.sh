#!/usr/bin/env bash
# Install what factory-tui and its tests need, then create .venv with the package in it.
# Debian/Ubuntu (run as root or with sudo available) and macOS (Homebrew). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_debian=(openssh-server openssh-client postgresql pgbouncer tmux python3-venv jq curl debootstrap restic rclone)

if [[ "$(uname -s)" == "Linux" ]] && command -v apt-get >/dev/null; then
  missing=()
  for pkg in "${need_debian[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
elif [[ "$(uname -s)" == "Darwin" ]]; then
  command -v brew >/dev/null || { echo "setup: Homebrew is needed on macOS (https://brew.sh)"; exit 1; }
  for formula in postgresql@15 pgbouncer tmux restic rclone; do
    brew list --versions "$formula" >/dev/null || brew install "$formula"
  done
  brew link --force postgresql@15 >/dev/null 2>&1 || true
  command -v tofu >/dev/null || command -v terraform >/dev/null || brew install opentofu
fi

if ! command -v tofu >/dev/null && ! command -v terraform >/dev/null; then
  echo "setup: neither tofu nor terraform is on PATH; plan features and their tests need one" >&2
  exit 1
fi

python=${PYTHON:-python3}
# A venv left half-made by an interrupted run has no pip: make it again rather than fail on it.
.venv/bin/python -m pip --version >/dev/null 2>&1 || "$python" -m venv --clear .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
echo "setup: ready (.venv/bin/factory-tui)"
