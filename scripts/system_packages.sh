#!/usr/bin/env bash
# Install missing Debian/Ubuntu packages, as root or through sudo. Usage: system_packages.sh CMD=PKG...
# Each argument names a command to look for and the package that provides it.
set -euo pipefail
missing=()
for pair in "$@"; do
  cmd="${pair%%=*}"
  pkg="${pair#*=}"
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
sudo=""
[[ "$(id -u)" -ne 0 ]] && sudo="sudo"
echo "installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
