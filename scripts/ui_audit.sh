#!/usr/bin/env bash
# The UI audit (docs/UI_AUDIT.md): seeds a database of its own, serves Agora as the Procfile
# does, runs Lighthouse (pinned in tools/ui-audit) on the main pages, photographs every page
# type into docs/screenshots/ and writes the figures into docs/UI_AUDIT.md. Exits 1 when a
# page misses the gate. Needs PostgreSQL and Redis on 127.0.0.1 (scripts/test.sh starts them).
# Arguments go to `python -m bench.ui_audit` (--screenshots-only).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
bash scripts/system_packages.sh chromium=chromium npm=npm
[[ -x "$python" ]] || bash scripts/setup.sh dev
# npm ci only when the lock file changed since the last install (it starts from scratch).
(cd tools/ui-audit && { cmp -s package-lock.json node_modules/.installed-lock 2>/dev/null \
  || { npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-lock; }; })
exec "$python" -m bench.ui_audit "$@"
