#!/usr/bin/env bash
# Run the whole test suite, browser tests included, plus the project's checks.
#   bash scripts/test.sh [pytest arguments]
# SQLite and the embedded broker unless DATABASE_URL / REDIS_URL are set (CI sets both).
# SKIP_CHECKS=1 skips ruff, the migrations check and the catalogue check (pytest only).
# CHECKS_ONLY=1 installs and runs those checks, no pytest.
# COVERAGE=1 measures coverage (child processes included) and fails below COVERAGE_FLOOR.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_debian_packages required $APT_RUNTIME $APT_TEST
ensure_virtualenv requirements-dev.txt
export PATH="$VENV/bin:$PATH"
export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
# The coverage measured on 2026-12-02 (issue 11: 95.3 %; issue 12: 95.2 % on the embedded path), rounded down: raise it
# when it rises, never lower it.
COVERAGE_FLOOR=${COVERAGE_FLOOR:-95}

if [ "${SKIP_CHECKS:-0}" != 1 ]; then
  say "ruff"
  ruff check .
  ruff format --check .
  say "Migrations are complete"
  DEBUG=true "$PY" manage.py makemigrations --check --dry-run
  say "djLint (templates)"
  djlint templates --check --lint
  say "Vietnamese catalogue is complete"
  PYTHON="$PY" bash scripts/messages.sh --check
fi
[ "${CHECKS_ONLY:-0}" = 1 ] && exit 0

say "pytest (database: ${DATABASE_URL:-embedded SQLite}; broker: ${REDIS_URL:-embedded file system})"
if [ "${COVERAGE:-0}" = 1 ]; then
  # Coverage of the app's code, child processes included (.coveragerc); CI fails below the floor.
  rm -f .coverage .coverage.*
  "$PY" -m coverage run -m pytest "$@"
  "$PY" -m coverage combine -q
  say "Coverage (floor ${COVERAGE_FLOOR})"
  "$PY" -m coverage report --fail-under="$COVERAGE_FLOOR" | grep -E "^TOTAL"
else
  "$PY" -m pytest "$@"
fi
