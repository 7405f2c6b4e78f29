#!/usr/bin/env bash
# Run ISO Tracker locally: SQLite, the Cao Bằng demo, a background worker, no Redis needed.
#   bash scripts/run.sh            (PORT=8000 by default; REDIS_URL / DATABASE_URL are honoured if set)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_debian_packages optional $APT_RUNTIME
ensure_virtualenv requirements.txt

export DEBUG=${DEBUG:-true}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var

say "Preparing the database"
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py seed_demo --quiet-logins

say "Starting the background worker (with its scheduler)"
"$VENV/bin/celery" -A iso_tracker worker -B --pool=solo --loglevel=WARNING -Q celery,reports \
  --without-heartbeat --without-mingle --without-gossip \
  --schedule "$ROOT/var/celerybeat-schedule" >>"$ROOT/var/worker.log" 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM
sleep 3
if ! kill -0 "$WORKER" 2>/dev/null; then
  echo "The background worker did not start; the end of var/worker.log:" >&2
  tail -20 "$ROOT/var/worker.log" >&2
  exit 1
fi

cat <<MSG

  ISO Tracker is running at  http://$HOST:$PORT/
  Sign in as  dost / CaoBang@2019  (DOST staff),  lanhdao / CaoBang@2019  (leadership),
  or an ISO secretary  tk.<agency code> / CaoBang@2019,  e.g. tk.skhcn.
  Worker log: var/worker.log.  Stop with Ctrl+C.

MSG
"$PY" manage.py runserver "$HOST:$PORT"
