#!/usr/bin/env bash
# Run the whole test suite, browser tests included, plus the project's checks.
#   bash scripts/test.sh [pytest arguments]
# SQLite and the embedded broker unless DATABASE_URL / REDIS_URL are set (CI sets both).
# SKIP_CHECKS=1 skips ruff, the migrations check and the catalogue check (pytest only).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_debian_packages required $APT_RUNTIME $APT_TEST
ensure_virtualenv requirements-dev.txt
export PATH="$VENV/bin:$PATH"
export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}

if [ "${SKIP_CHECKS:-0}" != 1 ]; then
  say "ruff"
  ruff check .
  ruff format --check .
  say "Migrations are complete"
  DEBUG=true "$PY" manage.py makemigrations --check --dry-run
  say "Vietnamese catalogue is complete"
  PYTHON="$PY" bash scripts/messages.sh --check
fi

say "pytest (database: ${DATABASE_URL:-embedded SQLite}; broker: ${REDIS_URL:-embedded file system})"
"$PY" -m pytest "$@"
