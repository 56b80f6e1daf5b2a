#!/usr/bin/env bash
# Command 2 of the README (and what CI runs): install what the tests need, make sure
# PostgreSQL, Redis and Chromium are there, then lint, type-check and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[[ "$(id -u)" -ne 0 ]] && sudo="sudo"

bash scripts/system_packages.sh psql=postgresql redis-server=redis-server chromium=chromium

# PostgreSQL on 127.0.0.1:5432.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "starting PostgreSQL"
  $sudo pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
export PGHOST=127.0.0.1 PGUSER=postgres
if ! psql -qtAc 'SELECT 1' postgres >/dev/null 2>&1; then
  # A stock Debian cluster asks for a password over TCP: give the postgres role one for the tests.
  export PGPASSWORD="${PGPASSWORD:-postgres}"
  alter="ALTER USER postgres PASSWORD '$PGPASSWORD'"
  if [[ -z "$sudo" ]]; then su postgres -c "psql -qc \"$alter\"" >/dev/null
  else sudo -u postgres psql -qc "$alter" >/dev/null; fi
fi
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres:${PGPASSWORD:-}@127.0.0.1:5432/agora_test}"

# Redis on 127.0.0.1:6379.
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi

bash scripts/setup.sh dev

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
# Two passes: everything else on PYTEST_WORKERS processes at once (pytest-xdist; each has its
# own database and Redis db, tests/conftest.py), then the timing-sensitive tests (marked
# `serial`: servers killed and restarted, latencies measured) alone, so that no other test
# competes with what they measure.
# One pass that selects nothing (`-k` naming only tests of the other) is not a failure
# (pytest's status 5); both selecting nothing is.
ran=0
pass_of_pytest() {
  local status=0
  .venv/bin/pytest "$@" || status=$?
  [[ $status -eq 0 ]] && ran=1
  [[ $status -eq 0 || $status -eq 5 ]] || exit "$status"
}
pass_of_pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile -m "not serial" "$@"
pass_of_pytest -m serial "$@"
[[ $ran -eq 1 ]] || { echo "no test matched"; exit 5; }
