#!/usr/bin/env bash
# Create .venv, install Agora (with extras given as $1, e.g. "dev") and fetch htmx.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null \
  || bash scripts/system_packages.sh "no-such-cmd=python3-venv"
bash scripts/system_packages.sh npm=npm
[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
extras="${1:-}"
.venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
bash scripts/fetch_htmx.sh
